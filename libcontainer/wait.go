package libcontainer

import (
	"os"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/sigfwd"
)

// Process is a payload husk started and can wait for (run and exec in the
// foreground): it is husk's child.
type Process struct {
	Pid int
	tty *ttyProxy
	// sealed is the sealed husk binary the process's init ran from, held
	// until the process is waited for: the last reference to the sealed
	// overlayfs tears it down with an expedited RCU grace period (in
	// ovl_free_fs), which would otherwise fall on the payload's execve,
	// before its first instruction (0.2-4 ms here).
	sealed *os.File
}

// Wait proxies the terminal, forwards husk's signals to the process (see
// sigfwd) and returns its exit status (128+N when killed by signal N).
func (p *Process) Wait() int {
	p.tty.start()
	if err := sigfwd.Forward(p.Pid); err != nil {
		logrus.Warn(err)
	}
	var ws unix.WaitStatus
	var err error
	for {
		if _, err = unix.Wait4(p.Pid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	sigfwd.Stop()
	if p.sealed != nil {
		p.sealed.Close()
	}
	p.tty.wait()
	p.tty.close()
	switch {
	case err != nil:
		return 255
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}
