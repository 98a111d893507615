package specconv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// rlimits are the names of process.rlimits types and their RLIMIT_* numbers.
var rlimits = [...]struct {
	name string
	num  int
}{
	{"RLIMIT_AS", unix.RLIMIT_AS},
	{"RLIMIT_CORE", unix.RLIMIT_CORE},
	{"RLIMIT_CPU", unix.RLIMIT_CPU},
	{"RLIMIT_DATA", unix.RLIMIT_DATA},
	{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE},
	{"RLIMIT_LOCKS", unix.RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", unix.RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", unix.RLIMIT_NICE},
	{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE},
	{"RLIMIT_NPROC", unix.RLIMIT_NPROC},
	{"RLIMIT_RSS", unix.RLIMIT_RSS},
	{"RLIMIT_RTPRIO", unix.RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", unix.RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", unix.RLIMIT_SIGPENDING},
	{"RLIMIT_STACK", unix.RLIMIT_STACK},
}

// RlimitNumber returns the RLIMIT_* number of an rlimit name.
func RlimitNumber(name string) (int, bool) {
	for _, r := range rlimits {
		if r.name == name {
			return r.num, true
		}
	}
	return 0, false
}

// convertRlimits maps process.rlimits; a type may appear only once and the
// soft limit may not exceed the hard one (setrlimit would fail).
func convertRlimits(field string, in []specs.POSIXRlimit) ([]configs.Rlimit, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]configs.Rlimit, 0, len(in))
	for i, rl := range in {
		f := idx(field, i)
		n, ok := RlimitNumber(rl.Type)
		if !ok {
			return nil, fieldErr(f+".type", "unknown rlimit %q", rl.Type)
		}
		for j, prev := range out {
			if prev.Type == n {
				return nil, fieldErr(f+".type", "duplicate of %s.type (%s)", idx(field, j), rl.Type)
			}
		}
		if rl.Soft > rl.Hard {
			return nil, fieldErr(f, "soft limit %d exceeds hard limit %d", rl.Soft, rl.Hard)
		}
		out = append(out, configs.Rlimit{Type: n, Soft: rl.Soft, Hard: rl.Hard})
	}
	return out, nil
}

// checkScheduler validates process.scheduler as sched_setattr(2) would
// (runc's checks plus known names and the real-time priority range).
func checkScheduler(f string, s *specs.Scheduler) error {
	switch s.Policy {
	case "":
		return fieldErr(f+".policy", "must be set")
	case specs.SchedOther, specs.SchedBatch:
		if s.Nice < -20 || s.Nice > 19 {
			return fieldErr(f+".nice", "%d is out of range [-20, 19]", s.Nice)
		}
	case specs.SchedFIFO, specs.SchedRR:
		if s.Priority < 1 || s.Priority > 99 {
			return fieldErr(f+".priority", "%d is out of range [1, 99] for %s", s.Priority, s.Policy)
		}
	case specs.SchedISO, specs.SchedIdle, specs.SchedDeadline:
	default:
		return fieldErr(f+".policy", "unknown policy %q", string(s.Policy))
	}
	if s.Priority != 0 && s.Policy != specs.SchedFIFO && s.Policy != specs.SchedRR {
		return fieldErr(f+".priority", "only valid with SCHED_FIFO or SCHED_RR")
	}
	if s.Policy != specs.SchedDeadline && (s.Runtime != 0 || s.Deadline != 0 || s.Period != 0) {
		return fieldErr(f, "runtime, deadline and period are only valid with SCHED_DEADLINE")
	}
	for i, fl := range s.Flags {
		switch fl {
		case specs.SchedFlagResetOnFork, specs.SchedFlagReclaim, specs.SchedFlagDLOverrun,
			specs.SchedFlagKeepPolicy, specs.SchedFlagKeepParams,
			specs.SchedFlagUtilClampMin, specs.SchedFlagUtilClampMax:
		default:
			return fieldErr(idx(f+".flags", i), "unknown flag %q", string(fl))
		}
	}
	return nil
}

// checkIOPriority validates process.ioPriority.
func checkIOPriority(f string, p *specs.LinuxIOPriority) error {
	switch p.Class {
	case specs.IOPRIO_CLASS_RT, specs.IOPRIO_CLASS_BE, specs.IOPRIO_CLASS_IDLE:
	default:
		return fieldErr(f+".class", "unknown class %q", string(p.Class))
	}
	if p.Priority < 0 || p.Priority > 7 {
		return fieldErr(f+".priority", "%d is out of range [0, 7]", p.Priority)
	}
	return nil
}

// KnownMemoryPolicyModes and KnownMemoryPolicyFlags are what
// checkMemoryPolicy accepts (for `husk features`).
func KnownMemoryPolicyModes() []string {
	return []string{string(specs.MpolDefault), string(specs.MpolBind), string(specs.MpolInterleave),
		string(specs.MpolWeightedInterleave), string(specs.MpolPreferred), string(specs.MpolPreferredMany),
		string(specs.MpolLocal)}
}

func KnownMemoryPolicyFlags() []string {
	return []string{string(specs.MpolFNumaBalancing), string(specs.MpolFRelativeNodes), string(specs.MpolFStaticNodes)}
}

// checkMemoryPolicy validates linux.memoryPolicy as set_mempolicy(2)
// would, so that a bad one is named before anything is made.
func checkMemoryPolicy(f string, mp *specs.LinuxMemoryPolicy) error {
	switch mp.Mode {
	case specs.MpolDefault, specs.MpolLocal:
		if mp.Nodes != "" {
			return fieldErr(f+".nodes", "must be empty for %s", string(mp.Mode))
		}
	case specs.MpolPreferred: // no nodes: allocate on the local node
	case specs.MpolBind, specs.MpolInterleave, specs.MpolWeightedInterleave, specs.MpolPreferredMany:
		if mp.Nodes == "" {
			return fieldErr(f+".nodes", "required for %s", string(mp.Mode))
		}
	case "":
		return fieldErr(f+".mode", "required")
	default:
		return fieldErr(f+".mode", "unknown mode %q", string(mp.Mode))
	}
	if _, err := ParseCPUList(mp.Nodes); err != nil {
		return fieldErr(f+".nodes", "invalid node list %q", mp.Nodes)
	}
	var static, relative bool
	for i, fl := range mp.Flags {
		switch fl {
		case specs.MpolFStaticNodes:
			static = true
		case specs.MpolFRelativeNodes:
			relative = true
		case specs.MpolFNumaBalancing:
		default:
			return fieldErr(idx(f+".flags", i), "unknown flag %q", string(fl))
		}
	}
	if static && relative {
		return fieldErr(f+".flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined")
	}
	if (static || relative) && (mp.Mode == specs.MpolDefault || mp.Mode == specs.MpolLocal) {
		return fieldErr(f+".flags", "node flags need a node list, %s has none", string(mp.Mode))
	}
	return nil
}

// MaxCPUs bounds the CPU numbers of a CPU list (the kernel's NR_CPUS limit).
const MaxCPUs = 8192

// ParseCPUList parses a CPU list ("0-3,7,9-10", as in cpuset.cpus) into a
// bitmask: bit n of word n/64 is CPU n. An empty list gives nil.
func ParseCPUList(s string) ([]uint64, error) {
	if s == "" {
		return nil, nil
	}
	var mask []uint64
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		lo, hi, isRange := strings.Cut(r, "-")
		first, err := cpuNumber(lo)
		if err != nil {
			return nil, fmt.Errorf("invalid CPU list %q: %w", s, err)
		}
		last := first
		if isRange {
			if last, err = cpuNumber(hi); err != nil {
				return nil, fmt.Errorf("invalid CPU list %q: %w", s, err)
			}
			if last < first {
				return nil, fmt.Errorf("invalid CPU list %q: range %q is reversed", s, r)
			}
		}
		for need := last/64 + 1; len(mask) < need; {
			mask = append(mask, 0)
		}
		for c := first; c <= last; c++ {
			mask[c/64] |= 1 << uint(c%64)
		}
	}
	return mask, nil
}

func cpuNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty CPU number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || s[0] == '+' {
		return 0, fmt.Errorf("%q is not a CPU number", s)
	}
	if n >= MaxCPUs {
		return 0, fmt.Errorf("CPU %d is beyond the limit of %d CPUs", n, MaxCPUs)
	}
	return n, nil
}
