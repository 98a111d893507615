package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

func eno(n uint) *uint { return &n }

// A rule repeating the default action is dropped (libseccomp refuses it),
// as runc does: the runtime-tools linux_seccomp case.
func TestRuleEqualToDefaultSkipped(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"getcwd"}, Action: specs.ActErrno},
		{Names: []string{"getppid"}, Action: specs.ActAllow},
	}}
	if _, err := Compile(s); err != nil {
		t.Fatal(err)
	}
	// A different errno is a different action: kept.
	s.Syscalls[0].ErrnoRet = eno(13)
	if _, err := Compile(s); err != nil {
		t.Fatal(err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		s    specs.LinuxSeccomp
		want string
	}{
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}},
			"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV requires an SCMP_ACT_NOTIFY rule"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"},
			Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
			"linux.seccomp.syscalls[0].args[0].index: 6 is not a syscall argument"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: "X"}}},
			`linux.seccomp.syscalls[0].action: unknown action "X"`},
	} {
		_, err := Compile(&tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%+v) = %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestNeedsStub(t *testing.T) {
	for _, tc := range []struct {
		s    specs.LinuxSeccomp
		want bool
	}{
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, false},
		{specs.LinuxSeccomp{DefaultAction: specs.ActLog}, false},
		{specs.LinuxSeccomp{DefaultAction: specs.ActTrace}, false},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, true},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: eno(38)}, false},
		{specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess}, true},
	} {
		if got := needsStub(&tc.s); got != tc.want {
			t.Errorf("needsStub(%s, %v) = %v", tc.s.DefaultAction, tc.s.DefaultErrnoRet, got)
		}
	}
}

// The stub for x86-64 + x32 + x86: every jump lands inside the stub or on
// its end (libseccomp's program), and the thresholds are the largest
// syscall the profile names per architecture.
func TestENOSYSStub(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"read", "clone3", "socket", "no_such_call"}, Action: specs.ActAllow}}}
	last := lastSyscalls(s)
	if last[libseccomp.ArchAMD64] != 435 || last[libseccomp.ArchX86] != 435 || last[libseccomp.ArchX32] != 435|x32Bit {
		t.Fatalf("last syscalls %v", last)
	}
	b, err := enosysStub(last)
	if err != nil {
		t.Fatal(err)
	}
	n := len(b) / 8
	var ks []uint32
	for i := 0; i < n; i++ {
		code := uint16(b[8*i]) | uint16(b[8*i+1])<<8
		jt, jf := int(b[8*i+2]), int(b[8*i+3])
		k := uint32(b[8*i+4]) | uint32(b[8*i+5])<<8 | uint32(b[8*i+6])<<16 | uint32(b[8*i+7])<<24
		if code&0x07 == 0x05 { // BPF_JMP
			if code == jmpA {
				jt, jf = int(k), int(k)
			}
			if i+1+jt > n || i+1+jf > n {
				t.Fatalf("instruction %d jumps past the stub: jt %d jf %d (of %d)", i, jt, jf, n)
			}
			if code == jgt {
				ks = append(ks, k)
			}
		}
	}
	if len(ks) != 3 || ks[0] != 435 || ks[1] != 435|x32Bit || ks[2] != 435 {
		t.Fatalf("thresholds %#x", ks)
	}
	if p, err := Compile(s); err != nil || len(p.BPF) <= len(b) {
		t.Fatalf("Compile: %v (%d bytes, stub %d)", err, len(p.BPF), len(b))
	}
}
