package libcontainer

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/events"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// Events reports the container's statistics (once, or every interval)
// and its OOM kills to emit, as `runc events` does, until the container
// is gone (its init exited or it was deleted). The container's lock is
// released first: kill and delete must not wait for it.
func (c *Container) Events(interval time.Duration, once bool, emit func(events.Event) error) error {
	if c.Status() == state.Stopped {
		return fmt.Errorf("container with id %s is not running", c.st.ID)
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return err
	}
	stats := func() error {
		s, err := cg.Stats()
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		return emit(events.Event{Type: "stats", ID: c.st.ID, Data: events.FromCgroups(s)})
	}
	if once {
		return stats()
	}
	c.Close()
	if w, err := cg.NotifyOOM(); err == nil {
		defer w.Close()
		readOOM := func() (bool, error) {
			n, gone, err := w.Read()
			if err != nil {
				return false, err
			}
			for ; n > 0; n-- {
				if err := emit(events.Event{Type: "oom", ID: c.st.ID}); err != nil {
					return false, err
				}
			}
			return gone, nil
		}
		return c.eventLoop(interval, w.Fd(), stats, readOOM)
	}
	return c.eventLoop(interval, -1, stats, nil)
}

func (c *Container) eventLoop(interval time.Duration, oomFd int, stats func() error, readOOM func() (bool, error)) error {
	const check = 100 * time.Millisecond // how soon a vanished container is noticed
	next := time.Now().Add(interval)
	for {
		wait := time.Until(next)
		if wait > check {
			wait = check
		}
		if wait < 0 {
			wait = 0
		}
		var fds []unix.PollFd
		if oomFd >= 0 {
			fds = []unix.PollFd{{Fd: int32(oomFd), Events: unix.POLLIN | unix.POLLPRI}}
		}
		n, err := unix.Poll(fds, int(wait/time.Millisecond))
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("poll: %w", err)
		}
		if n > 0 && readOOM != nil {
			gone, err := readOOM()
			if err != nil || gone {
				return err
			}
		}
		if !c.st.InitAlive() {
			return nil
		}
		if _, err := os.Stat(c.h.Dir); err != nil {
			return nil // deleted
		}
		if !time.Now().Before(next) {
			if err := stats(); err != nil {
				return err
			}
			next = next.Add(interval)
		}
	}
}
