// Package planner turns a resolved container configuration into the init
// plan that husk's C init executes: every decision (order, flags, paths) is
// made here, in Go, where it can be unit-tested without root; the init only
// carries it out. The order follows runc's init: namespaces, rootfs, hooks,
// pivot_root, console, finalize, credentials, seccomp, exec.
package planner

import (
	"syscall"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// Mode says which plan to build.
type Mode int

const (
	// ModeCreate builds a container's init that waits on the exec fifo.
	ModeCreate Mode = iota
	// ModeRun builds a container's init that execs right away (husk run).
	ModeRun
	// ModeExec builds a process joining a running container.
	ModeExec
)

// NsPath is a namespace to join for exec.
type NsPath struct {
	Type configs.NamespaceType
	Path string
}

// CgroupMount is one piece of what a "cgroup" mount shows in the container,
// relative to the mount's destination: a mount (Source/FSType/Data) on Dest,
// or, when Symlink is set, a symlink Dest -> Symlink.
type CgroupMount struct {
	Source  string
	Dest    string
	FSType  string
	Data    string
	Flags   uintptr
	Symlink string
}

// CgroupTask is the child's fd of one v1 "tasks" file, opened by the
// caller, that the init writes "0" to (OpCgroupJoin); Path names it in
// errors.
type CgroupTask struct {
	Fd   int
	Path string
}

// Options are the runtime facts the plan depends on.
type Options struct {
	Mode Mode
	// ID is the container id (session keyring name).
	ID string
	// Process overrides cfg.Process (exec).
	Process *configs.Process
	// FifoFd is the child's fd of the exec fifo (ModeCreate).
	FifoFd int
	// PreserveFds is the number of fds after stdio passed to the payload.
	PreserveFds int
	// NsPaths are the container's namespaces (ModeExec), in join order.
	NsPaths []NsPath
	// ExecRoot is the root to chroot into (ModeExec of a container that
	// has no mount namespace of its own: /proc/<init>/root).
	ExecRoot string
	// CgroupMounts expands "cgroup" mounts (computed by the cgroup manager).
	CgroupMounts func(cgroupns bool) []CgroupMount
	// Hooks tells whether prestart/createRuntime hooks must run (a sync
	// round trip) and which createContainer/startContainer hooks the init runs.
	Hooks configs.Hooks
	// Seccomp is the compiled filter (nil: none).
	Seccomp *Seccomp
	// IDMapFds are the child's fds of the detached idmapped mounts (made
	// by the caller, see package idmap), by index in cfg.Mounts; the init
	// attaches them instead of mounting. Required for every idmapped mount.
	IDMapFds map[int]int
	// HostDevices uses bind mounts instead of mknod (user namespaces).
	HostDevices bool
	// CgroupTasks, when set, make the init join its v1 cgroups itself,
	// right after execCPUAffinity.initial and before anything else, so
	// that all it does (and forks) is accounted there; the caller then
	// joins nothing (LateCgroupJoin is ignored).
	CgroupTasks []CgroupTask
	// LateCgroupJoin lets the caller move the init into its cgroups while
	// the init sets up the rootfs: the plan then waits for it (OpCgroupSync)
	// before the process set-up. Ignored where the init depends on its
	// cgroups early (a new cgroup namespace, a forked payload).
	LateCgroupJoin bool
	// cgroupSync is LateCgroupJoin where it applies (Build sets it).
	cgroupSync bool
}

// Seccomp is a compiled seccomp program.
type Seccomp struct {
	Program []byte // n x struct sock_filter
	Flags   uint64
	Notify  bool
}

// Result is a plan and how to start its child.
type Result struct {
	Plan        *initplan.Plan
	Cloneflags  uintptr
	UidMappings []syscall.SysProcIDMap
	GidMappings []syscall.SysProcIDMap
	// Setgroups enables setgroups(2) in a new user namespace created at clone.
	Setgroups bool
	// Forks is true when the init forks (OpFork): the payload is a child
	// of the started process (CLONE_PARENT makes it ours).
	Forks bool
	// CgroupSync is true when the plan waits for the caller to join the
	// init to its cgroups (SyncCgroup), see Options.LateCgroupJoin.
	CgroupSync bool
}

// Build makes the plan.
func Build(cfg *configs.Config, o *Options) (*Result, error) {
	r := &Result{Plan: initplan.New()}
	proc := cfg.Process
	if o.Process != nil {
		proc = o.Process
	}
	if o.Mode == ModeExec {
		if err := planInitialAffinity(r.Plan, proc); err != nil {
			return nil, err
		}
		planCgroupJoin(r.Plan, o)
		planExecNamespaces(r, cfg, o)
		if o.LateCgroupJoin && len(o.CgroupTasks) == 0 {
			oc := *o
			oc.cgroupSync = true
			o = &oc
			r.CgroupSync = true
		}
		if o.ExecRoot != "" {
			r.Plan.Add(initplan.OpChroot, initplan.S(o.ExecRoot))
		}
		r.Plan.Add(initplan.OpSetsid)
		if err := planProcess(r.Plan, cfg, proc, o, false); err != nil {
			return nil, err
		}
		return r, nil
	}
	if err := planInitialAffinity(r.Plan, proc); err != nil {
		return nil, err
	}
	planCgroupJoin(r.Plan, o)
	if proc.OOMScoreAdj != nil {
		// Before any new user namespace: lowering it needs host privileges.
		r.Plan.Add(initplan.OpOOMScoreAdj, initplan.I(int64(*proc.OOMScoreAdj)))
	}
	planNamespaces(r, cfg)
	if o.LateCgroupJoin && len(o.CgroupTasks) == 0 && !r.Forks && !cfg.HasNamespace(configs.NEWCGROUP) {
		oc := *o
		oc.cgroupSync = true
		o = &oc
		r.CgroupSync = true
	}
	r.Plan.Add(initplan.OpSetsid)
	if err := planRootfs(r.Plan, cfg, proc, o); err != nil {
		return nil, err
	}
	if err := planProcess(r.Plan, cfg, proc, o, true); err != nil {
		return nil, err
	}
	return r, nil
}

// planCgroupJoin: the init moves itself into each v1 cgroup (see
// Options.CgroupTasks).
func planCgroupJoin(p *initplan.Plan, o *Options) {
	for _, t := range o.CgroupTasks {
		p.Add(initplan.OpCgroupJoin, initplan.I(int64(t.Fd)), initplan.S(t.Path))
	}
}

// planInitialAffinity: execCPUAffinity.initial is the init's first op,
// before it joins the container's cgroups (runtime-spec 1.3).
func planInitialAffinity(p *initplan.Plan, proc *configs.Process) error {
	if a := proc.ExecCPUAffinity; a != nil && a.Initial != "" {
		m, err := cpuMask(a.Initial)
		if err != nil {
			return fieldErrf("process.execCPUAffinity.initial", err)
		}
		p.Add(initplan.OpAffinity, initplan.B(m))
	}
	return nil
}
