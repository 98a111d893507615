package planner

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// planProcess emits the process set-up in runc's order: console (exec),
// keyring, rlimits, personality, scheduling, no_new_privs, seccomp when it
// needs privileges, fds, bounding set, user, capabilities, umask, cwd,
// executable lookup, late seccomp, ready, the start barrier, startContainer
// hooks, exec.
func planProcess(p *initplan.Plan, cfg *configs.Config, proc *configs.Process, o *Options, isInit bool) error {
	if !isInit {
		if proc.Terminal {
			p.Add(initplan.OpConsole, initplan.I(int64(proc.ConsoleHeight)), initplan.I(int64(proc.ConsoleWidth)),
				initplan.I(int64(proc.UID)), initplan.I(int64(proc.GID)), initplan.I(0))
		}
		if proc.OOMScoreAdj != nil {
			p.Add(initplan.OpOOMScoreAdj, initplan.I(int64(*proc.OOMScoreAdj)))
		}
	}
	// LSM labels, through the verified procfs (OpLabel): the session
	// keyring is created with the SELinux label, and both labels take
	// effect at the payload's execve.
	if proc.SelinuxLabel != "" && isInit && !cfg.NoNewKeyring {
		p.Add(initplan.OpLabel, initplan.S("keycreate"), initplan.S(proc.SelinuxLabel))
	}
	if isInit && !cfg.NoNewKeyring {
		p.Add(initplan.OpKeyring, initplan.S("_ses."+o.ID))
	}
	if proc.ApparmorProfile != "" {
		p.Add(initplan.OpLabel, initplan.S("apparmor/exec"), initplan.S("exec "+proc.ApparmorProfile))
	}
	if proc.SelinuxLabel != "" {
		p.Add(initplan.OpLabel, initplan.S("exec"), initplan.S(proc.SelinuxLabel))
	}
	for _, rl := range proc.Rlimits {
		p.Add(initplan.OpRlimit, initplan.I(int64(rl.Type)), initplan.U(rl.Soft), initplan.U(rl.Hard))
	}
	if isInit && cfg.Personality != nil {
		p.Add(initplan.OpPersonality, initplan.U(personality(string(cfg.Personality.Domain))))
	}
	if s := proc.Scheduler; s != nil {
		var flags uint64
		for _, f := range s.Flags {
			flags |= schedFlag(string(f))
		}
		p.Add(initplan.OpScheduler, initplan.I(schedPolicy(string(s.Policy))), initplan.I(int64(s.Nice)),
			initplan.I(int64(s.Priority)), initplan.U(flags), initplan.U(s.Runtime), initplan.U(s.Deadline), initplan.U(s.Period))
	}
	if io := proc.IOPriority; io != nil {
		p.Add(initplan.OpIOPrio, initplan.I(ioprioClass(string(io.Class))), initplan.I(int64(io.Priority)))
	}
	if mp := cfg.MemoryPolicy; mp != nil {
		if err := addMemPolicy(p, mp); err != nil {
			return err
		}
	}
	if proc.NoNewPrivileges {
		p.Add(initplan.OpNoNewPrivs)
	}
	// Before any filter: close_range may not be in the profile.
	p.Add(initplan.OpCloseFds, initplan.I(int64(3+o.PreserveFds)))
	if o.Seccomp != nil && !proc.NoNewPrivileges {
		addSeccomp(p, o.Seccomp)
	}
	if proc.Capabilities != nil {
		p.Add(initplan.OpCapBounding, initplan.U(proc.Capabilities.Bounding))
	}
	setgroups := int64(1)
	if cfg.HasNamespace(configs.NEWUSER) && len(proc.AdditionalGids) == 0 {
		setgroups = 0 // leave the (possibly denied) group list alone
	}
	p.Add(initplan.OpUser, initplan.I(int64(proc.UID)), initplan.I(int64(proc.GID)),
		initplan.U32s(proc.AdditionalGids), initplan.I(setgroups))
	if c := proc.Capabilities; c != nil {
		p.Add(initplan.OpCaps, initplan.U(c.Effective), initplan.U(c.Permitted), initplan.U(c.Inheritable), initplan.U(c.Ambient))
	}
	umask := uint32(0o022)
	if proc.Umask != nil {
		umask = *proc.Umask
	}
	p.Add(initplan.OpUmask, initplan.I(int64(umask)))
	if proc.Cwd != "" {
		p.Add(initplan.OpChdir, initplan.S(proc.Cwd))
	}
	p.Add(initplan.OpLookup, initplan.S(proc.Args[0]), initplan.S(envValue(proc.Env, "PATH")))
	if o.Seccomp != nil && proc.NoNewPrivileges {
		addSeccomp(p, o.Seccomp)
	}
	if o.cgroupSync {
		p.Add(initplan.OpCgroupSync)
	}
	// execCPUAffinity.final: after the move into the container's cgroups.
	if a := proc.ExecCPUAffinity; a != nil && a.Final != "" {
		m, err := cpuMask(a.Final)
		if err != nil {
			return fieldErrf("process.execCPUAffinity.final", err)
		}
		p.Add(initplan.OpAffinity, initplan.B(m))
	}
	p.Add(initplan.OpReady)
	if o.Mode == ModeCreate {
		p.Add(initplan.OpWaitStart, initplan.I(int64(o.FifoFd)))
	}
	if isInit {
		addHooks(p, configs.StartContainer, o.Hooks[configs.StartContainer])
	}
	p.Add(initplan.OpExec, initplan.L(proc.Args), initplan.L(proc.Env))
	return nil
}

func addSeccomp(p *initplan.Plan, s *Seccomp) {
	p.Add(initplan.OpSeccomp, initplan.B(s.Program), initplan.U(s.Flags), initplan.I(b2i(s.Notify)))
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func personality(domain string) uint64 {
	if domain == "LINUX32" {
		return 0x0008 // PER_LINUX32
	}
	return 0 // PER_LINUX
}

func schedPolicy(p string) int64 {
	switch p {
	case "SCHED_FIFO":
		return unix.SCHED_FIFO
	case "SCHED_RR":
		return unix.SCHED_RR
	case "SCHED_BATCH":
		return unix.SCHED_BATCH
	case "SCHED_ISO":
		return 4
	case "SCHED_IDLE":
		return unix.SCHED_IDLE
	case "SCHED_DEADLINE":
		return 6
	}
	return unix.SCHED_NORMAL
}

func schedFlag(f string) uint64 {
	switch f {
	case "SCHED_FLAG_RESET_ON_FORK":
		return 0x01
	case "SCHED_FLAG_RECLAIM":
		return 0x02
	case "SCHED_FLAG_DL_OVERRUN":
		return 0x04
	case "SCHED_FLAG_KEEP_POLICY":
		return 0x08
	case "SCHED_FLAG_KEEP_PARAMS":
		return 0x10
	case "SCHED_FLAG_UTIL_CLAMP_MIN":
		return 0x20
	case "SCHED_FLAG_UTIL_CLAMP_MAX":
		return 0x40
	}
	return 0
}

func ioprioClass(c string) int64 {
	switch c {
	case "IOPRIO_CLASS_RT":
		return 1
	case "IOPRIO_CLASS_BE":
		return 2
	case "IOPRIO_CLASS_IDLE":
		return 3
	}
	return 0
}

// cpuMask turns a CPU list ("0-3,7") into a sched_setaffinity mask.
func cpuMask(list string) ([]byte, error) {
	var mask []byte
	for _, r := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(r), "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid CPU list %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("invalid CPU list %q", list)
			}
		}
		for c := a; c <= b; c++ {
			for uint64(len(mask)) < c/8+1 {
				mask = append(mask, 0)
			}
			mask[c/8] |= 1 << (c % 8)
		}
	}
	for len(mask)%8 != 0 { // whole unsigned longs
		mask = append(mask, 0)
	}
	return mask, nil
}

func fieldErrf(field string, err error) error { return fmt.Errorf("%s: %w", field, err) }

// Memory policy modes and mode flags (linux/mempolicy.h).
var (
	mpolModes = map[string]int64{
		"MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2, "MPOL_INTERLEAVE": 3,
		"MPOL_LOCAL": 4, "MPOL_PREFERRED_MANY": 5, "MPOL_WEIGHTED_INTERLEAVE": 6,
	}
	mpolFlags = map[string]int64{
		"MPOL_F_NUMA_BALANCING": 1 << 13, "MPOL_F_RELATIVE_NODES": 1 << 14, "MPOL_F_STATIC_NODES": 1 << 15,
	}
)

// addMemPolicy emits linux.memoryPolicy (validated by specconv) as one
// set_mempolicy: mode|flags and the node mask in unsigned longs.
func addMemPolicy(p *initplan.Plan, mp *specs.LinuxMemoryPolicy) error {
	mode, ok := mpolModes[string(mp.Mode)]
	if !ok {
		return fmt.Errorf("linux.memoryPolicy.mode: unknown mode %q", mp.Mode)
	}
	for _, f := range mp.Flags {
		v, ok := mpolFlags[string(f)]
		if !ok {
			return fmt.Errorf("linux.memoryPolicy.flags: unknown flag %q", f)
		}
		mode |= v
	}
	var mask []uint64
	if mp.Nodes != "" {
		b, err := cpuMask(mp.Nodes)
		if err != nil {
			return fmt.Errorf("linux.memoryPolicy.nodes: invalid node list %q", mp.Nodes)
		}
		mask = make([]uint64, len(b)/8)
		for i := range mask {
			mask[i] = binary.LittleEndian.Uint64(b[i*8:])
		}
	}
	p.Add(initplan.OpMemPolicy, initplan.I(mode), initplan.U64s(mask))
	return nil
}
