// Package systemd is the systemd cgroup driver (--systemd-cgroup): the
// container's cgroup is a transient scope unit that systemd creates over
// D-Bus (cgroupsPath "slice:prefix:name", unit prefix-name.scope in the
// slice), with Delegate=yes; resources are given to systemd as unit
// properties where systemd knows them and written to the cgroup v2 files
// by the fs2 driver, which also does everything else (device filter,
// freeze, kill, stats). cgroup v2 only.
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
	"time"

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
		return nil, errors.New("cgroups: the systemd cgroup driver needs a pure cgroup v2 host (this one has v1 hierarchies)")
	}
	if !Running() {
		return nil, errors.New("cgroups: --systemd-cgroup: systemd is not running on this host (no /run/systemd/system)")
	}
	slice, prefix, unitName := "system.slice", "husk", name
	if path != "" {
		parts := strings.Split(path, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("cgroups: cgroupsPath %q is not of the form \"slice:prefix:name\"", path)
		}
		if parts[0] != "" {
			slice = parts[0]
		}
		prefix, unitName = parts[1], parts[2]
	}
	if strings.HasSuffix(unitName, ".slice") {
		return nil, fmt.Errorf("cgroups: cgroupsPath %q: a slice as the container's unit is %w", path, common.ErrNotImplemented)
	}
	unit := unitName + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	slicePath, err := expandSlice(slice)
	if err != nil {
		return nil, err
	}
	inner, err := fs2.New(l, filepath.Join(slicePath, unit), "", r)
	if err != nil {
		return nil, err
	}
	return &Manager{Manager: inner, unit: unit, slice: slice, desc: "husk container " + name, res: r}, nil
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
	c, err := dialBus(time.Now().Add(30 * time.Second))
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	defer c.Close()
	if err := c.subscribe(); err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	props := append([]property{
		{"Slice", m.slice}, {"Description", m.desc}, {"PIDs", []uint32{uint32(pid)}},
		{"Delegate", true}, {"DefaultDependencies", false},
		{"MemoryAccounting", true}, {"CPUAccounting", true}, {"IOAccounting", true}, {"TasksAccounting", true},
	}, unitProperties(m.res)...)
	job, err := c.startTransientUnit(m.unit, "replace", props)
	if err != nil {
		return fmt.Errorf("cgroups: start unit %s: %w", m.unit, err)
	}
	result, err := c.waitJob(job)
	if err != nil {
		return fmt.Errorf("cgroups: start unit %s: %w", m.unit, err)
	}
	if result != "done" {
		return fmt.Errorf("cgroups: start unit %s: job %s", m.unit, result)
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
		if c, err := dialBus(time.Now().Add(30 * time.Second)); err == nil {
			if c.subscribe() == nil {
				if job, err := c.stopUnit(m.unit); err == nil {
					_, _ = c.waitJob(job)
				}
			}
			_ = c.resetFailedUnit(m.unit)
			c.Close()
		}
	}
	if err := m.Manager.Destroy(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// Exists reports whether the scope's cgroup exists.
func (m *Manager) Exists() bool { return m.Manager.Exists() }
