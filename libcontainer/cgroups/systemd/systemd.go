// Package systemd is the systemd cgroup driver (--systemd-cgroup): the
// container's cgroup is a transient scope unit that systemd creates over
// D-Bus (cgroupsPath "slice:prefix:name", unit prefix-name.scope in the
// slice), with Delegate=yes; resources are given to systemd as unit
// properties where systemd knows them and written to the cgroup v2 files
// by the fs2 driver, which also does everything else (device filter,
// freeze, kill, stats). On cgroup v1 hosts (legacy, hybrid) the
// LegacyManager of v1.go does the same with the fs (v1) driver.
//
// A scope cannot exist without a process: the unit is started when the
// first process joins (Apply or Join with the container's init), so the
// init is moved in by systemd while it sets up its rootfs.
package systemd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
)

// Manager drives one container's scope unit.
type Manager struct {
	*fs2.Manager        // the scope's cgroup directory
	unit, slice  string // "prefix-name.scope", "system.slice"
	desc         string
	res          *specs.LinuxResources
	started      bool
}

// Running reports whether systemd is the host's init (sd_booted).
func Running() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// New resolves the unit and its cgroup directory without starting it.
// path is "slice:prefix:name" ("" for system.slice:husk:<name>).
func New(l *common.Layout, path, name string, r *specs.LinuxResources) (*Manager, error) {
	if l.Mode != common.Unified {
		return nil, errors.New("cgroups: the systemd cgroup v2 driver needs a pure cgroup v2 host (this one has v1 hierarchies: NewLegacy)")
	}
	if !Running() {
		return nil, errNotRunning
	}
	slice, unit, slicePath, err := resolveUnit(path, name)
	if err != nil {
		return nil, err
	}
	inner, err := fs2.New(l, filepath.Join(slicePath, unit), "", r)
	if err != nil {
		return nil, err
	}
	return &Manager{Manager: inner, unit: unit, slice: slice, desc: "husk container " + name, res: r}, nil
}

var errNotRunning = errors.New("cgroups: --systemd-cgroup: systemd is not running on this host (no /run/systemd/system)")

// resolveUnit parses cgroupsPath "slice:prefix:name" ("" for
// system.slice:husk:<name>) into the slice, the scope unit's name and the
// slice's cgroup path ("/system.slice").
func resolveUnit(path, name string) (slice, unit, slicePath string, err error) {
	slice, prefix, unitName := "system.slice", "husk", name
	if path != "" {
		parts := strings.Split(path, ":")
		if len(parts) != 3 {
			return "", "", "", fmt.Errorf("cgroups: linux.cgroupsPath %q is not of the form \"slice:prefix:name\" (--systemd-cgroup)", path)
		}
		if parts[0] != "" {
			slice = parts[0]
		}
		prefix, unitName = parts[1], parts[2]
	}
	if unitName == "" || strings.Contains(unitName, "/") {
		return "", "", "", fmt.Errorf("cgroups: linux.cgroupsPath %q: invalid unit name %q", path, unitName)
	}
	if strings.HasSuffix(unitName, ".slice") {
		return "", "", "", fmt.Errorf("cgroups: linux.cgroupsPath %q: a slice as the container's unit is %w", path, common.ErrNotImplemented)
	}
	unit = unitName + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	if slicePath, err = expandSlice(slice); err != nil {
		return "", "", "", fmt.Errorf("cgroups: linux.cgroupsPath %q: %w", path, err)
	}
	return slice, unit, slicePath, nil
}

// Load re-creates the manager of a started scope from its directory.
func Load(l *common.Layout, dir string) (*Manager, error) {
	inner, err := fs2.Load(l, dir)
	if err != nil {
		return nil, err
	}
	return &Manager{Manager: inner, unit: filepath.Base(dir), started: true}, nil
}

// IsScopeDir tells whether a saved cgroup2 directory is a scope unit's.
func IsScopeDir(dir string) bool { return strings.HasSuffix(dir, ".scope") && Running() }

// expandSlice turns "a-b-c.slice" into "/a.slice/a-b.slice/a-b-c.slice".
func expandSlice(slice string) (string, error) {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("cgroups: invalid slice name %q", slice)
	}
	if name == "-" {
		return "/", nil
	}
	var path, prefix string
	for _, part := range strings.Split(name, "-") {
		if part == "" {
			return "", fmt.Errorf("cgroups: invalid slice name %q", slice)
		}
		path += "/" + prefix + part + ".slice"
		prefix += part + "-"
	}
	return path, nil
}

// unitProperties are the resources systemd itself sets on the scope (so
// that it never resets them to its defaults); the rest is written by fs2.
func unitProperties(r *specs.LinuxResources) []property {
	var ps []property
	if r == nil {
		return ps
	}
	if m := r.Memory; m != nil && m.Limit != nil && *m.Limit > 0 {
		ps = append(ps, property{"MemoryMax", uint64(*m.Limit)})
	}
	if p := r.Pids; p != nil && p.Limit != nil && *p.Limit > 0 {
		ps = append(ps, property{"TasksMax", uint64(*p.Limit)})
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			ps = append(ps, property{"CPUWeight", common.SharesToWeight(*c.Shares)})
		}
		if c.Quota != nil && *c.Quota > 0 {
			period := uint64(100000)
			if c.Period != nil && *c.Period != 0 {
				period = *c.Period
			}
			// systemd counts per second, rounded up to 10 ms.
			perSec := uint64(*c.Quota) * 1000000 / period
			if perSec%10000 != 0 {
				perSec = (perSec/10000 + 1) * 10000
			}
			ps = append(ps, property{"CPUQuotaPerSecUSec", perSec})
		}
	}
	return ps
}

// start creates the scope with pid in it and waits for systemd's job.
func (m *Manager) start(pid int) error {
	if err := startScope(m.unit, m.slice, m.desc, pid, unitProperties(m.res), "IOAccounting"); err != nil {
		return err
	}
	m.started = true
	return nil
}

// Apply starts the scope with pid (pid -1: later, at the first Join).
func (m *Manager) Apply(pid int) error {
	if pid <= 0 || m.started {
		if pid > 0 {
			return m.Manager.Join(pid, "")
		}
		return nil
	}
	if err := m.start(pid); err != nil {
		return err
	}
	return m.Manager.Set(m.res)
}

// Set records r until the scope exists, then writes it.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if !m.started {
		m.res = r
		return nil
	}
	return m.Manager.Set(r)
}

// Join starts the scope with pid when it does not exist yet.
func (m *Manager) Join(pid int, sub string) error {
	if !m.started && sub == "" {
		return m.Apply(pid)
	}
	return m.Manager.Join(pid, sub)
}

// Destroy stops the unit (which kills what is left) and removes what
// remains of its cgroup. A unit this manager did not start (its start
// failed: the name may be another container's) is left alone.
func (m *Manager) Destroy() error {
	if !m.started {
		return nil
	}
	if m.unit != "" {
		stopScope(m.unit)
	}
	if err := m.Manager.Destroy(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// Started reports whether the unit exists (started, or loaded).
func (m *Manager) Started() bool { return m.started }

// Exists reports whether the scope's cgroup exists.
func (m *Manager) Exists() bool { return m.Manager.Exists() }
