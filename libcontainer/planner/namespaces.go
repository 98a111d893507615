package planner

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// CloneFlag maps a namespace type to its CLONE_NEW* flag.
func CloneFlag(t configs.NamespaceType) uintptr {
	switch t {
	case configs.NEWNS:
		return unix.CLONE_NEWNS
	case configs.NEWUTS:
		return unix.CLONE_NEWUTS
	case configs.NEWIPC:
		return unix.CLONE_NEWIPC
	case configs.NEWUSER:
		return unix.CLONE_NEWUSER
	case configs.NEWPID:
		return unix.CLONE_NEWPID
	case configs.NEWNET:
		return unix.CLONE_NEWNET
	case configs.NEWCGROUP:
		return unix.CLONE_NEWCGROUP
	case configs.NEWTIME:
		return unix.CLONE_NEWTIME
	}
	return 0
}

// joinOrder is the order namespaces are joined in: the user namespace
// first (it grants the capabilities to join the others), the mount
// namespace late (its paths would no longer resolve afterwards), pid and
// time last (they only take effect for the forked child).
var joinOrder = []configs.NamespaceType{
	configs.NEWUSER, configs.NEWIPC, configs.NEWUTS, configs.NEWNET,
	configs.NEWCGROUP, configs.NEWNS, configs.NEWPID, configs.NEWTIME,
}

func joinRank(t configs.NamespaceType) int {
	for i, x := range joinOrder {
		if x == t {
			return i
		}
	}
	return len(joinOrder)
}

// planNamespaces decides which namespaces are made at clone time and which
// by the init (joins, unshares, a fork), and emits the init's part.
//
// Fast path (the common case): every namespace is new, or none of the
// joins needs ordering against a new user namespace — Go clones the init
// straight into the new namespaces (and writes the id maps), the init only
// joins the others and unshares the cgroup namespace (after the parent put
// it in its cgroups). Slow path (a joined user or pid namespace, a new
// time namespace, joins next to a new user namespace): the init is cloned
// in the runtime's namespaces, joins, unshares, and forks the payload.
func planNamespaces(r *Result, cfg *configs.Config) {
	var joins []configs.Namespace
	var newFlags uintptr
	for _, ns := range cfg.Namespaces {
		if ns.Path != "" {
			joins = append(joins, ns)
		} else {
			newFlags |= CloneFlag(ns.Type)
		}
	}
	sort.SliceStable(joins, func(i, j int) bool { return joinRank(joins[i].Type) < joinRank(joins[j].Type) })
	joinsPidOrUser := false
	for _, ns := range joins {
		if ns.Type == configs.NEWPID || ns.Type == configs.NEWUSER {
			joinsPidOrUser = true
		}
	}
	slow := joinsPidOrUser || newFlags&unix.CLONE_NEWTIME != 0 ||
		(len(joins) > 0 && newFlags&unix.CLONE_NEWUSER != 0)
	p := r.Plan
	if !slow {
		r.Cloneflags = newFlags &^ (unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME)
		if newFlags&unix.CLONE_NEWUSER != 0 {
			r.UidMappings = sysMaps(cfg.UIDMappings)
			r.GidMappings = sysMaps(cfg.GIDMappings)
			r.Setgroups = true
		}
		for _, ns := range joins {
			p.Add(initplan.OpSetns, initplan.U(uint64(CloneFlag(ns.Type))), initplan.S(ns.Path))
		}
		if newFlags&unix.CLONE_NEWCGROUP != 0 {
			p.Add(initplan.OpUnshare, initplan.U(unix.CLONE_NEWCGROUP))
		}
		return
	}
	// Slow path: joins first (user first), except pid and time which only
	// affect children and come right before the fork.
	var late []configs.Namespace
	for _, ns := range joins {
		if ns.Type == configs.NEWPID || ns.Type == configs.NEWTIME {
			late = append(late, ns)
			continue
		}
		p.Add(initplan.OpSetns, initplan.U(uint64(CloneFlag(ns.Type))), initplan.S(ns.Path))
	}
	if newFlags&unix.CLONE_NEWUSER != 0 {
		p.Add(initplan.OpUnshare, initplan.U(unix.CLONE_NEWUSER))
		p.Add(initplan.OpUsernsSync)
		// Become root of the new namespace (now mapped) before the rest.
		p.Add(initplan.OpUser, initplan.I(0), initplan.I(0), initplan.U32s(nil), initplan.I(0))
	}
	if rest := newFlags &^ unix.CLONE_NEWUSER; rest != 0 {
		p.Add(initplan.OpUnshare, initplan.U(uint64(rest)))
	}
	if newFlags&unix.CLONE_NEWTIME != 0 && len(cfg.TimeOffsets) > 0 {
		p.Add(initplan.OpTimeOffsets, initplan.S(timeOffsets(cfg)))
	}
	for _, ns := range late {
		p.Add(initplan.OpSetns, initplan.U(uint64(CloneFlag(ns.Type))), initplan.S(ns.Path))
	}
	p.Add(initplan.OpFork)
	r.Forks = true
}

// planExecNamespaces joins every namespace of a running container and forks
// so that the pid and time namespaces apply to the payload.
func planExecNamespaces(r *Result, cfg *configs.Config, o *Options) {
	p := r.Plan
	paths := append([]NsPath(nil), o.NsPaths...)
	sort.SliceStable(paths, func(i, j int) bool { return joinRank(paths[i].Type) < joinRank(paths[j].Type) })
	fork := false
	for _, ns := range paths {
		p.Add(initplan.OpSetns, initplan.U(uint64(CloneFlag(ns.Type))), initplan.S(ns.Path))
		if ns.Type == configs.NEWPID || ns.Type == configs.NEWTIME {
			fork = true
		}
	}
	if fork {
		p.Add(initplan.OpFork)
		r.Forks = true
	}
}

// timeOffsets renders linux.timeOffsets for /proc/self/timens_offsets.
func timeOffsets(cfg *configs.Config) string {
	var sb strings.Builder
	keys := make([]string, 0, len(cfg.TimeOffsets))
	for k := range cfg.TimeOffsets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o := cfg.TimeOffsets[k]
		fmt.Fprintf(&sb, "%s %d %d\n", k, o.Secs, o.Nanosecs)
	}
	return sb.String()
}

func sysMaps(m []configs.IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, x := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(x.ContainerID), HostID: int(x.HostID), Size: int(x.Size)}
	}
	return out
}
