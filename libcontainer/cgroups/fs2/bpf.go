package fs2

// A minimal eBPF toolkit for the device filter: the instruction encoding
// of the few opcodes it uses, and the five bpf(2) commands it needs
// (PROG_LOAD, PROG_ATTACH, PROG_DETACH, PROG_QUERY, PROG_GET_FD_BY_ID).
// github.com/cilium/ebpf does this and much more, but it adds 1.9 MB to
// the binary, measured as +1.5 MiB of RSS and +0.3 ms on every husk start
// (husk --version 3.0 -> 3.3 ms), a start-up cost paid by every command for
// a feature only cgroup v2 creates and updates use.

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpfInsn is struct bpf_insn.
type bpfInsn struct {
	Code uint8
	Regs uint8 // dst (low 4 bits), src (high 4 bits)
	Off  int16
	Imm  int32
}

// Opcodes (include/uapi/linux/bpf_common.h, bpf.h).
const (
	opLdxMemW   = 0x61 // BPF_LDX | BPF_MEM | BPF_W
	opAnd32Imm  = 0x54 // BPF_ALU | BPF_AND | BPF_K
	opRsh32Imm  = 0x74 // BPF_ALU | BPF_RSH | BPF_K
	opMov32Imm  = 0xb4 // BPF_ALU | BPF_MOV | BPF_K
	opMov32Reg  = 0xbc // BPF_ALU | BPF_MOV | BPF_X
	opJeqImm    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	opJneImm    = 0x55 // BPF_JMP | BPF_JNE | BPF_K
	opJneReg    = 0x5d // BPF_JMP | BPF_JNE | BPF_X
	opExit      = 0x95 // BPF_JMP | BPF_EXIT
	bpfMaxInsns = 4096
)

// program is instructions whose jumps name a label; resolve turns the
// labels into relative offsets.
type program struct {
	insns  []bpfInsn
	jumps  map[int]string // instruction index -> target label
	labels map[string]int
}

func newProgram() *program {
	return &program{jumps: map[int]string{}, labels: map[string]int{}}
}

func (p *program) add(code uint8, dst, src uint8, off int16, imm int32) {
	p.insns = append(p.insns, bpfInsn{Code: code, Regs: dst&0xf | src<<4, Off: off, Imm: imm})
}

// jump adds a conditional jump to label.
func (p *program) jump(code uint8, dst, src uint8, imm int32, label string) {
	p.jumps[len(p.insns)] = label
	p.add(code, dst, src, 0, imm)
}

// label names the next instruction.
func (p *program) label(name string) { p.labels[name] = len(p.insns) }

func (p *program) resolve() ([]bpfInsn, error) {
	for i, l := range p.jumps {
		t, ok := p.labels[l]
		if !ok || t <= i {
			return nil, fmt.Errorf("device filter: bad jump to %q", l)
		}
		p.insns[i].Off = int16(t - i - 1)
	}
	if len(p.insns) > bpfMaxInsns {
		return nil, fmt.Errorf("device filter: %d instructions, over the limit of %d", len(p.insns), bpfMaxInsns)
	}
	return p.insns, nil
}

// bpf makes one bpf(2) call; a transient EAGAIN (which BPF_PROG_LOAD can
// return) is retried a few times, as libbpf does.
func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	for try := 0; ; try++ {
		r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		if errno == unix.EAGAIN && try < 5 {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

// loadDeviceProgram loads a BPF_PROG_TYPE_CGROUP_DEVICE program; on a
// verifier refusal the error carries the verifier's last line.
func loadDeviceProgram(insns []bpfInsn) (int, error) {
	license := []byte("Apache\x00")
	attr := struct {
		progType    uint32
		insnCnt     uint32
		insns       uint64
		license     uint64
		logLevel    uint32
		logSize     uint32
		logBuf      uint64
		kernVersion uint32
		progFlags   uint32
	}{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE, insnCnt: uint32(len(insns)),
		insns: uint64(uintptr(unsafe.Pointer(&insns[0]))), license: uint64(uintptr(unsafe.Pointer(&license[0]))),
	}
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	if err == nil {
		return fd, nil
	}
	if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINVAL) {
		return -1, err
	}
	log := make([]byte, 64<<10)
	attr.logLevel, attr.logSize, attr.logBuf = 1, uint32(len(log)), uint64(uintptr(unsafe.Pointer(&log[0])))
	fd, err2 := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	runtime.KeepAlive(log)
	if err2 == nil {
		return fd, nil // accepted with a log buffer: fine
	}
	// The last line is statistics; the one before says what was wrong.
	lines := strings.Split(strings.TrimRight(string(log[:clen(log)]), "\n"), "\n")
	why := lines[len(lines)-1]
	if len(lines) > 1 && strings.HasPrefix(why, "processed ") {
		why = lines[len(lines)-2]
	}
	return -1, fmt.Errorf("%w (verifier: %s)", err, why)
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// attachAttr is the BPF_PROG_ATTACH / BPF_PROG_DETACH part of bpf_attr.
type attachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

func attachDeviceProgram(cgroupFd, progFd int) error {
	attr := attachAttr{targetFd: uint32(cgroupFd), attachBpfFd: uint32(progFd), attachType: unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI}
	_, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

func detachDeviceProgram(cgroupFd, progFd int) error {
	attr := attachAttr{targetFd: uint32(cgroupFd), attachBpfFd: uint32(progFd), attachType: unix.BPF_CGROUP_DEVICE}
	_, err := bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

// deviceProgramIDs lists the ids of the device programs attached to the
// cgroup itself (not inherited ones).
func deviceProgramIDs(cgroupFd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	for {
		attr := struct {
			targetFd    uint32
			attachType  uint32
			queryFlags  uint32
			attachFlags uint32
			progIDs     uint64
			progCnt     uint32
		}{targetFd: uint32(cgroupFd), attachType: unix.BPF_CGROUP_DEVICE,
			progIDs: uint64(uintptr(unsafe.Pointer(&ids[0]))), progCnt: uint32(len(ids))}
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if errors.Is(err, unix.ENOSPC) {
			ids = make([]uint32, 2*len(ids))
			continue
		}
		if err != nil {
			return nil, err
		}
		return ids[:attr.progCnt], nil
	}
}

func deviceProgramFd(id uint32) (int, error) {
	attr := struct {
		progID    uint32
		nextID    uint32
		openFlags uint32
	}{progID: id}
	return bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
}
