package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/planner"
)

// cgroupManager is what the container code needs of a cgroup driver.
type cgroupManager interface {
	Apply(pid int) error
	Set(r *specs.LinuxResources) error
	Join(pid int, sub string) error
	Paths() map[string]string
	Pids() ([]int, error)
	Kill(sig unix.Signal) error
	Freeze() error
	Thaw() error
	Destroy() error
}

func resourcesOf(cfg *configs.Config) *specs.LinuxResources {
	if cfg.Cgroups == nil {
		return nil
	}
	return cfg.Cgroups.Resources
}

// destroyCgroups kills what is left in the cgroups and removes them.
func destroyCgroups(cg cgroupManager) error {
	_ = cg.Kill(unix.SIGKILL)
	return cg.Destroy()
}

// TODO(cgroups): wire the real driver.
type nopCgroups struct{}

func newCgroupManager(c *configs.Cgroup) (cgroupManager, error) { return nopCgroups{}, nil }
func loadCgroupManager(paths map[string]string) (cgroupManager, error) {
	return nopCgroups{}, nil
}
func cgroupMounts(cg cgroupManager) func(bool) []planner.CgroupMount { return nil }

func (nopCgroups) Apply(int) error                 { return nil }
func (nopCgroups) Set(*specs.LinuxResources) error { return nil }
func (nopCgroups) Join(int, string) error          { return nil }
func (nopCgroups) Paths() map[string]string        { return nil }
func (nopCgroups) Pids() ([]int, error)            { return nil, nil }
func (nopCgroups) Kill(unix.Signal) error          { return nil }
func (nopCgroups) Freeze() error                   { return nil }
func (nopCgroups) Thaw() error                     { return nil }
func (nopCgroups) Destroy() error                  { return nil }
