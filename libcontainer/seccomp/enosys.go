package seccomp

import (
	"encoding/binary"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The -ENOSYS stub (runc's patchbpf, written anew): a syscall numbered
// above every syscall the profile names, for its architecture, is newer
// than the profile. Denying it with the default errno (EPERM) tells glibc
// and friends that the call exists but is forbidden, and they do not fall
// back to the older call (clone3 → clone, faccessat2 → faccessat, …);
// ENOSYS makes them fall back. A short cBPF prefix returns ENOSYS for those
// numbers and otherwise runs libseccomp's program unchanged.

const x32Bit = 0x40000000 // __X32_SYSCALL_BIT

// auditArch maps a libseccomp architecture to its AUDIT_ARCH_* value (what
// seccomp_data.arch holds). x32 shares x86-64's value; its syscall numbers
// carry x32Bit.
var auditArch = map[libseccomp.ScmpArch]uint32{
	libseccomp.ArchAMD64:   unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX32:     unix.AUDIT_ARCH_X86_64,
	libseccomp.ArchX86:     unix.AUDIT_ARCH_I386,
	libseccomp.ArchARM64:   unix.AUDIT_ARCH_AARCH64,
	libseccomp.ArchARM:     unix.AUDIT_ARCH_ARM,
	libseccomp.ArchRISCV64: unix.AUDIT_ARCH_RISCV64,
	libseccomp.ArchPPC64LE: unix.AUDIT_ARCH_PPC64LE,
	libseccomp.ArchS390X:   unix.AUDIT_ARCH_S390X,
}

// permissive actions get no stub: the call is allowed (or a tracer decides)
// anyway.
func needsStub(s *specs.LinuxSeccomp) bool {
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	}
	if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet == uint(unix.ENOSYS) {
		return false // the default already says ENOSYS
	}
	return true
}

// lastSyscalls returns, per architecture in the filter (the native one
// always included), the largest syscall number the profile names.
func lastSyscalls(s *specs.LinuxSeccomp) map[libseccomp.ScmpArch]uint32 {
	arches := map[libseccomp.ScmpArch]bool{}
	if native, err := libseccomp.GetNativeArch(); err == nil {
		arches[native] = true
	}
	for _, a := range s.Architectures {
		if arch, err := libseccomp.GetArchFromString(archName(string(a))); err == nil {
			arches[arch] = true
		}
	}
	out := map[libseccomp.ScmpArch]uint32{}
	for arch := range arches {
		if _, ok := auditArch[arch]; !ok {
			logrus.Debugf("seccomp: no -ENOSYS stub for architecture %s", arch)
			continue
		}
		var last int32 = -1
		for _, sc := range s.Syscalls {
			for _, name := range sc.Names {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, arch)
				if err != nil || int32(nr) < 0 { // unknown, or multiplexed (socketcall)
					continue
				}
				if int32(nr) > last {
					last = int32(nr)
				}
			}
		}
		if last >= 0 {
			out[arch] = uint32(last)
		}
	}
	return out
}

// insn is a cBPF instruction whose jump targets may be labels.
type insn struct {
	code   uint16
	jt, jf int // label ids for conditional jumps (-1: next instruction)
	k      uint32
	ja     int // label id for BPF_JA
}

const (
	ldAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jgt    = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	jset   = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	jmpA   = unix.BPF_JMP | unix.BPF_JA
	retK   = unix.BPF_RET | unix.BPF_K
	offNr  = 0 // offsetof(struct seccomp_data, nr)
	offArc = 4 // offsetof(struct seccomp_data, arch)
)

// enosysStub assembles the prefix. Layout, per audit architecture:
//
//	ld arch; jeq AUDIT, 0, next; ld nr; [jset x32Bit, x32, 0;] jgt LAST, enosys, prog; [x32: jgt LASTX32, enosys, prog;]
//	next: …
//	ja prog; enosys: ret ERRNO(ENOSYS); prog: libseccomp's program
func enosysStub(last map[libseccomp.ScmpArch]uint32) ([]byte, error) {
	const (
		lProg = iota
		lEnosys
		lFirstFree
	)
	labels := map[int]int{} // label -> instruction index
	var prog []insn
	next := lFirstFree
	here := func(l int) { labels[l] = len(prog) }
	newLabel := func() int { next++; return next }
	add := func(i insn) { prog = append(prog, i) }
	cond := func(code uint16, k uint32, jt, jf int) { add(insn{code: code, k: k, jt: jt, jf: jf}) }

	// One block per audit arch, in a fixed order.
	type block struct {
		audit       uint32
		main, x32   uint32
		hasMain, hx bool
	}
	var blocks []*block
	byAudit := map[uint32]*block{}
	for _, arch := range []libseccomp.ScmpArch{libseccomp.ArchAMD64, libseccomp.ArchX32, libseccomp.ArchX86,
		libseccomp.ArchARM64, libseccomp.ArchARM, libseccomp.ArchRISCV64, libseccomp.ArchPPC64LE, libseccomp.ArchS390X} {
		n, ok := last[arch]
		if !ok {
			continue
		}
		a := auditArch[arch]
		b := byAudit[a]
		if b == nil {
			b = &block{audit: a}
			byAudit[a] = b
			blocks = append(blocks, b)
		}
		if arch == libseccomp.ArchX32 {
			b.x32, b.hx = n|x32Bit, true
		} else {
			b.main, b.hasMain = n, true
		}
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	for _, b := range blocks {
		nextBlock := newLabel()
		add(insn{code: ldAbs, k: offArc, jt: -1, jf: -1})
		cond(jeq, b.audit, -1, nextBlock)
		add(insn{code: ldAbs, k: offNr, jt: -1, jf: -1})
		if b.audit == unix.AUDIT_ARCH_X86_64 {
			x32 := newLabel()
			cond(jset, x32Bit, x32, -1)
			if b.hasMain {
				cond(jgt, b.main, lEnosys, lProg)
			} else {
				add(insn{code: jmpA, ja: lProg})
			}
			here(x32)
			if b.hx {
				cond(jgt, b.x32, lEnosys, lProg)
			} else {
				add(insn{code: jmpA, ja: lProg})
			}
		} else {
			cond(jgt, b.main, lEnosys, lProg)
		}
		here(nextBlock)
	}
	add(insn{code: jmpA, ja: lProg})
	here(lEnosys)
	add(insn{code: retK, k: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS), jt: -1, jf: -1})
	here(lProg)

	out := make([]byte, 0, 8*len(prog))
	rel := func(i, l int) (int, error) {
		if l < 0 {
			return 0, nil
		}
		t, ok := labels[l]
		if !ok || t <= i {
			return 0, fmt.Errorf("seccomp: -ENOSYS stub: bad jump")
		}
		return t - i - 1, nil
	}
	for i, in := range prog {
		var jt, jf, k = 0, 0, in.k
		var err error
		if in.code == jmpA {
			var off int
			if off, err = rel(i, in.ja); err != nil {
				return nil, err
			}
			k = uint32(off)
		} else if in.code&0x07 == unix.BPF_JMP {
			if jt, err = rel(i, in.jt); err != nil {
				return nil, err
			}
			if jf, err = rel(i, in.jf); err != nil {
				return nil, err
			}
			if jt > 255 || jf > 255 {
				return nil, fmt.Errorf("seccomp: -ENOSYS stub: jump too far")
			}
		}
		out = binary.NativeEndian.AppendUint16(out, in.code)
		out = append(out, byte(jt), byte(jf))
		out = binary.NativeEndian.AppendUint32(out, k)
	}
	return out, nil
}
