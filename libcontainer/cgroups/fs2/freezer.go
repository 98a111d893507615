package fs2

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// freezeTimeout bounds the wait for a cgroup to report "frozen 1".
const freezeTimeout = 10 * time.Second

// SetFrozen writes cgroup.freeze and, when freezing, waits until
// cgroup.events says "frozen 1". The wait polls cgroup.events (the kernel
// signals POLLPRI on every change) instead of sleeping, and gives up after
// 10 s; a cgroup that does not freeze is thawed again.
func SetFrozen(dir string, frozen bool) error {
	v := "0"
	if frozen {
		v = "1"
	}
	if err := common.WriteFile(dir, "cgroup.freeze", v); err != nil {
		if common.IsNotExist(err) && common.PathExists(dir) {
			return fmt.Errorf("cgroups: the cgroup v2 freezer needs kernel 5.2 or later: %w", err)
		}
		return err
	}
	if !frozen {
		return nil
	}
	if err := waitFrozen(dir); err != nil {
		_ = common.WriteFile(dir, "cgroup.freeze", "0")
		return err
	}
	return nil
}

func waitFrozen(dir string) error {
	fd, err := common.OpenFile(dir, "cgroup.events", unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(freezeTimeout)
	buf := make([]byte, 256)
	for {
		n, err := unix.Pread(fd, buf, 0)
		if err != nil && err != unix.EINTR { //nolint:errorlint // bare errno
			return fmt.Errorf("cgroups: read %s/cgroup.events: %w", dir, err)
		}
		if n > 0 {
			if v, ok, _ := common.KeyValue(string(buf[:n]), "frozen"); ok && v == 1 {
				return nil
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("cgroups: %s did not freeze within %s", dir, freezeTimeout)
		}
		// Wake up on a change of cgroup.events, or every 100 ms at worst.
		ms := int(min(left, 100*time.Millisecond) / time.Millisecond)
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}
		if _, err := unix.Poll(pfd, max(ms, 1)); err != nil && err != unix.EINTR { //nolint:errorlint // bare errno
			return err
		}
	}
}

// Frozen reports whether cgroup.freeze of dir is set. A kernel without the
// v2 freezer reports false.
func Frozen(dir string) (bool, error) {
	s, err := common.GetString(dir, "cgroup.freeze")
	if err != nil {
		if common.IsNotExist(err) && common.PathExists(dir) {
			return false, nil
		}
		return false, err
	}
	return s == "1", nil
}
