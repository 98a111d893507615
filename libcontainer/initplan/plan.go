package initplan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Plan accumulates ops; Bytes returns the wire form.
type Plan struct {
	buf   []byte
	nops  uint32
	codes []uint32 // for Has / debugging
}

// New returns an empty plan.
func New() *Plan {
	p := &Plan{buf: make([]byte, 16, 4096)}
	return p
}

// Arg is one op argument under construction or decoded.
type Arg struct {
	Kind  uint32
	Int   int64
	Bytes []byte
}

// I makes an int arg.
func I(v int64) Arg { return Arg{Kind: KindInt, Int: v} }

// U makes an int arg from an unsigned value (bit pattern preserved).
func U(v uint64) Arg { return Arg{Kind: KindInt, Int: int64(v)} }

// S makes a NUL-terminated string arg.
func S(s string) Arg { return Arg{Kind: KindBytes, Bytes: append([]byte(s), 0)} }

// L makes a string-list arg: each string NUL-terminated, back to back.
func L(list []string) Arg {
	n := 0
	for _, s := range list {
		n += len(s) + 1
	}
	b := make([]byte, 0, n)
	for _, s := range list {
		b = append(b, s...)
		b = append(b, 0)
	}
	return Arg{Kind: KindBytes, Bytes: b}
}

// B makes a raw bytes arg.
func B(b []byte) Arg { return Arg{Kind: KindBytes, Bytes: b} }

// U64s packs integers as a bytes arg (n x u64).
func U64s(v []uint64) Arg {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return Arg{Kind: KindBytes, Bytes: b}
}

// U32s packs integers as a bytes arg (n x u32).
func U32s(v []uint32) Arg {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return Arg{Kind: KindBytes, Bytes: b}
}

// Add appends an op. Strings must not contain NUL bytes: the caller
// validates user input (specconv) before it reaches the plan.
func (p *Plan) Add(code uint32, args ...Arg) {
	if len(args) > MaxArgs {
		panic(fmt.Sprintf("initplan: op %d has %d args", code, len(args)))
	}
	p.buf = binary.LittleEndian.AppendUint32(p.buf, code)
	p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(args)))
	for _, a := range args {
		p.buf = binary.LittleEndian.AppendUint32(p.buf, a.Kind)
		switch a.Kind {
		case KindInt:
			p.buf = binary.LittleEndian.AppendUint32(p.buf, 8)
			p.buf = binary.LittleEndian.AppendUint64(p.buf, uint64(a.Int))
		default:
			p.buf = binary.LittleEndian.AppendUint32(p.buf, uint32(len(a.Bytes)))
			p.buf = append(p.buf, a.Bytes...)
			for len(p.buf)%4 != 0 {
				p.buf = append(p.buf, 0)
			}
		}
	}
	p.nops++
	p.codes = append(p.codes, code)
}

// Has reports whether the plan contains op code.
func (p *Plan) Has(code uint32) bool {
	for _, c := range p.codes {
		if c == code {
			return true
		}
	}
	return false
}

// Len is the number of ops.
func (p *Plan) Len() int { return int(p.nops) }

// Bytes finalizes the header and returns the wire form. It fails when the
// plan exceeds MaxLen.
func (p *Plan) Bytes() ([]byte, error) {
	if len(p.buf) > MaxLen {
		return nil, fmt.Errorf("init plan is %d bytes, over the limit of %d", len(p.buf), MaxLen)
	}
	binary.LittleEndian.PutUint32(p.buf[0:], Magic)
	binary.LittleEndian.PutUint32(p.buf[4:], Version)
	binary.LittleEndian.PutUint32(p.buf[8:], uint32(len(p.buf)))
	binary.LittleEndian.PutUint32(p.buf[12:], p.nops)
	return p.buf, nil
}

// Op is a decoded op.
type Op struct {
	Code uint32
	Args []Arg
}

// Str returns arg i as a string (without the final NUL).
func (o Op) Str(i int) string {
	if i >= len(o.Args) {
		return ""
	}
	return strings.TrimSuffix(string(o.Args[i].Bytes), "\x00")
}

// List returns arg i as a string list.
func (o Op) List(i int) []string {
	if i >= len(o.Args) || len(o.Args[i].Bytes) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(o.Args[i].Bytes), "\x00")
	return strings.Split(s, "\x00")
}

// Name is the op's name for messages.
func (o Op) Name() string {
	if n, ok := OpNames[o.Code]; ok {
		return n
	}
	return fmt.Sprintf("op%d", o.Code)
}

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed init plan")

// Decode parses a wire-form plan with the same checks as the C decoder.
func Decode(b []byte) ([]Op, error) {
	bad := func(f string, a ...any) ([]Op, error) {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(f, a...))
	}
	if len(b) < 16 {
		return bad("short header (%d bytes)", len(b))
	}
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != Magic {
		return bad("bad magic %#x", le.Uint32(b[0:]))
	}
	if v := le.Uint32(b[4:]); v != Version {
		return bad("version %d, want %d", v, Version)
	}
	total := le.Uint32(b[8:])
	if int(total) != len(b) || total > MaxLen {
		return bad("length %d, have %d bytes", total, len(b))
	}
	nops := le.Uint32(b[12:])
	off := 16
	ops := make([]Op, 0, min(int(nops), 1024))
	for i := uint32(0); i < nops; i++ {
		if len(b)-off < 8 {
			return bad("op %d truncated", i)
		}
		op := Op{Code: le.Uint32(b[off:])}
		nargs := le.Uint32(b[off+4:])
		off += 8
		if op.Code == 0 || op.Code >= OpMaxOp {
			return bad("op %d: unknown code %d", i, op.Code)
		}
		if nargs > MaxArgs {
			return bad("op %d: %d args", i, nargs)
		}
		for j := uint32(0); j < nargs; j++ {
			if len(b)-off < 8 {
				return bad("op %d arg %d truncated", i, j)
			}
			kind, l := le.Uint32(b[off:]), le.Uint32(b[off+4:])
			off += 8
			if uint64(l) > uint64(len(b)-off) {
				return bad("op %d arg %d: length %d past the end", i, j, l)
			}
			switch kind {
			case KindInt:
				if l != 8 {
					return bad("op %d arg %d: int of %d bytes", i, j, l)
				}
				op.Args = append(op.Args, Arg{Kind: KindInt, Int: int64(le.Uint64(b[off:]))})
			case KindBytes:
				op.Args = append(op.Args, Arg{Kind: KindBytes, Bytes: b[off : off+int(l)]})
			default:
				return bad("op %d arg %d: kind %d", i, j, kind)
			}
			off += int(l)
			if pad := (4 - off%4) % 4; pad > 0 {
				if len(b)-off < pad {
					return bad("op %d arg %d: padding truncated", i, j)
				}
				off += pad
			}
		}
		ops = append(ops, op)
	}
	if off != len(b) {
		return bad("%d trailing bytes", len(b)-off)
	}
	return ops, nil
}

// String renders a plan for --debug logs and tests.
func String(ops []Op) string {
	var sb strings.Builder
	for _, op := range ops {
		sb.WriteString(op.Name())
		for _, a := range op.Args {
			if a.Kind == KindInt {
				fmt.Fprintf(&sb, " %d", a.Int)
			} else {
				fmt.Fprintf(&sb, " %q", strings.TrimSuffix(string(a.Bytes), "\x00"))
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
