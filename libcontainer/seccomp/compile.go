package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Program is a compiled filter: raw BPF (n x struct sock_filter) and the
// seccomp(2) flags to load it with.
type Program struct {
	BPF    []byte
	Flags  uint64
	Notify bool
}

// Filter flags of linux.seccomp.flags.
var flagBits = map[specs.LinuxSeccompFlag]uint64{
	specs.LinuxSeccompFlagLog:                           unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:                     unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv:              1 << 5, // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
	specs.LinuxSeccompFlag("SECCOMP_FILTER_FLAG_TSYNC"): unix.SECCOMP_FILTER_FLAG_TSYNC,
}

// Compile turns linux.seccomp into a BPF program with libseccomp.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	def, err := action(s.DefaultAction, s.DefaultErrnoRet, "linux.seccomp.defaultAction")
	if err != nil {
		return nil, err
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: create filter: %w", err)
	}
	defer f.Release()
	// The init loads the exported program itself, after no_new_privs is
	// set or while it still has CAP_SYS_ADMIN.
	if err := f.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("linux.seccomp: %w", err)
	}
	for i, a := range s.Architectures {
		arch, err := libseccomp.GetArchFromString(archName(string(a)))
		if err != nil {
			return nil, fmt.Errorf("linux.seccomp.architectures[%d]: unknown architecture %q", i, a)
		}
		if err := f.AddArch(arch); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("linux.seccomp.architectures[%d]: %w", i, err)
		}
	}
	p := &Program{}
	for _, fl := range s.Flags {
		bit, ok := flagBits[fl]
		if !ok {
			return nil, fmt.Errorf("linux.seccomp.flags: unknown flag %q", fl)
		}
		p.Flags |= bit
	}
	if s.DefaultAction == specs.ActNotify {
		p.Notify = true
	}
	for i, sc := range s.Syscalls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		act, err := action(sc.Action, sc.ErrnoRet, field+".action")
		if err != nil {
			return nil, err
		}
		if sc.Action == specs.ActNotify {
			p.Notify = true
		}
		conds, split, err := conditions(sc.Args, field)
		if err != nil {
			return nil, err
		}
		for _, name := range sc.Names {
			call, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				// Unknown to this libseccomp: skipped, as runc does.
				logrus.Debugf("seccomp: syscall %q unknown to libseccomp, ignored", name)
				continue
			}
			if err := addRule(f, call, act, conds, split); err != nil {
				return nil, fmt.Errorf("%s: add rule for %s: %w", field, name, err)
			}
		}
	}
	if p.Notify && len(s.ListenerPath) == 0 {
		return nil, errors.New("linux.seccomp: SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath")
	}
	if p.BPF, err = export(f); err != nil {
		return nil, err
	}
	return p, nil
}

// addRule adds one syscall rule; conditions on a repeated argument index
// become separate rules (libseccomp allows one condition per index).
func addRule(f *libseccomp.ScmpFilter, call libseccomp.ScmpSyscall, act libseccomp.ScmpAction, conds []libseccomp.ScmpCondition, split bool) error {
	if len(conds) == 0 {
		return f.AddRule(call, act)
	}
	if !split {
		return f.AddRuleConditional(call, act, conds)
	}
	for _, c := range conds {
		if err := f.AddRuleConditional(call, act, []libseccomp.ScmpCondition{c}); err != nil {
			return err
		}
	}
	return nil
}

func conditions(args []specs.LinuxSeccompArg, field string) ([]libseccomp.ScmpCondition, bool, error) {
	var conds []libseccomp.ScmpCondition
	seen := map[uint]bool{}
	split := false
	for j, a := range args {
		op, err := operator(a.Op)
		if err != nil {
			return nil, false, fmt.Errorf("%s.args[%d].op: %w", field, j, err)
		}
		if a.Index > 5 {
			return nil, false, fmt.Errorf("%s.args[%d].index: %d is not a syscall argument (0..5)", field, j, a.Index)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return nil, false, fmt.Errorf("%s.args[%d]: %w", field, j, err)
		}
		if seen[a.Index] {
			split = true
		}
		seen[a.Index] = true
		conds = append(conds, c)
	}
	return conds, split, nil
}

func action(a specs.LinuxSeccompAction, errnoRet *uint, field string) (libseccomp.ScmpAction, error) {
	ret := int16(unix.EPERM)
	if errnoRet != nil {
		ret = int16(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(ret), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(ret), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("%s: unknown action %q", field, a)
}

func operator(o specs.LinuxSeccompOperator) (libseccomp.ScmpCompareOp, error) {
	switch o {
	case specs.OpNotEqual:
		return libseccomp.CompareNotEqual, nil
	case specs.OpLessThan:
		return libseccomp.CompareLess, nil
	case specs.OpLessEqual:
		return libseccomp.CompareLessOrEqual, nil
	case specs.OpEqualTo:
		return libseccomp.CompareEqual, nil
	case specs.OpGreaterEqual:
		return libseccomp.CompareGreaterEqual, nil
	case specs.OpGreaterThan:
		return libseccomp.CompareGreater, nil
	case specs.OpMaskedEqual:
		return libseccomp.CompareMaskedEqual, nil
	}
	return libseccomp.CompareInvalid, fmt.Errorf("unknown operator %q", o)
}

// archName maps SCMP_ARCH_X86_64 to libseccomp's "x86_64".
func archName(a string) string {
	n := a
	if len(n) > len("SCMP_ARCH_") && n[:len("SCMP_ARCH_")] == "SCMP_ARCH_" {
		n = n[len("SCMP_ARCH_"):]
	}
	b := []byte(n)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	if string(b) == "aarch64" {
		return "arm64"
	}
	return string(b)
}

// export renders the filter as raw BPF through a memfd.
func export(f *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("seccomp: memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, fmt.Errorf("seccomp: export BPF: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(file)
}
