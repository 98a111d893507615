package fs

import (
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
)

var freezerController = controller{
	name:    "freezer",
	prepare: prepareFreezer,
}

// prepareFreezer refuses a frozen cgroup (itself or through a parent): the
// process would stop dead on joining it.
func prepareFreezer(_ *Manager, dir string) error {
	s, err := common.GetString(dir, "freezer.state")
	if err != nil {
		return err
	}
	if s != "THAWED" {
		return fmt.Errorf("cgroups: freezer cgroup %s is %s (by itself or a parent); refusing to put a process into it", dir, s)
	}
	return nil
}

var errNoFreezer = errors.New("cgroups: the container has no freezer cgroup")

// Freeze freezes the container: through the v1 freezer, or — on a hybrid
// host without one — through cgroup.freeze of the cgroup2 directory.
func (m *Manager) Freeze() error {
	if dir := m.paths["freezer"]; dir != "" {
		return freeze(dir)
	}
	if u := m.paths[Unified]; u != "" {
		return fs2.SetFrozen(u, true)
	}
	return errNoFreezer
}

// Thaw thaws the container.
func (m *Manager) Thaw() error {
	if dir := m.paths["freezer"]; dir != "" {
		return common.WriteFile(dir, "freezer.state", "THAWED")
	}
	if u := m.paths[Unified]; u != "" {
		return fs2.SetFrozen(u, false)
	}
	return errNoFreezer
}

// State reports whether the container is frozen by its own cgroup (one
// frozen only through a parent counts as not frozen, as in runc).
func (m *Manager) State() (bool, error) {
	if dir := m.paths["freezer"]; dir != "" {
		return freezerState(dir)
	}
	if u := m.paths[Unified]; u != "" {
		return fs2.Frozen(u)
	}
	return false, nil
}

func freezerState(dir string) (bool, error) {
	for i := 0; ; i++ {
		s, err := common.GetString(dir, "freezer.state")
		if err != nil {
			return false, err
		}
		switch s {
		case "THAWED":
			return false, nil
		case "FROZEN":
			self, err := common.GetString(dir, "freezer.self_freezing")
			if err != nil {
				return true, nil //nolint:nilerr // old kernel: no self_freezing
			}
			return self == "1", nil
		case "FREEZING":
			// Transient; wait a little for a stable answer, bounded.
			if i == 1000 {
				return true, nil
			}
			time.Sleep(time.Millisecond)
		default:
			return false, fmt.Errorf("cgroups: unknown freezer.state %q in %s", s, dir)
		}
	}
}

// freeze writes FROZEN until the kernel reports FROZEN. The v1 freezer can
// stay in FREEZING while tasks keep forking; as runc, the write is repeated,
// with an occasional thaw and short sleep, up to 1000 times (≈ 0.3 s of
// sleeps), then the cgroup is thawed and an error returned.
func freeze(dir string) (retErr error) {
	defer func() {
		if retErr != nil {
			_ = common.WriteFile(dir, "freezer.state", "THAWED")
		}
	}()
	for i := 0; i < 1000; i++ {
		if i%50 == 49 {
			_ = common.WriteFile(dir, "freezer.state", "THAWED")
			time.Sleep(10 * time.Millisecond)
		}
		if err := common.WriteFile(dir, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		if i%25 == 24 {
			time.Sleep(10 * time.Microsecond)
		}
		s, err := common.GetString(dir, "freezer.state")
		if err != nil {
			return err
		}
		switch s {
		case "FROZEN":
			if i > 1 {
				logrus.Debugf("cgroups: %s frozen after %d tries", dir, i)
			}
			return nil
		case "FREEZING":
			continue
		default:
			return fmt.Errorf("cgroups: unexpected freezer.state %q while freezing %s", s, dir)
		}
	}
	return fmt.Errorf("cgroups: unable to freeze %s", dir)
}
