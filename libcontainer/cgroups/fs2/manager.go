// Package fs2 is the cgroup v2 driver: one directory in the unified
// hierarchy, one file per controller. Its low-level helpers (ApplyDir,
// freezing, hugetlb) are also used by the v1 driver for the cgroup2
// hierarchy of hybrid hosts.
package fs2

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// Manager is the cgroup v2 manager. It is not safe for concurrent use.
type Manager struct {
	layout *common.Layout
	dir    string
	res    *specs.LinuxResources
	// avail caches the controllers available in dir (cgroup.controllers).
	avail []string
}

// New resolves the container's directory without creating anything.
func New(l *common.Layout, path, name string, r *specs.LinuxResources) (*Manager, error) {
	inner, err := common.InnerPath(path, name)
	if err != nil {
		return nil, err
	}
	dir, err := l.UnifiedDir(inner)
	if err != nil {
		return nil, err
	}
	m := &Manager{layout: l, dir: dir, res: r}
	if r != nil {
		if err := checkUnsupported(r); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Load re-creates the manager of an existing container from its directory.
func Load(l *common.Layout, dir string) (*Manager, error) {
	if !strings.HasPrefix(dir, "/") {
		return nil, fmt.Errorf("cgroups: saved cgroup2 path %q is not absolute", dir)
	}
	return &Manager{layout: l, dir: dir}, nil
}

// Layout returns the layout the manager was made with.
func (m *Manager) Layout() *common.Layout { return m.layout }

// Dir returns the container's cgroup2 directory.
func (m *Manager) Dir() string { return m.dir }

// Paths returns {"": dir}.
func (m *Manager) Paths() map[string]string { return map[string]string{"": m.dir} }

// Apply creates the container's cgroup and moves pid into it (pid -1:
// create only, e.g. for clone3 CLONE_INTO_CGROUP). On a pure v2 host every
// controller of the hierarchy is enabled in the parents first, as runc
// does; on the cgroup2 hierarchy of a hybrid host nothing is enabled.
func (m *Manager) Apply(pid int) error {
	var created []string
	if m.layout.Mode == common.Unified {
		avail, err := Available(m.layout.UnifiedMount)
		if err != nil {
			return err
		}
		mk, err := enableControllersTracked(m.layout.UnifiedMount, m.dir, avail, m.res != nil && needsDomain(m.res))
		created = mk
		if err != nil {
			common.RemoveCreated(created)
			return err
		}
	}
	if err := ApplyDir(m.dir, pid); err != nil {
		common.RemoveCreated(created)
		return err
	}
	return nil
}

// enableControllersTracked is enableControllers reporting the directories
// it had to create.
func enableControllersTracked(mount, dir string, ctrls []string, domain bool) ([]string, error) {
	var created []string
	parent := filepath.Dir(dir)
	if parent != mount && !common.PathExists(parent) {
		mk, _, err := common.Mkdir(parent)
		created = mk
		if err != nil {
			return created, err
		}
	}
	return created, enableControllers(mount, dir, ctrls, domain)
}

// needsDomain reports whether r uses a domain (non-threaded) controller.
func needsDomain(r *specs.LinuxResources) bool {
	return common.MemoryField(r) != "" || common.BlockIOField(r) != "" ||
		common.CPUField(r) != "" || common.HugetlbField(r) != ""
}

// checkUnsupported reports fields cgroup v2 cannot honour.
func checkUnsupported(r *specs.LinuxResources) error {
	if f := common.NetClsField(r); f != "" {
		return common.Fieldf(f, "net_cls is a cgroup v1 controller; cgroup v2 has no equivalent")
	}
	if f := common.NetPrioField(r); f != "" {
		return common.Fieldf(f, "net_prio is a cgroup v1 controller; cgroup v2 has no equivalent")
	}
	if c := r.CPU; c != nil {
		if c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0 {
			return common.Fieldf("cpu.realtimeRuntime", "realtime scheduling budgets are not supported by cgroup v2")
		}
		if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
			return common.Fieldf("cpu.realtimePeriod", "realtime scheduling budgets are not supported by cgroup v2")
		}
	}
	return nil
}

// Set writes every field of r (nil: nothing). A field whose controller is
// not enabled in the container's cgroup is an error naming the field.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := checkUnsupported(r); err != nil {
		return err
	}
	common.WarnKernelMemory(r)
	steps := [...]struct {
		ctrl  string
		field func(*specs.LinuxResources) string
		set   func(string, *specs.LinuxResources) error
	}{
		{"pids", common.PidsField, setPids},
		{"memory", common.MemoryField, setMemory},
		{"io", common.BlockIOField, setIO},
		{"cpu", common.CPUField, setCPU},
		{"cpuset", common.CpusetField, setCpuset},
		{"hugetlb", common.HugetlbField, setHugetlb},
		{"rdma", common.RdmaField, setRdma},
	}
	for _, s := range steps {
		f := s.field(r)
		if f == "" {
			continue
		}
		if err := s.set(m.dir, r); err != nil {
			return m.explain(s.ctrl, f, err)
		}
	}
	if err := m.setUnified(r.Unified); err != nil {
		return err
	}
	if r.Devices != nil {
		if err := setDevices(m.dir, r); err != nil {
			return common.Field("devices", err)
		}
	}
	if m.res == nil {
		m.res = r
	}
	return nil
}

// explain turns "no such file" into "controller not enabled" for field f.
func (m *Manager) explain(ctrl, f string, err error) error {
	if !errors.Is(err, unix.ENOENT) {
		return common.Field(f, err)
	}
	if !common.PathExists(m.dir) {
		return common.Fieldf(f, "cgroup %s does not exist", m.dir)
	}
	if !m.hasController(ctrl) {
		return common.Fieldf(f, "the %s controller is not available in %s (available: %q)", ctrl, m.dir, strings.Join(m.avail, " "))
	}
	return common.Field(f, err)
}

func (m *Manager) hasController(c string) bool {
	if m.avail == nil {
		s, err := common.ReadFile(m.dir, "cgroup.controllers")
		if err != nil {
			return false
		}
		m.avail = strings.Fields(s)
	}
	for _, a := range m.avail {
		if a == c {
			return true
		}
	}
	return false
}

// setUnified writes linux.resources.unified, key by key.
func (m *Manager) setUnified(u map[string]string) error {
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := u[k]
		f := "unified[" + k + "]"
		if k == "" || strings.ContainsAny(k, "/\x00") || k == "." || k == ".." {
			return common.Fieldf(f, "must be a file name of the cgroup directory")
		}
		ctrl, _, ok := strings.Cut(k, ".")
		if !ok {
			return common.Fieldf(f, "must be in the form CONTROLLER.PARAMETER")
		}
		if err := common.WriteFileLines(m.dir, k, v); err != nil {
			if (errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) &&
				ctrl != "cgroup" && !m.hasController(ctrl) {
				return common.Fieldf(f, "the %s controller is not available in %s", ctrl, m.dir)
			}
			return common.Field(f, err)
		}
	}
	return nil
}

// Join moves pid into the container's cgroup, or into its existing
// sub-cgroup sub ("path" or ":path"; no ".."). When the container's own
// cgroup refuses processes (EBUSY: it has controllers enabled for its
// children, e.g. systemd inside), the pid goes to the first sub-cgroup
// that holds processes, like runc exec joining the init's cgroup.
func (m *Manager) Join(pid int, sub string) error {
	if c, p, ok := strings.Cut(sub, ":"); ok {
		if c != "" {
			return fmt.Errorf("cgroups: per-controller sub-cgroup %q needs cgroup v1", sub)
		}
		sub = p
	}
	s, err := common.CheckSubPath(sub)
	if err != nil {
		return err
	}
	dir := m.dir
	if s != "" {
		dir += "/" + s
	}
	err = common.WriteProcs(dir, pid)
	if err == nil || s != "" || !errors.Is(err, unix.EBUSY) {
		return err
	}
	leaf := populatedLeaf(m.dir)
	if leaf == "" {
		return err
	}
	logrus.Debugf("cgroups: %s refused pid %d (%v), joining %s", m.dir, pid, err, leaf)
	return common.WriteProcs(leaf, pid)
}

// populatedLeaf finds a sub-cgroup of dir (breadth first) with processes.
func populatedLeaf(dir string) string {
	queue := []string{dir}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if d != dir {
			if p, err := common.ReadPids(d); err == nil && len(p) > 0 {
				return d
			}
		}
		subs, _ := common.SubDirs(d)
		for _, s := range subs {
			queue = append(queue, d+"/"+s)
		}
	}
	return ""
}

// Pids returns every process of the container, sub-cgroups included.
func (m *Manager) Pids() ([]int, error) { return common.AllPids(m.dir) }

// Exists reports whether the container's cgroup exists.
func (m *Manager) Exists() bool { return common.PathExists(m.dir) }

// Destroy removes the container's cgroup and its sub-cgroups; idempotent.
func (m *Manager) Destroy() error { return common.RemovePath(m.dir) }

// Freeze freezes the container and waits (≤ 10 s) until it is frozen.
func (m *Manager) Freeze() error { return SetFrozen(m.dir, true) }

// Thaw thaws the container.
func (m *Manager) Thaw() error { return SetFrozen(m.dir, false) }

// State reports whether the container's cgroup is frozen (cgroup.freeze).
func (m *Manager) State() (bool, error) { return Frozen(m.dir) }

// Kill sends sig to every process of the container: SIGKILL through
// cgroup.kill (kernel ≥ 5.14), anything else — or SIGKILL on older
// kernels — to each process while the cgroup is frozen, so that none can
// fork away. An empty cgroup is not frozen.
func (m *Manager) Kill(sig unix.Signal) error { return Kill(m.dir, sig) }

// Kill signals every process of the cgroup2 directory dir (see Manager.Kill).
func Kill(dir string, sig unix.Signal) error {
	pids, err := common.AllPids(dir)
	if err != nil {
		if common.IsNotExist(err) {
			return fmt.Errorf("cgroups: kill: %w: %s", common.ErrNotExist, dir)
		}
		return err
	}
	if len(pids) == 0 {
		return nil
	}
	if sig == unix.SIGKILL {
		err := common.WriteFile(dir, "cgroup.kill", "1")
		if err == nil || !common.IsNotExist(err) {
			return err
		}
	}
	wasFrozen, _ := Frozen(dir)
	if !wasFrozen {
		if err := SetFrozen(dir, true); err != nil {
			logrus.Warnf("cgroups: kill: %v", err)
		}
		defer func() {
			if err := SetFrozen(dir, false); err != nil {
				logrus.Warnf("cgroups: kill: %v", err)
			}
		}()
	}
	if pids, err = common.AllPids(dir); err != nil {
		return err
	}
	for _, p := range pids {
		if err := unix.Kill(p, sig); err != nil && err != unix.ESRCH { //nolint:errorlint // bare errno
			logrus.Warnf("cgroups: kill %d: %v", p, err)
		}
	}
	return nil
}

// OOMKillCount returns memory.events' oom_kill counter.
func (m *Manager) OOMKillCount() (uint64, error) {
	return common.GetKeyValue(m.dir, "memory.events", "oom_kill")
}
