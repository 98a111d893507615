package systemd

// The systemd driver on cgroup v1 hosts (legacy and hybrid), as runc's
// systemd LegacyManager: systemd starts the transient scope with the init
// in it, which creates the scope's cgroup in the hierarchies systemd
// manages (name=systemd, the controllers it knows and realizes for the
// unit, e.g. cpu, memory, devices, pids; the cgroup2 one of a hybrid host);
// husk creates the same path (<mount>/<slice path>/<unit>) in every other
// hierarchy (cpuset, freezer, net_cls, perf_event, hugetlb ...) with the
// fs (v1) driver and moves the init there. The resources go to both: systemd gets
// them as unit properties (so that it never puts back its own values, on
// a daemon-reload say), the fs driver writes every field to the files.

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs"
)

// booted is Running (tests replace it).
var booted = Running

// LegacyManager drives one container's scope unit on a cgroup v1 host.
type LegacyManager struct {
	*fs.Manager        // every hierarchy's directory of the scope
	unit, slice string // "prefix-name.scope", "system.slice"
	desc        string
	res         *specs.LinuxResources
	started     bool
}

// NewLegacy is New for cgroup v1 (legacy or hybrid) hosts: it resolves the
// scope's directory in every mounted hierarchy without starting the unit.
func NewLegacy(l *common.Layout, path, name string, r *specs.LinuxResources) (*LegacyManager, error) {
	if l.Mode != common.Legacy && l.Mode != common.Hybrid {
		return nil, fmt.Errorf("cgroups: the systemd cgroup v1 driver needs a v1 host (this one is %s)", l.Mode)
	}
	if !booted() {
		return nil, errNotRunning
	}
	slice, unit, slicePath, err := resolveUnit(path, name)
	if err != nil {
		return nil, err
	}
	if l.Hierarchy("name=systemd") == nil {
		return nil, errors.New("cgroups: --systemd-cgroup: this cgroup v1 host has no name=systemd hierarchy mounted")
	}
	// An absolute path: <mountpoint>/<slice path>/<unit> in every
	// hierarchy, where systemd puts the scope.
	inner, err := fs.New(l, filepath.Join(slicePath, unit), "", r)
	if err != nil {
		return nil, err
	}
	if r != nil {
		if _, err := v1DeviceProperties(r.Devices); err != nil {
			return nil, err
		}
	}
	return &LegacyManager{Manager: inner, unit: unit, slice: slice, desc: "husk container " + name, res: r}, nil
}

// LoadLegacy re-creates the manager of a started scope from its saved
// paths (those Paths returned).
func LoadLegacy(l *common.Layout, paths map[string]string) (*LegacyManager, error) {
	inner, err := fs.Load(l, paths)
	if err != nil {
		return nil, err
	}
	return &LegacyManager{Manager: inner, unit: filepath.Base(paths["name=systemd"]), started: true}, nil
}

// IsLegacyScope tells whether saved v1 paths are those of a scope unit
// (the name=systemd directory is <slice>/<unit>.scope) on a systemd host.
func IsLegacyScope(paths map[string]string) bool {
	dir := paths["name=systemd"]
	return strings.HasSuffix(dir, ".scope") && strings.HasSuffix(filepath.Dir(dir), ".slice") && booted()
}

// Started reports whether the unit exists (started, or loaded).
func (m *LegacyManager) Started() bool { return m.started }

// Apply starts the scope with pid in it (pid -1: later, at the first
// Join), then joins pid to the hierarchies systemd does not manage and
// writes the resources.
func (m *LegacyManager) Apply(pid int) error {
	if pid <= 0 {
		return nil
	}
	if m.started {
		return m.Manager.Join(pid, "")
	}
	props, err := v1Properties(m.res)
	if err != nil {
		return err
	}
	if err := startScope(m.unit, m.slice, m.desc, pid, props, "BlockIOAccounting"); err != nil {
		return err
	}
	m.started = true
	// What systemd did not make (cpuset with its cpus and mems, freezer,
	// net_cls, ...; which ones depends on the systemd version and on how
	// the host mounts its hierarchies: 252 makes no cpuacct directory
	// where cpuacct is not co-mounted with cpu) is made by the fs driver,
	// with pid moved in; then pid is written to every directory once
	// more (a no-op where systemd put it).
	paths := m.Manager.Paths()
	rest := m.Manager.Subset(func(k string) bool { return !common.PathExists(paths[k]) })
	if len(rest.Paths()) > 0 {
		if err := rest.Apply(pid); err != nil {
			return err
		}
	}
	if err := m.Manager.Join(pid, ""); err != nil {
		return err
	}
	return m.Manager.Set(m.res)
}

// Set records r until the scope exists; then it gives the unit its
// properties and writes every field through the fs driver.
func (m *LegacyManager) Set(r *specs.LinuxResources) error {
	if !m.started {
		m.res = r
		return nil
	}
	if r == nil {
		return nil
	}
	props, err := v1Properties(&specs.LinuxResources{Memory: r.Memory, CPU: r.CPU, Pids: r.Pids, BlockIO: r.BlockIO})
	if err != nil {
		return err
	}
	if len(props) > 0 && m.unit != "" {
		if err := setProperties(m.unit, props); err != nil {
			return err
		}
	}
	return m.Manager.Set(r)
}

// Join starts the scope with pid when it does not exist yet.
func (m *LegacyManager) Join(pid int, sub string) error {
	if !m.started && sub == "" {
		return m.Apply(pid)
	}
	return m.Manager.Join(pid, sub)
}

// Destroy stops the unit (systemd kills what is left and removes its
// directories) and removes the directories husk made. A unit this manager
// did not start is left alone.
func (m *LegacyManager) Destroy() error {
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

// TaskFiles: the init joins by Apply (the unit's start), an exec'd
// process by the fs driver's tasks files.
func (m *LegacyManager) TaskFiles() []string {
	if !m.started {
		return nil
	}
	return m.Manager.TaskFiles()
}

// v1Properties are the resources systemd sets on a v1 scope, with runc's
// v1 names (MemoryLimit, CPUShares, BlockIOWeight), and the device allow
// list.
func v1Properties(r *specs.LinuxResources) ([]property, error) {
	var ps []property
	if r == nil {
		return ps, nil
	}
	dev, err := v1DeviceProperties(r.Devices)
	if err != nil {
		return nil, err
	}
	ps = append(ps, dev...)
	if m := r.Memory; m != nil && m.Limit != nil && *m.Limit != 0 {
		v := uint64(math.MaxUint64) // "infinity"
		if *m.Limit > 0 {
			v = uint64(*m.Limit)
		}
		ps = append(ps, property{"MemoryLimit", v})
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			ps = append(ps, property{"CPUShares", *c.Shares})
		}
		if c.Quota != nil && *c.Quota != 0 {
			period := uint64(100000)
			if c.Period != nil && *c.Period != 0 {
				period = *c.Period
			}
			perSec := uint64(math.MaxUint64) // -1: no quota
			if *c.Quota > 0 {
				// systemd counts per second, rounded up to 10 ms.
				perSec = uint64(*c.Quota) * 1000000 / period
				if perSec%10000 != 0 {
					perSec = (perSec/10000 + 1) * 10000
				}
			}
			ps = append(ps, property{"CPUQuotaPerSecUSec", perSec}, property{"CPUQuotaPeriodUSec", period})
		}
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		ps = append(ps, property{"BlockIOWeight", uint64(*b.Weight)})
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		switch v := *p.Limit; {
		case v < 0:
			ps = append(ps, property{"TasksMax", uint64(math.MaxUint64)})
		case v > 0:
			ps = append(ps, property{"TasksMax", uint64(v)})
		}
	}
	return ps, nil
}

// v1DeviceProperties turns the device rules into DevicePolicy and
// DeviceAllow, as runc: on v1 systemd writes the unit's devices cgroup
// itself (at the start and whenever it re-applies the unit's settings),
// so it must know the container's rules or it would open every device.
// An allow-all result is DevicePolicy=auto; systemd cannot express deny
// exceptions of an allow-all cgroup, nor "*:n" rules, which then become a
// stricter rule set for systemd (the fs driver writes the exact one).
// No rules: nothing (the devices cgroup is left as it is).
func v1DeviceProperties(rules []specs.LinuxDeviceCgroup) ([]property, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	allowAll, denies, allow, err := fs.DeviceAllowList(rules)
	if err != nil {
		return nil, err
	}
	if allowAll && !denies {
		return []property{{"DevicePolicy", "auto"}, {"DeviceAllow", [][2]string{}}}, nil
	}
	entries := [][2]string{}
	if allowAll {
		logrus.Warn("cgroups: systemd cannot express deny rules of an allow-all devices cgroup: giving it deny-all (the cgroup gets the exact rules)")
	}
	var names map[string]string // "c136" -> "pts", from /proc/devices
	for _, a := range allow {
		kind := "char"
		if a.Type == 'b' {
			kind = "block"
		}
		switch {
		case a.Major < 0 && a.Minor < 0:
			entries = append(entries, [2]string{kind + "-*", a.Access})
		case a.Major < 0:
			logrus.Warnf("cgroups: systemd does not support device rule %c *:%d %s: not given to it", a.Type, a.Minor, a.Access)
		case a.Minor < 0:
			if names == nil {
				names = procDevices()
			}
			n, ok := names[string(a.Type)+strconv.FormatInt(a.Major, 10)]
			if !ok {
				logrus.Warnf("cgroups: no /proc/devices name for %s major %d: rule not given to systemd", kind, a.Major)
				continue
			}
			entries = append(entries, [2]string{kind + "-" + n, a.Access})
		default:
			entries = append(entries, [2]string{fmt.Sprintf("/dev/%s/%d:%d", kind, a.Major, a.Minor), a.Access})
		}
	}
	return []property{{"DevicePolicy", "strict"}, {"DeviceAllow", entries}}, nil
}

// procDevices maps "c<major>"/"b<major>" to the driver names of
// /proc/devices (systemd's "char-<name>" device groups).
func procDevices() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/proc/devices")
	if err != nil {
		return out
	}
	defer f.Close()
	typ := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch line {
		case "Character devices:":
			typ = "c"
			continue
		case "Block devices:":
			typ = "b"
			continue
		}
		num, name, ok := strings.Cut(line, " ")
		if !ok || typ == "" {
			continue
		}
		if _, seen := out[typ+num]; !seen {
			out[typ+num] = name
		}
	}
	return out
}

// startScope creates the scope unit with pid in it and waits for the job.
// accounting is the name of the block I/O accounting property
// (IOAccounting on v2, BlockIOAccounting on v1).
func startScope(unit, slice, desc string, pid int, extra []property, accounting string) error {
	c, err := dialBus(time.Now().Add(30 * time.Second))
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	defer c.Close()
	if err := c.subscribe(); err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	props := append([]property{
		{"Slice", slice}, {"Description", desc}, {"PIDs", []uint32{uint32(pid)}},
		{"Delegate", true}, {"DefaultDependencies", false},
		{"MemoryAccounting", true}, {"CPUAccounting", true}, {accounting, true}, {"TasksAccounting", true},
	}, extra...)
	job, err := c.startTransientUnit(unit, "replace", props)
	if err != nil {
		return fmt.Errorf("cgroups: start unit %s: %w", unit, err)
	}
	result, err := c.waitJob(job)
	if err != nil {
		return fmt.Errorf("cgroups: start unit %s: %w", unit, err)
	}
	if result != "done" {
		return fmt.Errorf("cgroups: start unit %s: job %s", unit, result)
	}
	return nil
}

// setProperties changes a running unit's properties.
func setProperties(unit string, props []property) error {
	c, err := dialBus(time.Now().Add(30 * time.Second))
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	defer c.Close()
	if err := c.setUnitProperties(unit, props); err != nil {
		return fmt.Errorf("cgroups: set properties of unit %s: %w", unit, err)
	}
	return nil
}

// stopScope stops the unit, waits for it, and forgets a failed state.
func stopScope(unit string) {
	c, err := dialBus(time.Now().Add(30 * time.Second))
	if err != nil {
		return
	}
	defer c.Close()
	if c.subscribe() == nil {
		if job, err := c.stopUnit(unit); err == nil {
			_, _ = c.waitJob(job)
		}
	}
	_ = c.resetFailedUnit(unit)
}
