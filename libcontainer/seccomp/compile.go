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

const flagWaitKillableRecv = 1 << 5 // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19)

// Filter flags of linux.seccomp.flags.
var flagBits = map[specs.LinuxSeccompFlag]uint64{
	specs.LinuxSeccompFlagLog:                           unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:                     unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv:              flagWaitKillableRecv,
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
		if !flagSupported(bit) {
			return nil, fmt.Errorf("linux.seccomp.flags: %s is not supported by this kernel", fl)
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
		if act == def {
			// libseccomp refuses a rule that repeats the default action;
			// it changes nothing (runc skips it too).
			logrus.Debugf("seccomp: %s: action is the default action, rule skipped", field)
			continue
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
	if p.Flags&flagWaitKillableRecv != 0 && !p.Notify {
		return nil, errors.New("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV requires an SCMP_ACT_NOTIFY rule")
	}
	if p.Notify && len(s.ListenerPath) == 0 {
		return nil, errors.New("linux.seccomp: SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath")
	}
	if p.BPF, err = export(f); err != nil {
		return nil, err
	}
	if needsStub(s) {
		stub, err := enosysStub(lastSyscalls(s))
		if err != nil {
			return nil, err
		}
		p.BPF = append(stub, p.BPF...)
	}
	if n := len(p.BPF) / 8; n > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("linux.seccomp: the filter has %d instructions, the kernel takes at most %d", n, unix.BPF_MAXINSNS)
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

// flagSupported probes a filter flag: with a NULL program the kernel
// answers EFAULT for a flag it knows and EINVAL for one it does not.
func flagSupported(flag uint64) bool {
	if flag == flagWaitKillableRecv {
		flag |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER // only valid with it
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flag), 0)
	return errno == unix.EFAULT
}

// Features is what `husk features` reports under linux.seccomp.
type Features struct {
	Actions, Operators, Archs, KnownFlags, SupportedFlags []string
}

var allArchs = []string{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
	"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
	"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"}

// Known lists the actions, operators, architectures (those this
// libseccomp knows) and flags (those this kernel supports) Compile takes.
func Known() Features {
	var f Features
	for _, a := range []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
		specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify} {
		f.Actions = append(f.Actions, string(a))
	}
	for _, o := range []specs.LinuxSeccompOperator{specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual} {
		f.Operators = append(f.Operators, string(o))
	}
	for _, a := range allArchs {
		if _, err := libseccomp.GetArchFromString(archName(a)); err == nil {
			f.Archs = append(f.Archs, a)
		}
	}
	for _, fl := range []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagLog,
		specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv} {
		f.KnownFlags = append(f.KnownFlags, string(fl))
		if flagSupported(flagBits[fl]) {
			f.SupportedFlags = append(f.SupportedFlags, string(fl))
		}
	}
	return f
}
