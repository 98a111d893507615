package capabilities

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestTable(t *testing.T) {
	if MaxKnown != 40 {
		t.Fatalf("MaxKnown = %d, want 40", MaxKnown)
	}
	for _, tc := range []struct {
		name string
		num  int
	}{
		{"CAP_CHOWN", 0}, {"CAP_KILL", 5}, {"CAP_NET_BIND_SERVICE", 10},
		{"CAP_SYS_ADMIN", 21}, {"CAP_AUDIT_WRITE", 29}, {"CAP_SETFCAP", 31},
		{"CAP_AUDIT_READ", 37}, {"CAP_PERFMON", 38}, {"CAP_BPF", 39},
		{"CAP_CHECKPOINT_RESTORE", 40},
	} {
		n, ok := Lookup(tc.name)
		if !ok || n != tc.num {
			t.Errorf("Lookup(%q) = %d, %v; want %d", tc.name, n, ok, tc.num)
		}
		if Name(tc.num) != tc.name {
			t.Errorf("Name(%d) = %q, want %q", tc.num, Name(tc.num), tc.name)
		}
	}
	seen := map[string]bool{}
	for i, n := range Known() {
		if seen[n] {
			t.Errorf("duplicate name %q", n)
		}
		seen[n] = true
		if j, ok := Lookup(n); !ok || j != i {
			t.Errorf("Lookup(%q) = %d, %v", n, j, ok)
		}
	}
}

func TestParse(t *testing.T) {
	m, err := Parse([]string{"CAP_KILL", "CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"})
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(1<<5 | 1<<0 | 1<<40); m != want {
		t.Fatalf("mask = %#x, want %#x", m, want)
	}
	if got := Names(m); !reflect.DeepEqual(got, []string{"CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"}) {
		t.Fatalf("Names = %v", got)
	}
	if m, err := Parse(nil); err != nil || m != 0 {
		t.Fatalf("Parse(nil) = %#x, %v", m, err)
	}
	for _, bad := range []string{"CAP_FOO", "cap_kill", "KILL", "", "CAP_", "CAP_KILL "} {
		_, err := Parse([]string{"CAP_KILL", bad})
		want := `unknown capability "` + bad + `"`
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error = %v, want %s", bad, err, want)
		}
	}
	if got := Names(1<<41 | 1<<1); !reflect.DeepEqual(got, []string{"CAP_DAC_OVERRIDE", "CAP_41"}) {
		t.Fatalf("Names = %v", got)
	}
}

func TestLast(t *testing.T) {
	l := Last()
	if l < 30 || l > 63 {
		t.Fatalf("Last() = %d", l)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "cap_last_cap")
	for content, want := range map[string]int{"40\n": 40, "37": 37, "x": MaxKnown, "99": MaxKnown} {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := readLast(p); got != want {
			t.Errorf("readLast(%q) = %d, want %d", content, got, want)
		}
	}
	if got := readLast(filepath.Join(dir, "missing")); got != MaxKnown {
		t.Errorf("readLast(missing) = %d", got)
	}
	if Mask(40) != 1<<41-1 || Mask(63) != ^uint64(0) || Mask(-1) != 0 {
		t.Error("Mask")
	}
}

func BenchmarkParse(b *testing.B) {
	list := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
	for i := 0; i < b.N; i++ {
		if _, err := Parse(list); err != nil {
			b.Fatal(err)
		}
	}
}
