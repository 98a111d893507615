// Package cgroups is husk's cgroup library: the Manager interface, the
// choice of driver for the host layout, and what a "cgroup" mount shows
// inside the container. The drivers live in sub-packages: fs (cgroup v1,
// also on hybrid hosts), fs2 (cgroup v2) and systemd (transient scopes, on
// v2 over fs2 and on v1 over fs);
// the shared helpers in common.
//
// Typical use by the runtime:
//
//	m, err := cgroups.New(cfg.Cgroups)   // resolve paths, check resources
//	err = m.Apply(-1)                    // create the cgroups (or Apply(pid))
//	err = m.Set(cfg.Cgroups.Resources)   // write the limits
//	// start the init process; then on v1/hybrid:
//	err = m.Join(pid, "")                // (v2: clone3 CLONE_INTO_CGROUP into Paths()[""])
//	state.CgroupPaths = m.Paths()        // persist; later: cgroups.Load(paths)
//
// Nothing runs at package initialisation and no goroutine is ever started;
// /proc/self/cgroup and mountinfo are read once per process, on first use.
package cgroups

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
	"github.com/husk-runtime/husk/libcontainer/cgroups/systemd"
	"github.com/husk-runtime/husk/libcontainer/configs"
)

// Manager controls the cgroups of one container.
type Manager interface {
	// Apply creates the cgroup directories (parents included) and moves
	// pid into them; pid -1 only creates them (for clone3
	// CLONE_INTO_CGROUP, or a later Join). A pre-existing cgroup holding
	// processes, or a frozen one, is refused with an error (never a hang).
	// Directories created by a failed Apply are removed again.
	Apply(pid int) error
	// Set writes every field of r, in an order the kernel accepts; nil
	// writes nothing. Absent (nil) fields leave the cgroup as it is. A
	// field the host cannot honour is an error naming it
	// ("linux.resources.memory.swap: ...", see FieldError).
	Set(r *specs.LinuxResources) error
	// Join moves pid (an exec'd process) into the container's cgroups, or
	// into the existing sub-cgroup sub (relative, no ".."). On v1, sub may
	// also be runc's per-controller form "ctrl[,ctrl]:path", several
	// entries separated by ';'; hierarchies not named use the container's
	// own cgroup.
	Join(pid int, sub string) error
	// Paths maps each controller (v1; "name=systemd" too) to the
	// container's host directory; "" is the cgroup2 directory (pure v2, or
	// hybrid hosts). Persist it in the state file and give it to Load.
	Paths() map[string]string
	// Pids lists every process in the container's cgroups, sub-cgroups
	// included.
	Pids() ([]int, error)
	// Freeze freezes the container and returns once it is frozen.
	Freeze() error
	// Thaw thaws the container.
	Thaw() error
	// State reports whether the container is frozen (paused).
	State() (frozen bool, err error)
	// Kill sends sig to every process of the container (SIGKILL through
	// cgroup.kill where possible, else process by process with the cgroup
	// frozen, as runc). An empty cgroup is left alone.
	Kill(sig unix.Signal) error
	// Destroy removes the container's cgroups and any sub-cgroups. It is
	// idempotent: cgroups that are already gone are no error.
	Destroy() error
	// Exists reports whether the container's cgroup exists.
	Exists() bool
	// Stats reads the statistics (runc's `events --stats` data).
	Stats() (*Stats, error)
	// NotifyOOM returns a pollable OOM event source (no goroutine).
	NotifyOOM() (OOMWatcher, error)
	// OOMKillCount returns how many processes the OOM killer killed.
	OOMKillCount() (uint64, error)
}

var (
	_ Manager = (*fs.Manager)(nil)
	_ Manager = (*fs2.Manager)(nil)
	_ Manager = (*systemd.Manager)(nil)
	_ Manager = (*systemd.LegacyManager)(nil)
)

// TaskFiles returns, for a cgroup v1 (or hybrid) manager, the "tasks" file
// of each of the container's v1 cgroups: a single-threaded process (the
// init child before it starts threads) joins them by writing "0" to each,
// which moves only the calling thread and so avoids the global threadgroup
// lock that a cgroup.procs write takes — the first such write after a
// quiet period waits for an RCU grace period, milliseconds on a busy host.
// The cgroups must exist (Apply(-1)); on hybrid hosts the cgroup2
// directory (Paths()[""]) is joined with clone3(CLONE_INTO_CGROUP) or
// Join. It returns nil for cgroup v2 managers.
func TaskFiles(m Manager) []string {
	switch fm := m.(type) {
	case *fs.Manager:
		return fm.TaskFiles()
	case *systemd.LegacyManager:
		return fm.TaskFiles() // nil until the unit is started
	}
	return nil
}

// JoinCreates reports whether the init's join creates the container's
// cgroups (a systemd scope not started yet): nothing can be opened or
// bind-mounted before that join.
func JoinCreates(m Manager) bool {
	switch sm := m.(type) {
	case *systemd.Manager:
		return !sm.Started()
	case *systemd.LegacyManager:
		return !sm.Started()
	}
	return false
}

// Re-exported types of package common.
type (
	Stats          = common.Stats
	CPUStats       = common.CPUStats
	CPUUsage       = common.CPUUsage
	ThrottlingData = common.ThrottlingData
	MemoryStats    = common.MemoryStats
	MemoryData     = common.MemoryData
	PidsStats      = common.PidsStats
	BlkioStats     = common.BlkioStats
	BlkioStatEntry = common.BlkioStatEntry
	HugetlbStats   = common.HugetlbStats
	RdmaStats      = common.RdmaStats
	PSIStats       = common.PSIStats
	OOMWatcher     = common.OOMWatcher
	FieldError     = common.FieldError
	Layout         = common.Layout
	Mode           = common.Mode
)

// Host layouts.
const (
	Legacy  = common.Legacy
	Hybrid  = common.Hybrid
	Unified = common.Unified
)

var (
	// ErrNotImplemented: the systemd driver and the v2 device filter.
	ErrNotImplemented = common.ErrNotImplemented
	// ErrNotExist: the container's cgroup is gone (from Kill).
	ErrNotExist = common.ErrNotExist
)

// GetLayout returns the host's cgroup layout (read once, then cached).
func GetLayout() (*Layout, error) { return common.GetLayout() }

// HostMode returns the host's cgroup layout: Legacy, Hybrid or Unified.
func HostMode() (Mode, error) {
	l, err := common.GetLayout()
	if err != nil {
		return 0, err
	}
	return l.Mode, nil
}

// New picks the driver from the host layout (v1, hybrid, pure v2) and
// cfg.Systemd, and resolves the paths, without creating anything yet. The
// resources are checked against what the host offers (a field needing a
// controller that is not mounted is an error naming the field).
func New(cfg *configs.Cgroup) (Manager, error) {
	l, err := common.GetLayout()
	if err != nil {
		return nil, err
	}
	return NewWithLayout(l, cfg)
}

// NewWithLayout is New for a given layout (tests, or a runtime that
// computed the layout itself).
func NewWithLayout(l *Layout, cfg *configs.Cgroup) (Manager, error) {
	if cfg == nil {
		return nil, errors.New("cgroups: no cgroup configuration")
	}
	if cfg.Systemd {
		if l.Mode != common.Unified {
			m, err := systemd.NewLegacy(l, cfg.Path, cfg.Name, cfg.Resources)
			if err != nil {
				return nil, err
			}
			return m, nil
		}
		m, err := systemd.New(l, cfg.Path, cfg.Name, cfg.Resources)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	// No typed nil in the interface on error: callers test for nil.
	switch l.Mode {
	case common.Legacy, common.Hybrid:
		m, err := fs.New(l, cfg.Path, cfg.Name, cfg.Resources)
		if err != nil {
			return nil, err
		}
		return m, nil
	case common.Unified:
		m, err := fs2.New(l, cfg.Path, cfg.Name, cfg.Resources)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("cgroups: unsupported cgroup layout %v", l.Mode)
}

// Load re-creates a manager for an existing container from what Paths()
// returned (persisted in the state file).
func Load(paths map[string]string) (Manager, error) {
	l, err := common.GetLayout()
	if err != nil {
		return nil, err
	}
	return LoadWithLayout(l, paths)
}

// LoadWithLayout is Load for a given layout.
func LoadWithLayout(l *Layout, paths map[string]string) (Manager, error) {
	if len(paths) == 0 {
		return nil, errors.New("cgroups: no saved cgroup paths")
	}
	if l.Mode == common.Unified {
		dir, ok := paths[""]
		if !ok || len(paths) != 1 {
			return nil, fmt.Errorf("cgroups: saved paths %v are not those of a cgroup v2 container", paths)
		}
		if systemd.IsScopeDir(dir) {
			m, err := systemd.Load(l, dir)
			if err != nil {
				return nil, err
			}
			return m, nil
		}
		m, err := fs2.Load(l, dir)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	if systemd.IsLegacyScope(paths) {
		m, err := systemd.LoadLegacy(l, paths)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	m, err := fs.Load(l, paths)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DefaultDeviceRules returns the device rules runc appends to every
// container's linux.resources.devices (after the config's own): mknod of
// any node, and rwm on /dev/null, zero, full, random, urandom, tty, the
// pty master and slaves, and /dev/net/tun. Entries for a path in skipPaths
// (the config's own linux.devices, which take priority) are left out.
// The caller (spec conversion) decides to use them; Set writes exactly the
// rules it is given.
func DefaultDeviceRules(skipPaths ...string) []specs.LinuxDeviceCgroup {
	i := func(v int64) *int64 { return &v }
	defaults := []struct {
		path string
		rule specs.LinuxDeviceCgroup
	}{
		{"", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(-1), Minor: i(-1), Access: "m"}},
		{"", specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: i(-1), Minor: i(-1), Access: "m"}},
		{"/dev/null", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(3), Access: "rwm"}},
		{"/dev/random", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(8), Access: "rwm"}},
		{"/dev/full", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(7), Access: "rwm"}},
		{"/dev/tty", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(5), Minor: i(0), Access: "rwm"}},
		{"/dev/zero", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(5), Access: "rwm"}},
		{"/dev/urandom", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(9), Access: "rwm"}},
		{"", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(136), Minor: i(-1), Access: "rwm"}}, // /dev/pts/*
		{"", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(5), Minor: i(2), Access: "rwm"}},    // /dev/ptmx
		{"", specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(10), Minor: i(200), Access: "rwm"}}, // /dev/net/tun
	}
	out := make([]specs.LinuxDeviceCgroup, 0, len(defaults))
next:
	for _, d := range defaults {
		for _, p := range skipPaths {
			if d.path != "" && p == d.path {
				continue next
			}
		}
		out = append(out, d.rule)
	}
	return out
}
