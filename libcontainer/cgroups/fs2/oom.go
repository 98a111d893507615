package fs2

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// oomWatcher watches memory.events (oom_kill counter) and cgroup.events
// (populated) with inotify: cgroupfs reports changes of these files as
// IN_MODIFY.
type oomWatcher struct {
	fd   int
	dir  string
	last uint64
}

// NotifyOOM returns a pollable OOM watcher for the container (see
// common.OOMWatcher).
func (m *Manager) NotifyOOM() (common.OOMWatcher, error) { return NotifyOOM(m.dir) }

// NotifyOOM watches the cgroup2 directory dir for OOM kills.
func NotifyOOM(dir string) (common.OOMWatcher, error) {
	last, err := common.GetKeyValue(dir, "memory.events", "oom_kill")
	if err != nil {
		return nil, fmt.Errorf("cgroups: OOM notification needs the memory controller: %w", err)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("cgroups: inotify_init1: %w", err)
	}
	for _, f := range []string{"memory.events", "cgroup.events"} {
		if _, err := unix.InotifyAddWatch(fd, dir+"/"+f, unix.IN_MODIFY); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("cgroups: inotify watch %s/%s: %w", dir, f, err)
		}
	}
	return &oomWatcher{fd: fd, dir: dir, last: last}, nil
}

func (w *oomWatcher) Fd() int { return w.fd }

func (w *oomWatcher) Read() (uint64, bool, error) {
	var buf [4096]byte
	for {
		_, err := unix.Read(w.fd, buf[:])
		if err == unix.EINTR { //nolint:errorlint // bare errno
			continue
		}
		if err != nil && err != unix.EAGAIN { //nolint:errorlint // bare errno
			return 0, false, err
		}
		break
	}
	var n uint64
	cur, err := common.GetKeyValue(w.dir, "memory.events", "oom_kill")
	if err != nil {
		if common.IsNotExist(err) {
			return 0, true, nil
		}
		return 0, false, err
	}
	if cur > w.last {
		n = cur - w.last
	}
	w.last = cur
	pop, err := common.GetKeyValue(w.dir, "cgroup.events", "populated")
	gone := common.IsNotExist(err) || (err == nil && pop == 0)
	return n, gone, nil
}

func (w *oomWatcher) Close() error { return unix.Close(w.fd) }
