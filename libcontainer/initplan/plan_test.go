package initplan

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// cName turns OpPrepareRoot into OP_PREPARE_ROOT.
func cName(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// TestHeaderInSync checks that every op, sync and option constant has the
// same value in ops.go and in the C header the init constructor uses.
func TestHeaderInSync(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "ops.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check("initplan", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := os.ReadFile("../nsenter/plan.h")
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (\w+) \(([^)]*)\)`).FindAllStringSubmatch(string(hdr), -1) {
		defs[m[1]] = m[2]
	}
	n := 0
	for _, name := range pkg.Scope().Names() {
		c, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || !regexp.MustCompile(`^(Op|Sync|MountOpt|Kind)[A-Z]`).MatchString(name) {
			continue
		}
		n++
		want := c.Val().ExactString()
		got, ok := defs[cName(name)]
		if !ok {
			t.Errorf("%s (%s) missing from plan.h", name, cName(name))
			continue
		}
		if strings.Contains(got, "<<") {
			parts := strings.Split(strings.ReplaceAll(got, "ull", ""), "<<")
			a, _ := strconv.Atoi(strings.TrimSpace(parts[0]))
			s, _ := strconv.Atoi(strings.TrimSpace(parts[1]))
			got = strconv.Itoa(a << s)
		}
		if got != want {
			t.Errorf("%s = %s in Go, %s in plan.h", name, want, got)
		}
	}
	if n < 60 {
		t.Fatalf("only %d constants checked", n)
	}
}

func TestRoundTrip(t *testing.T) {
	p := New()
	p.Add(OpSetns, I(0x40000000), S("/proc/1/ns/net"))
	p.Add(OpExec, L([]string{"/bin/sh", "-c", "echo hi"}), L(nil))
	p.Add(OpUser, I(1000), I(1000), U32s([]uint32{1, 2}), I(1))
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || ops[0].Str(1) != "/proc/1/ns/net" || ops[0].Args[0].Int != 0x40000000 {
		t.Fatalf("bad decode: %s", String(ops))
	}
	if got := ops[1].List(0); len(got) != 3 || got[2] != "echo hi" {
		t.Fatalf("argv = %q", got)
	}
	if ops[1].List(1) != nil {
		t.Fatalf("empty list decoded as %q", ops[1].List(1))
	}
}

func TestDecodeRejects(t *testing.T) {
	p := New()
	p.Add(OpHostname, S("x"))
	good, _ := p.Bytes()
	cases := map[string][]byte{
		"short":    good[:10],
		"trailing": append(append([]byte{}, good...), 0, 0, 0, 0),
		"truncated": func() []byte {
			b := append([]byte{}, good[:len(good)-4]...)
			b[8] = byte(len(b))
			return b
		}(),
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
