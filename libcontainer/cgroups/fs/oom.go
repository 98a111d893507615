package fs

import (
	"encoding/binary"
	"errors"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
)

// oomWatcher is a v1 memory.oom_control notification: an eventfd
// registered through cgroup.event_control. The kernel also signals it when
// the cgroup is removed.
type oomWatcher struct {
	efd, cfd int
	dir      string
}

// NotifyOOM returns a pollable OOM watcher for the container (see
// common.OOMWatcher). On hybrid hosts whose memory controller is bound to
// cgroup2 it watches memory.events there.
func (m *Manager) NotifyOOM() (common.OOMWatcher, error) {
	dir := m.paths["memory"]
	if dir == "" {
		if u := m.paths[Unified]; u != "" {
			return fs2.NotifyOOM(u)
		}
		return nil, errors.New("cgroups: OOM notification needs the memory controller")
	}
	cfd, err := common.OpenFile(dir, "memory.oom_control", unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(cfd)
		return nil, err
	}
	if err := common.WriteFile(dir, "cgroup.event_control", strconv.Itoa(efd)+" "+strconv.Itoa(cfd)); err != nil {
		unix.Close(efd)
		unix.Close(cfd)
		return nil, err
	}
	return &oomWatcher{efd: efd, cfd: cfd, dir: dir}, nil
}

func (w *oomWatcher) Fd() int { return w.efd }

func (w *oomWatcher) Read() (uint64, bool, error) {
	var buf [8]byte
	n, err := unix.Read(w.efd, buf[:])
	if err == unix.EAGAIN || err == unix.EINTR { //nolint:errorlint // bare errno
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if n != 8 {
		return 0, false, errors.New("cgroups: short eventfd read")
	}
	// A removed cgroup also signals the eventfd.
	if !common.PathExists(w.dir + "/cgroup.event_control") {
		return 0, true, nil
	}
	return binary.NativeEndian.Uint64(buf[:]), false, nil
}

func (w *oomWatcher) Close() error {
	err := unix.Close(w.efd)
	if err2 := unix.Close(w.cfd); err == nil {
		err = err2
	}
	return err
}
