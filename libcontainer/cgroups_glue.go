package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups"
	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/planner"
)

// cgroupManager is what the container code needs of a cgroup driver.
type cgroupManager = cgroups.Manager

func resourcesOf(cfg *configs.Config) *specs.LinuxResources {
	if cfg.Cgroups == nil {
		return nil
	}
	return cfg.Cgroups.Resources
}

func newCgroupManager(c *configs.Cgroup) (cgroupManager, error) { return cgroups.New(c) }

// loadCgroupManager loads the saved cgroups; none saved is a rootless
// container that got none (cgroups.None).
func loadCgroupManager(paths map[string]string) (cgroupManager, error) {
	if len(paths) == 0 {
		return cgroups.None{}, nil
	}
	return cgroups.Load(paths)
}

// destroyCgroups kills what is left in the cgroups and removes them.
func destroyCgroups(cg cgroupManager) error {
	_ = cg.Kill(unix.SIGKILL)
	return cg.Destroy()
}

// cgroupMounts adapts the manager's view of a "cgroup" mount for the planner.
func cgroupMounts(cg cgroupManager) func(bool) []planner.CgroupMount {
	return func(cgroupns bool) []planner.CgroupMount {
		ms := cgroups.ContainerMounts(cg, cgroupns)
		out := make([]planner.CgroupMount, len(ms))
		for i, m := range ms {
			out[i] = planner.CgroupMount{Source: m.Source, Dest: m.Dest, FSType: m.FSType, Data: m.Data,
				Flags: m.Flags, Symlink: m.Symlink}
		}
		return out
	}
}

// cgroupJoin places a freshly started, still single-threaded child in
// the container's cgroups: the cgroup2 directory through clone3
// CLONE_INTO_CGROUP (cgroupFD, opened before the fork), the v1 hierarchies
// by the child itself writing "0" to their "tasks" files (openTasks),
// which moves the calling thread without the kernel's global threadgroup
// lock and the RCU grace period its first write lock after a quiet spell
// waits for; a pid written by husk (join, where the child cannot: a
// systemd scope made by the join, exec into a paused container) takes it.
type cgroupJoin struct {
	cg       cgroupManager
	cgroupFD *os.File
	// pending: the cgroup is made by the join itself (a systemd scope), so
	// the init's rootfs (its cgroup mount) must wait for it.
	pending bool
	// tasks are the v1 "tasks" files the child joins itself through
	// (openTasks): join then has nothing left to do.
	tasks []*os.File
}

// openTasks opens the v1 "tasks" files for the child to write "0" to
// (planner.Options.CgroupTasks), appending them to extra, the child's
// fds from 3 on. None where the join makes the cgroup (systemd) or the
// manager has no v1 hierarchies.
func (j *cgroupJoin) openTasks(extra *[]*os.File) ([]planner.CgroupTask, error) {
	if j.pending {
		return nil, nil
	}
	files := cgroups.TaskFiles(j.cg)
	out := make([]planner.CgroupTask, 0, len(files))
	for _, name := range files {
		f, err := os.OpenFile(name, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("join cgroup %s: %w", name, err)
		}
		j.tasks = append(j.tasks, f)
		out = append(out, planner.CgroupTask{Fd: 3 + len(*extra), Path: name})
		*extra = append(*extra, f)
	}
	return out, nil
}

// prepare opens the cgroup2 directory for CLONE_INTO_CGROUP.
func prepareJoin(cg cgroupManager) (*cgroupJoin, error) {
	j := &cgroupJoin{cg: cg}
	if cgroups.JoinCreates(cg) {
		j.pending = true // made when the init joins (a systemd scope)
		return j, nil
	}
	if dir := cg.Paths()[""]; dir != "" {
		f, err := os.OpenFile(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if errors.Is(err, os.ErrNotExist) {
			j.pending = true // made when the init joins (a systemd scope)
			return j, nil
		}
		if err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", dir, err)
		}
		j.cgroupFD = f
	}
	return j, nil
}

// fd is the CLONE_INTO_CGROUP fd, -1 for none.
func (j *cgroupJoin) fd() int {
	if j.cgroupFD == nil {
		return -1
	}
	return int(j.cgroupFD.Fd())
}

// join writes pid to the v1 tasks files (cgroup.procs when the manager
// has none).
func (j *cgroupJoin) join(pid int) error {
	if j.tasks != nil {
		return nil // the child wrote "0" to them (OpCgroupJoin)
	}
	files := cgroups.TaskFiles(j.cg)
	if files == nil && j.cgroupFD == nil {
		return j.cg.Join(pid, "")
	}
	b := []byte(strconv.Itoa(pid))
	for _, f := range files {
		if err := os.WriteFile(f, b, 0); err != nil {
			return fmt.Errorf("join cgroup %s: %w", f, err)
		}
	}
	return nil
}

func (j *cgroupJoin) close() {
	if j == nil {
		return
	}
	if j.cgroupFD != nil {
		j.cgroupFD.Close()
	}
	for _, f := range j.tasks {
		f.Close()
	}
}

// rootlessWithoutCgroup decides, for a failed Apply, whether the container
// runs without a cgroup: husk is rootless, linux.cgroupsPath was not given
// and the error is a permission one (runc's ErrRootless case). It says so
// in the log, naming the resource limits that will not be enforced.
func rootlessWithoutCgroup(rt *Runtime, cfg *configs.Config, err error) bool {
	if !rt.Rootless || cfg.Cgroups == nil || cfg.Cgroups.Path != "" {
		return false
	}
	if !errors.Is(err, os.ErrPermission) && !errors.Is(err, unix.EROFS) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
		return false
	}
	logrus.Debugf("rootless container without a cgroup (%v)", err)
	if ignored := resourceFields(cfg.Cgroups.Resources); len(ignored) > 0 {
		logrus.Warnf("rootless container: resource limits not applied (no writable cgroup): %s", strings.Join(ignored, ", "))
	}
	return true
}

// resourceFields names the linux.resources fields that are set.
func resourceFields(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, "linux.resources."+name)
		}
	}
	add(r.Memory != nil, "memory")
	add(r.CPU != nil, "cpu")
	add(r.Pids != nil, "pids")
	add(r.BlockIO != nil, "blockIO")
	add(len(r.HugepageLimits) > 0, "hugepageLimits")
	add(r.Network != nil, "network")
	add(len(r.Rdma) > 0, "rdma")
	add(len(r.Unified) > 0, "unified")
	// linux.resources.devices: a rootless container gets the host's device
	// nodes bind-mounted, which it could open anyway (runc ignores the
	// devices controller when rootless, too).
	return out
}
