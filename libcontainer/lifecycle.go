package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups"
	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/hooks"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// Start releases a created container's init: it opens the exec fifo the
// init is blocked on, then runs the poststart hooks.
func (c *Container) Start() error {
	if s := c.Status(); s != state.Created {
		return &ErrTransition{Op: "start", Status: s}
	}
	if err := c.awaitFifo(); err != nil {
		return err
	}
	// The status reads "running" from here on (no exec fifo): nothing
	// else changes, so the state is not rewritten.
	_ = os.Remove(c.h.FifoPath())
	return c.postStart()
}

// postStart runs poststart hooks; a failure kills the container.
func (c *Container) postStart() error {
	list := c.st.Hooks[configs.Poststart]
	if len(list) == 0 {
		return nil
	}
	s := hookState(c.st, "running", c.st.InitPid)
	if err := hooks.Run(configs.Poststart, list, s); err != nil {
		_ = unix.Kill(c.st.InitPid, unix.SIGKILL)
		return err
	}
	return nil
}

// awaitFifo opens the exec fifo for reading, which releases the init, and
// reads until EOF: the init keeps the write end open (close-on-exec) until
// the payload's execve, and writes there what it died of before that (a
// startContainer hook, the exec). It never blocks forever on a dead init.
func (c *Container) awaitFifo() error {
	fd, err := unix.Open(c.h.FifoPath(), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer unix.Close(fd)
	var msg []byte
	buf := make([]byte, 4096)
	dead := false
	for {
		// A fifo whose writer never came shows no POLLHUP; one whose
		// writer came and went does, even when it is gone by now.
		timeout := 100
		if dead {
			timeout = 0
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, timeout)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("poll exec fifo: %w", err)
		}
		if n > 0 && pfd[0].Revents&unix.POLLIN != 0 {
			if k, err := unix.Read(fd, buf); err == nil && k > 0 {
				msg = append(msg, buf[:k]...)
				continue
			}
		}
		if n > 0 && pfd[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			if len(msg) > 0 {
				return fmt.Errorf("unable to start container process: %s", msg)
			}
			return nil
		}
		if dead {
			return errors.New("cannot start a container that has stopped")
		}
		dead = !c.st.InitAlive()
	}
}

// Signal sends sig to the init, or with all to every process of the container.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	status := c.Status()
	if status == state.Stopped {
		return fmt.Errorf("%w: container not running", &ErrTransition{Op: "kill", Status: status})
	}
	if all {
		cg, err := loadCgroupManager(c.st.CgroupPaths)
		if err != nil {
			return err
		}
		return cg.Kill(sig)
	}
	if err := unix.Kill(c.st.InitPid, sig); err != nil {
		return fmt.Errorf("kill container init %d: %w", c.st.InitPid, err)
	}
	if status == state.Paused && sig == unix.SIGKILL {
		if cg, err := loadCgroupManager(c.st.CgroupPaths); err == nil {
			_ = cg.Thaw()
		}
	}
	return nil
}

// Delete removes a container; running and paused ones only with force.
func (c *Container) Delete(force bool) error {
	status := c.Status()
	switch status {
	case state.Stopped:
	case state.Created:
		c.killInit()
	default:
		if !force {
			return fmt.Errorf("cannot delete container %s that is not stopped: %s", c.st.ID, status)
		}
		c.killInit()
	}
	return c.destroy()
}

// killInit kills the init (thawing it if frozen) and waits until it is gone.
func (c *Container) killInit() {
	pidfd, err := unix.PidfdOpen(c.st.InitPid, 0)
	if err != nil || !c.st.InitAlive() {
		if err == nil {
			unix.Close(pidfd)
		}
		return
	}
	defer unix.Close(pidfd)
	_ = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
	if c.st.Paused {
		if cg, err := loadCgroupManager(c.st.CgroupPaths); err == nil {
			_ = cg.Thaw()
		}
	}
	pfd := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(pfd, 100)
		if n > 0 || (err != nil && err != unix.EINTR) {
			return
		}
	}
	logrus.Warnf("container %s: init %d did not exit after SIGKILL", c.st.ID, c.st.InitPid)
}

// destroy removes cgroups and state and runs the poststop hooks.
func (c *Container) destroy() error {
	var errs []error
	if len(c.st.CgroupPaths) > 0 {
		cg, err := loadCgroupManager(c.st.CgroupPaths)
		if err == nil {
			err = destroyCgroups(cg)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := unmountHost(c.st.HostMounts); err != nil {
		errs = append(errs, err)
	}
	if err := c.h.Remove(); err != nil {
		errs = append(errs, err)
	}
	if list := c.st.Hooks[configs.Poststop]; len(list) > 0 {
		s := hookState(c.st, "stopped", 0)
		for _, err := range hooks.RunAll(configs.Poststop, list, s) {
			logrus.Warn(err)
		}
	}
	return errors.Join(errs...)
}

// DeleteMissingOK is `delete --force` of an id that may not exist.
func (rt *Runtime) DeleteMissingOK(id string) error {
	c, err := rt.Load(id)
	if errors.Is(err, state.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Delete(true)
}

// Pause freezes a created or running container (its cgroup freezer) and
// records it: the status reads "paused" until Resume.
func (c *Container) Pause() error {
	switch s := c.Status(); s {
	case state.Created, state.Running:
	default:
		return fmt.Errorf("container not running or created: %s", s)
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return err
	}
	if err := cg.Freeze(); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	c.st.Paused = true
	return c.h.Save(c.st)
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if s := c.Status(); s != state.Paused {
		return fmt.Errorf("container not paused")
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return err
	}
	if err := cg.Thaw(); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	c.st.Paused = false
	return c.h.Save(c.st)
}

// Processes lists the host pids of every process in the container's
// cgroups (sub-cgroups included); none for a container whose cgroups are
// gone.
func (c *Container) Processes() ([]int, error) {
	if len(c.st.CgroupPaths) == 0 {
		if c.st.InitAlive() { // a rootless container that got no cgroup
			return nil, cgroups.ErrNoCgroup
		}
		return nil, nil
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return nil, err
	}
	if !cg.Exists() {
		return nil, nil
	}
	return cg.Pids()
}
