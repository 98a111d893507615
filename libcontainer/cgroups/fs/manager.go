// Package fs is the cgroup v1 driver (also used on hybrid hosts, where the
// container is additionally placed in the cgroup2 hierarchy, as runc does).
// It writes cgroupfs directly; every controller lives in its own file.
package fs

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
)

// Unified is the Paths key of the cgroup2 directory on hybrid hosts.
const Unified = ""

// controller is one v1 subsystem.
type controller struct {
	name string
	// field returns the first field of r that needs this controller.
	field func(r *specs.LinuxResources) string
	// prepare runs in Apply after the directory exists and before the
	// process is moved in (cpuset contents, rt budget, freezer check).
	prepare func(m *Manager, dir string) error
	// set writes r; it does nothing for the fields r does not set.
	set func(dir string, r *specs.LinuxResources) error
	// stats adds the controller's data to st.
	stats func(dir string, st *common.Stats) error
	// optional: errors joining it are ignored (name=systemd, misc).
	optional bool
}

// controllers in the order runc applies and sets them: cpuset first (tasks
// need cpus and mems), devices early (security), freezer late.
var controllers = [...]*controller{
	&cpusetController,
	&devicesController,
	&memoryController,
	&cpuController,
	&cpuacctController,
	&pidsController,
	&blkioController,
	&hugetlbController,
	&netClsController,
	&netPrioController,
	&perfEventController,
	&freezerController,
	&rdmaController,
	&systemdController,
	&miscController,
}

func lookup(name string) *controller {
	for _, c := range controllers {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Manager is the v1 cgroup manager. It is not safe for concurrent use.
type Manager struct {
	layout *common.Layout
	// paths maps each controller (and "name=systemd", and Unified on
	// hybrid hosts) to the container's directory.
	paths map[string]string
	// res is the container's resources, used by Apply for what must be
	// in place before the process joins (cpuset, rt); nil after Load.
	res *specs.LinuxResources
}

// New resolves the container's directories in every mounted v1 hierarchy
// (and the cgroup2 one on hybrid hosts) without creating anything. The
// resources are checked against the mounted controllers.
func New(l *common.Layout, path, name string, r *specs.LinuxResources) (*Manager, error) {
	inner, err := common.InnerPath(path, name)
	if err != nil {
		return nil, err
	}
	m := &Manager{layout: l, paths: make(map[string]string, 16), res: r}
	for _, c := range controllers {
		h := l.Hierarchy(c.name)
		if h == nil {
			continue
		}
		dir, err := l.V1Dir(h, inner)
		if err != nil {
			if c.optional {
				continue
			}
			return nil, err
		}
		m.paths[c.name] = dir
	}
	if l.Mode == common.Hybrid {
		dir, err := l.UnifiedDir(inner)
		if err != nil {
			return nil, err
		}
		m.paths[Unified] = dir
	}
	if len(m.paths) == 0 {
		return nil, errors.New("cgroups: no cgroup v1 hierarchy is mounted")
	}
	if r != nil {
		if err := m.check(r); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Load re-creates the manager of an existing container from its Paths.
func Load(l *common.Layout, paths map[string]string) (*Manager, error) {
	m := &Manager{layout: l, paths: make(map[string]string, len(paths))}
	for k, v := range paths {
		if k != Unified && lookup(k) == nil {
			return nil, fmt.Errorf("cgroups: unknown cgroup v1 controller %q in saved paths", k)
		}
		if !strings.HasPrefix(v, "/") {
			return nil, fmt.Errorf("cgroups: saved path %q of %q is not absolute", v, k)
		}
		m.paths[k] = v
	}
	if len(m.paths) == 0 {
		return nil, errors.New("cgroups: no saved cgroup paths")
	}
	return m, nil
}

// Layout returns the layout the manager was made with.
func (m *Manager) Layout() *common.Layout { return m.layout }

// Paths returns a copy of controller → directory.
func (m *Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

// check reports the first resource whose controller is not available.
func (m *Manager) check(r *specs.LinuxResources) error {
	if r.Unified != nil {
		return common.Fieldf("unified", "needs cgroup v2, but this host uses cgroup v1 (%s layout)", m.layout.Mode)
	}
	for _, c := range controllers {
		if c.field == nil || m.paths[c.name] != "" {
			continue
		}
		f := c.field(r)
		if f == "" {
			continue
		}
		if c.name == "hugetlb" && m.unifiedHugetlb() {
			continue // set through the cgroup2 hierarchy
		}
		return common.Fieldf(f, "the %s cgroup controller is not mounted on this host", c.name)
	}
	return nil
}

// Apply creates the container's cgroups (parents included) and moves pid
// into them (pid -1: create only). It works in two phases: first every
// directory is created and checked — a pre-existing cgroup that holds
// processes, or a frozen one, is refused — and prepared (cpuset contents,
// realtime budget); only then is the process moved, so a refused Apply
// leaves the process where it was and removes the directories it created.
// If moving the process fails half-way, the caller kills the process and
// calls Destroy.
func (m *Manager) Apply(pid int) (retErr error) {
	var created []string
	defer func() {
		if retErr != nil {
			common.RemoveCreated(created)
		}
	}()
	type target struct {
		dir      string
		optional bool
	}
	targets := make([]target, 0, len(m.paths))
	done := make(map[string]bool, len(m.paths))
	for _, c := range controllers {
		dir := m.paths[c.name]
		if dir == "" {
			continue
		}
		if done[dir] {
			// Co-mounted with an earlier controller ("cpu,cpuacct"):
			// the directory exists, only its own preparation is left.
			if c.prepare != nil {
				if err := c.prepare(m, dir); err != nil {
					return err
				}
			}
			continue
		}
		done[dir] = true
		mk, err := m.prepareDir(c, dir)
		created = append(created, mk...)
		if err != nil {
			if c.optional {
				logrus.Debugf("cgroups: ignoring %s: %v", c.name, err)
				continue
			}
			return err
		}
		targets = append(targets, target{dir, c.optional})
	}
	if dir := m.paths[Unified]; dir != "" {
		mk, err := fs2.PrepareDir(dir)
		created = append(created, mk...)
		switch {
		case err == nil:
			targets = append(targets, target{dir, false})
		case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS):
			// As runc: the cgroup2 hierarchy of a hybrid host carries no
			// limits; a read-only or foreign one is skipped.
			logrus.Debugf("cgroups: not using the cgroup2 hierarchy: %v", err)
			delete(m.paths, Unified)
		default:
			return err
		}
	}
	if pid == -1 {
		return nil
	}
	for _, t := range targets {
		if err := common.WriteProcs(t.dir, pid); err != nil && !t.optional {
			return err
		}
	}
	return nil
}

func (m *Manager) prepareDir(c *controller, dir string) ([]string, error) {
	created, existed, err := common.Mkdir(dir)
	if err != nil {
		return created, fmt.Errorf("cgroups: create %s cgroup: %w", c.name, err)
	}
	if existed {
		if err := checkEmpty(dir); err != nil {
			return created, err
		}
	}
	if c.prepare != nil {
		if err := c.prepare(m, dir); err != nil {
			return created, err
		}
	}
	return created, nil
}

// checkEmpty refuses a pre-existing cgroup (or sub-cgroup) with processes.
func checkEmpty(dir string) error {
	pids, err := common.AllPids(dir)
	if err != nil {
		return fmt.Errorf("cgroups: list processes of existing cgroup %s: %w", dir, err)
	}
	if len(pids) > 0 {
		return fmt.Errorf("cgroups: cgroup %s already exists and holds %d process(es) (pid %d ...)", dir, len(pids), pids[0])
	}
	return nil
}

// Set writes every field of r, controller by controller (nil: nothing).
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.check(r); err != nil {
		return err
	}
	common.WarnKernelMemory(r)
	for _, c := range controllers {
		dir := m.paths[c.name]
		if c.set == nil {
			continue
		}
		if dir == "" {
			if c.name == "hugetlb" && len(r.HugepageLimits) > 0 {
				if err := m.setUnifiedHugetlb(r.HugepageLimits); err != nil {
					return err
				}
			}
			continue
		}
		if err := c.set(dir, r); err != nil {
			return err
		}
	}
	if m.res == nil {
		m.res = r
	}
	return nil
}

// Join moves pid into the container's cgroups. sub selects a sub-cgroup:
// "path" for every hierarchy, or runc's per-controller form
// "ctrl[,ctrl]:path", several such entries separated by ';' (hierarchies not
// named get the container's own cgroup). Paths must not contain "..", and
// the sub-cgroups must exist.
func (m *Manager) Join(pid int, sub string) error {
	subs, err := parseSub(sub)
	if err != nil {
		return err
	}
	// Resolve every key to a directory first, then write.
	targets := make(map[string]string, len(m.paths))
	for k, dir := range m.paths {
		s, ok := subs[k]
		if !ok {
			s = subs["*"]
		}
		if s != "" {
			dir += "/" + s
		}
		targets[k] = dir
	}
	for k := range subs {
		if k == "*" {
			continue
		}
		if _, ok := m.paths[k]; !ok {
			return fmt.Errorf("cgroups: controller %q in sub-cgroup %q is not used by this container", k, sub)
		}
	}
	done := make(map[string]bool, len(targets))
	join := func(name, dir string, optional bool) error {
		if dir == "" || done[dir] {
			return nil
		}
		done[dir] = true
		if err := common.WriteProcs(dir, pid); err != nil && !optional {
			return err
		}
		return nil
	}
	for _, c := range controllers {
		if err := join(c.name, targets[c.name], c.optional); err != nil {
			return err
		}
	}
	return join(Unified, targets[Unified], false)
}

// parseSub parses Join's sub argument into controller → sub path ("*" for
// all controllers).
func parseSub(sub string) (map[string]string, error) {
	out := map[string]string{}
	if sub == "" {
		return out, nil
	}
	for _, ent := range strings.Split(sub, ";") {
		ctrls, p, ok := strings.Cut(ent, ":")
		if !ok {
			ctrls, p = "*", ent
		}
		clean, err := common.CheckSubPath(p)
		if err != nil {
			return nil, err
		}
		for _, c := range strings.Split(ctrls, ",") {
			if c == "" {
				return nil, fmt.Errorf("cgroups: empty controller name in sub-cgroup %q", sub)
			}
			if _, dup := out[c]; dup {
				return nil, fmt.Errorf("cgroups: controller %q given twice in sub-cgroup %q", c, sub)
			}
			out[c] = clean
		}
	}
	return out, nil
}

// repDir is the directory used for process listing and existence: the
// first of these hierarchies the container has.
func (m *Manager) repDir() string {
	for _, c := range []string{"freezer", "devices", "pids", "memory", "cpu", "cpuset", "blkio", "cpuacct"} {
		if d := m.paths[c]; d != "" {
			return d
		}
	}
	keys := make([]string, 0, len(m.paths))
	for k := range m.paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return m.paths[keys[len(keys)-1]]
}

// Pids returns every process in the container's cgroups, sub-cgroups
// included.
func (m *Manager) Pids() ([]int, error) {
	return common.AllPids(m.repDir())
}

// Exists reports whether the container's cgroup exists.
func (m *Manager) Exists() bool {
	return common.PathExists(m.repDir())
}

// Destroy removes the container's cgroups, sub-cgroups included. It is
// idempotent; cgroups still holding processes make it fail (after ~1 s of
// retries).
func (m *Manager) Destroy() error {
	return common.RemovePaths(m.paths)
}

// Kill sends sig to every process of the container. For SIGKILL on a hybrid
// host cgroup.kill of the cgroup2 directory is used; otherwise the freezer
// is used so no process can fork away while the signals go out (as runc's
// signalAllProcesses). An empty cgroup is not frozen at all.
func (m *Manager) Kill(sig unix.Signal) error {
	dir := m.repDir()
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
	if u := m.paths[Unified]; sig == unix.SIGKILL && u != "" {
		err := common.WriteFile(u, "cgroup.kill", "1")
		if err == nil || !common.IsNotExist(err) {
			return err
		}
	}
	canFreeze := m.paths["freezer"] != "" || m.paths[Unified] != ""
	thaw := false
	if canFreeze {
		wasFrozen, _ := m.State()
		if err := m.Freeze(); err != nil {
			logrus.Warnf("cgroups: kill: %v", err)
		}
		// Keep a paused container paused, unless its processes must die.
		thaw = !wasFrozen || sig == unix.SIGKILL
		if pids, err = common.AllPids(dir); err != nil {
			if thaw {
				_ = m.Thaw()
			}
			return err
		}
	}
	for _, p := range pids {
		if err := unix.Kill(p, sig); err != nil && err != unix.ESRCH { //nolint:errorlint // bare errno
			logrus.Warnf("cgroups: kill %d: %v", p, err)
		}
	}
	if thaw {
		return m.Thaw()
	}
	return nil
}

// Stats reads the statistics of every controller the container has.
func (m *Manager) Stats() (*common.Stats, error) {
	st := common.NewStats()
	for _, c := range controllers {
		dir := m.paths[c.name]
		if dir == "" || c.stats == nil {
			continue
		}
		if err := c.stats(dir, st); err != nil {
			if common.IsNotExist(err) {
				continue
			}
			return nil, err
		}
	}
	if m.paths["hugetlb"] == "" && m.paths[Unified] != "" {
		_ = fs2.HugetlbStats(m.paths[Unified], st) // only when hugetlb is enabled there
	}
	return st, nil
}

// TaskFiles returns the "tasks" file of each of the container's v1
// cgroups (each directory once, cpuset first). A single-threaded process
// can join the container by writing "0" to each: moving only the calling
// thread skips the kernel's global threadgroup lock, whose first write
// lock after a quiet period waits for an RCU grace period (milliseconds on
// a busy host) — writing a pid to cgroup.procs, as Apply and Join do,
// pays that. The cgroups must exist (Apply(-1)). The cgroup2 directory of
// hybrid hosts is not included: join it with clone3(CLONE_INTO_CGROUP) or
// Join.
func (m *Manager) TaskFiles() []string {
	var out []string
	done := make(map[string]bool, len(m.paths))
	for _, c := range controllers {
		if dir := m.paths[c.name]; dir != "" && !done[dir] {
			done[dir] = true
			out = append(out, dir+"/tasks")
		}
	}
	return out
}

// OOMKillCount returns the number of processes the OOM killer killed.
func (m *Manager) OOMKillCount() (uint64, error) {
	dir := m.paths["memory"]
	if dir == "" {
		return 0, errors.New("cgroups: no memory cgroup")
	}
	return common.GetKeyValue(dir, "memory.oom_control", "oom_kill")
}

// Subset returns a manager of the same container restricted to the paths
// keep accepts (controller names, "name=systemd", Unified). The systemd
// driver uses it for the hierarchies systemd does not manage.
func (m *Manager) Subset(keep func(key string) bool) *Manager {
	s := &Manager{layout: m.layout, paths: make(map[string]string, len(m.paths)), res: m.res}
	for k, v := range m.paths {
		if keep(k) {
			s.paths[k] = v
		}
	}
	return s
}
