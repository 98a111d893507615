// Package systemd will hold the systemd cgroup driver (--systemd-cgroup:
// transient scope units created over D-Bus, cgroupsPath "slice:prefix:name").
// It is a stub for now.
package systemd

import (
	"fmt"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// New returns an error: the systemd driver is not written yet.
func New(path, name string) error {
	return fmt.Errorf("cgroups: the systemd cgroup driver (--systemd-cgroup, cgroupsPath %q) is %w; use the cgroupfs driver", path, common.ErrNotImplemented)
}
