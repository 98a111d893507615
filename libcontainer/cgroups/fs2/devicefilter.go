package fs2

import (
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Registers of the device filter.
const (
	r0, r1, r2, r3, r4, r5 = 0, 1, 2, 3, 4, 5
)

// deviceFilter compiles linux.resources.devices into a
// BPF_PROG_TYPE_CGROUP_DEVICE program with cgroup v1's semantics: the
// rules apply in order and the last one matching a request decides. So
// the rules are emitted last first, each a block that returns its verdict
// when it matches, and the program denies what no rule matched. An allow
// rule matches a request whose access is within the rule's ("rw" does not
// allow an "rwm" request); a deny rule matches a request that asks for any
// of the rule's access (denying "w" denies an "rw" request), as v1 does.
//
// The program's context is struct bpf_cgroup_dev_ctx: u32 access_type
// (BPF_DEVCG_ACC_* << 16 | BPF_DEVCG_DEV_*), u32 major, u32 minor.
func deviceFilter(rules []specs.LinuxDeviceCgroup) ([]bpfInsn, error) {
	p := newProgram()
	p.add(opLdxMemW, r2, r1, 0, 0) // R2 = access_type
	p.add(opAnd32Imm, r2, 0, 0, 0xffff)
	p.add(opLdxMemW, r3, r1, 0, 0) // R3 = access_type >> 16
	p.add(opRsh32Imm, r3, 0, 0, 16)
	p.add(opLdxMemW, r4, r1, 4, 0) // R4 = major
	p.add(opLdxMemW, r5, r1, 8, 0) // R5 = minor
	for i := len(rules) - 1; i >= 0; i-- {
		next := "rule-" + strconv.Itoa(i)
		always, err := deviceRuleBlock(p, i, rules[i], next)
		if err != nil {
			return nil, err
		}
		if always {
			// It matches every request: what comes before it is dead
			// code, which the verifier refuses. (Still check the rest.)
			for j := i - 1; j >= 0; j-- {
				if _, err := deviceRuleBlock(newProgram(), j, rules[j], "x"); err != nil {
					return nil, err
				}
			}
			return p.resolve()
		}
		p.label(next)
	}
	p.add(opMov32Imm, r0, 0, 0, 0) // nothing matched: deny
	p.add(opExit, 0, 0, 0, 0)
	return p.resolve()
}

// deviceRuleBlock emits the test of one rule: a jump to next when it does
// not match, its verdict returned when it does. always reports a rule
// that matches every request (no test emitted).
func deviceRuleBlock(p *program, i int, r specs.LinuxDeviceCgroup, next string) (always bool, err error) {
	jumps0 := len(p.jumps)
	field := func(f string) string { return "linux.resources.devices[" + strconv.Itoa(i) + "]." + f }
	var acc int32
	access := r.Access
	if access == "" {
		access = "rwm"
	}
	for _, c := range access {
		switch c {
		case 'r':
			acc |= unix.BPF_DEVCG_ACC_READ
		case 'w':
			acc |= unix.BPF_DEVCG_ACC_WRITE
		case 'm':
			acc |= unix.BPF_DEVCG_ACC_MKNOD
		default:
			return false, fmt.Errorf("%s: unknown device access %q", field("access"), string(c))
		}
	}
	switch r.Type {
	case "", "a":
	case "c", "u":
		p.jump(opJneImm, r2, 0, unix.BPF_DEVCG_DEV_CHAR, next)
	case "b":
		p.jump(opJneImm, r2, 0, unix.BPF_DEVCG_DEV_BLOCK, next)
	default:
		return false, fmt.Errorf("%s: unknown device type %q", field("type"), r.Type)
	}
	const all = unix.BPF_DEVCG_ACC_READ | unix.BPF_DEVCG_ACC_WRITE | unix.BPF_DEVCG_ACC_MKNOD
	if acc != all {
		p.add(opMov32Reg, r1, r3, 0, 0)
		p.add(opAnd32Imm, r1, 0, 0, acc)
		if r.Allow {
			p.jump(opJneReg, r1, r3, 0, next) // not within the rule's access
		} else {
			p.jump(opJeqImm, r1, 0, 0, next) // none of the rule's access
		}
	}
	for _, n := range []struct {
		v    *int64
		reg  uint8
		name string
	}{{r.Major, r4, "major"}, {r.Minor, r5, "minor"}} {
		if n.v == nil || *n.v < 0 {
			continue // wildcard
		}
		if *n.v > math.MaxInt32 {
			return false, fmt.Errorf("%s: %d is out of range", field(n.name), *n.v)
		}
		p.jump(opJneImm, n.reg, 0, int32(*n.v), next)
	}
	verdict := int32(0)
	if r.Allow {
		verdict = 1
	}
	tests := len(p.jumps)
	p.add(opMov32Imm, r0, 0, 0, verdict)
	p.add(opExit, 0, 0, 0, 0)
	return tests == jumps0, nil
}
