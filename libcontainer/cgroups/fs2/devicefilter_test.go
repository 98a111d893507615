package fs2

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// runFilter interprets a device filter (the opcodes deviceFilter uses) on
// one request and returns its verdict.
func runFilter(t *testing.T, insns []bpfInsn, typ, access, major, minor uint32) int32 {
	t.Helper()
	var reg [11]uint64
	ctx := [3]uint32{access<<16 | typ, major, minor}
	for pc := 0; pc < len(insns); pc++ {
		in := insns[pc]
		dst, src := in.Regs&0xf, in.Regs>>4
		switch in.Code {
		case opLdxMemW:
			if src != r1 || in.Off%4 != 0 || in.Off > 8 {
				t.Fatalf("pc %d: load from R%d+%d", pc, src, in.Off)
			}
			reg[dst] = uint64(ctx[in.Off/4])
		case opAnd32Imm:
			reg[dst] = uint64(uint32(reg[dst]) & uint32(in.Imm))
		case opRsh32Imm:
			reg[dst] = uint64(uint32(reg[dst]) >> uint32(in.Imm))
		case opMov32Imm:
			reg[dst] = uint64(uint32(in.Imm))
		case opMov32Reg:
			reg[dst] = uint64(uint32(reg[src]))
		case opJeqImm:
			if reg[dst] == uint64(int64(in.Imm)) {
				pc += int(in.Off)
			}
		case opJneImm:
			if reg[dst] != uint64(int64(in.Imm)) {
				pc += int(in.Off)
			}
		case opJneReg:
			if reg[dst] != reg[src] {
				pc += int(in.Off)
			}
		case opExit:
			return int32(reg[r0])
		default:
			t.Fatalf("pc %d: opcode %#x", pc, in.Code)
		}
	}
	t.Fatal("fell off the end")
	return -1
}

func rule(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: &major, Minor: &minor, Access: access}
}

const (
	chr, blk         = unix.BPF_DEVCG_DEV_CHAR, unix.BPF_DEVCG_DEV_BLOCK
	rd, wr, mk       = unix.BPF_DEVCG_ACC_READ, unix.BPF_DEVCG_ACC_WRITE, unix.BPF_DEVCG_ACC_MKNOD
	any        int64 = -1
)

// The filter decides as cgroup v1's devices controller with the same rules.
func TestDeviceFilterDecisions(t *testing.T) {
	runcDefault := []specs.LinuxDeviceCgroup{
		rule(false, "a", any, any, "rwm"),
		rule(true, "c", any, any, "m"), rule(true, "b", any, any, "m"),
		rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 5, "rwm"), rule(true, "c", 136, any, "rwm"),
		rule(false, "c", 1, 5, "w"), // deny writes to /dev/zero again
	}
	cases := []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		typ   uint32
		acc   uint32
		maj   uint32
		min   uint32
		want  int32
	}{
		{"null rw", runcDefault, chr, rd | wr, 1, 3, 1},
		{"pts read", runcDefault, chr, rd, 136, 7, 1},
		{"mknod any char", runcDefault, chr, mk, 10, 200, 1},
		{"mknod any block", runcDefault, blk, mk, 8, 0, 1},
		{"block read denied", runcDefault, blk, rd, 8, 0, 0},
		{"other char rw denied", runcDefault, chr, rd | wr, 10, 200, 0},
		{"zero read", runcDefault, chr, rd, 1, 5, 1},
		{"zero write denied by the last rule", runcDefault, chr, wr, 1, 5, 0},
		{"zero rw denied (asks for w)", runcDefault, chr, rd | wr, 1, 5, 0},
		{"rw rule does not allow rwm", []specs.LinuxDeviceCgroup{rule(true, "c", 1, 3, "rw")}, chr, rd | wr | mk, 1, 3, 0},
		{"rw rule allows r", []specs.LinuxDeviceCgroup{rule(true, "c", 1, 3, "rw")}, chr, rd, 1, 3, 1},
		{"no rules: deny", nil, chr, rd, 1, 3, 0},
		{"allow all", []specs.LinuxDeviceCgroup{rule(true, "a", any, any, "rwm")}, blk, rd | wr | mk, 8, 0, 1},
		{"allow all resets earlier denies", []specs.LinuxDeviceCgroup{rule(false, "c", 1, 3, "rwm"), rule(true, "a", any, any, "rwm")}, chr, rd, 1, 3, 1},
		{"type u is char", []specs.LinuxDeviceCgroup{rule(true, "u", 1, 3, "r")}, chr, rd, 1, 3, 1},
		{"empty access is rwm", []specs.LinuxDeviceCgroup{{Allow: true, Type: "c"}}, chr, rd | wr | mk, 4, 1, 1},
	}
	for _, c := range cases {
		insns, err := deviceFilter(c.rules)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := runFilter(t, insns, c.typ, c.acc, c.maj, c.min); got != c.want {
			t.Errorf("%s: verdict %d, want %d", c.name, got, c.want)
		}
	}
	for _, bad := range [][]specs.LinuxDeviceCgroup{
		{rule(true, "x", 1, 3, "r")}, {rule(true, "c", 1, 3, "rx")}, {rule(true, "c", 1<<33, 3, "r")},
	} {
		if _, err := deviceFilter(bad); err == nil || !strings.Contains(err.Error(), "linux.resources.devices[0]") {
			t.Errorf("%+v: error %v, want one naming the rule", bad, err)
		}
	}
}

// On the host (root, a cgroup2 hierarchy): the kernel accepts the program,
// a process born in the cgroup is held to it, and an update replaces it.
func TestHostV2DeviceFilter(t *testing.T) {
	m := hostManager(t, nil)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	set := func(rules ...specs.LinuxDeviceCgroup) {
		t.Helper()
		if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
			t.Fatal(err)
		}
	}
	readZero := func() error {
		t.Helper()
		fd, err := unix.Open(m.dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		cmd := exec.Command("head", "-c", "1", "/dev/zero")
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		_, err = cmd.Output()
		return err
	}
	set(rule(false, "a", any, any, "rwm"))
	if err := readZero(); err == nil {
		t.Fatal("/dev/zero readable under deny-all")
	}
	set(rule(false, "a", any, any, "rwm"), rule(true, "c", 1, 5, "r"))
	if err := readZero(); err != nil {
		t.Fatalf("/dev/zero not readable with c 1:5 r allowed: %v", err)
	}
	fd, err := unix.Open(m.dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if ids, err := deviceProgramIDs(fd); err != nil || len(ids) != 1 {
		t.Errorf("programs attached after an update: %v %v, want exactly one", ids, err)
	}
}
