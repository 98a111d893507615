package libcontainer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// A container without a mount namespace of its own has its mounts made
// under its rootfs in the runtime's namespace (see planner.planRootfs):
// husk records which ones the init made and removes them on delete and
// after a failed create, so that nothing is left on the host.

// mountsUnder lists the mounts strictly below rootfs, in mountinfo order.
func mountsUnder(rootfs string) ([]*mountinfo.Info, error) {
	ms, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		return !strings.HasPrefix(m.Mountpoint, strings.TrimSuffix(rootfs, "/")+"/"), false
	})
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return ms, nil
}

// hostMountSnapshot is the set of mounts below the rootfs before the init.
type hostMountSnapshot map[int]bool

func snapshotHostMounts(rootfs string) (hostMountSnapshot, error) {
	ms, err := mountsUnder(rootfs)
	if err != nil {
		return nil, err
	}
	s := hostMountSnapshot{}
	for _, m := range ms {
		s[m.ID] = true
	}
	return s, nil
}

// added lists the mount points below rootfs made since the snapshot.
func (s hostMountSnapshot) added(rootfs string) ([]string, error) {
	ms, err := mountsUnder(rootfs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if !s[m.ID] {
			out = append(out, m.Mountpoint)
		}
	}
	return out, nil
}

// unmountHost detaches the mount points, the last made first; ones that
// are gone already are fine.
func unmountHost(points []string) error {
	var errs []error
	for i := len(points) - 1; i >= 0; i-- {
		err := unix.Unmount(points[i], unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", points[i], err))
		}
	}
	return errors.Join(errs...)
}
