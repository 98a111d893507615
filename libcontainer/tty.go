package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// ttyProxy receives the container's pty master from the init and either
// hands it to the caller's --console-socket or, in the foreground, proxies
// it to husk's own stdio (the caller's terminal in raw mode).
type ttyProxy struct {
	socket     string
	foreground bool
	master     console.Console
	restore    func()
	copied     sync.WaitGroup
}

// CheckTerminal applies runc's rules for terminal, detach and console socket.
func CheckTerminal(terminal, detach bool, socket string) error {
	if detach && terminal && socket == "" {
		return errors.New("cannot allocate tty if runc will detach without setting console socket")
	}
	if (!detach || !terminal) && socket != "" {
		return errors.New("cannot use console socket if runc will not detach or allocate tty")
	}
	return nil
}

func newTTY(terminal bool, socket string, foreground bool) (*ttyProxy, error) {
	if !terminal {
		return nil, nil
	}
	return &ttyProxy{socket: socket, foreground: foreground && socket == ""}, nil
}

// setMaster is called with the pty master sent by the init.
func (t *ttyProxy) setMaster(f *os.File) error {
	if t == nil {
		f.Close()
		return errors.New("init sent a console but no terminal was requested")
	}
	if t.socket != "" {
		defer f.Close()
		return sendFd(t.socket, "/dev/ptmx", int(f.Fd()))
	}
	c, err := console.ConsoleFromFile(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("pty master: %w", err)
	}
	// As runc: the container's pty does not turn \n into \r\n, the
	// caller's terminal does (containerd/console's SetRaw keeps OPOST).
	if err := console.ClearONLCR(c.Fd()); err != nil {
		c.Close()
		return fmt.Errorf("pty master: clear ONLCR: %w", err)
	}
	t.master = c
	return nil
}

// start begins proxying between the caller's stdio and the pty.
func (t *ttyProxy) start() {
	if t == nil || t.master == nil {
		return
	}
	if cur, err := console.ConsoleFromFile(os.Stdin); err == nil {
		if err := cur.SetRaw(); err == nil {
			t.restore = func() { _ = cur.Reset() }
		}
		if ws, err := cur.Size(); err == nil {
			_ = t.master.Resize(ws)
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				if ws, err := cur.Size(); err == nil {
					_ = t.master.Resize(ws)
				}
			}
		}()
	}
	go func() { _, _ = io.Copy(t.master, os.Stdin) }()
	t.copied.Add(1)
	go func() {
		defer t.copied.Done()
		_, _ = io.Copy(os.Stdout, t.master)
	}()
}

// wait drains the pty after the process exited.
func (t *ttyProxy) wait() {
	if t == nil || t.master == nil {
		return
	}
	t.copied.Wait()
}

func (t *ttyProxy) close() {
	if t == nil {
		return
	}
	if t.restore != nil {
		t.restore()
		t.restore = nil
	}
	if t.master != nil {
		t.master.Close()
	}
}

// sendFd sends fd over the unix socket at path with SCM_RIGHTS, the name as
// the message body (runc's console-socket protocol). Raw syscalls keep the
// net package out of the binary.
func sendFd(path, name string, fd int) error {
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(s)
	if err := unix.Connect(s, &unix.SockaddrUnix{Name: path}); err != nil {
		return fmt.Errorf("connect to socket %s: %w", path, err)
	}
	if err := unix.Sendmsg(s, []byte(name), unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send fd over %s: %w", path, err)
	}
	return nil
}

// sendPidfd sends a pidfd of pid over the socket (--pidfd-socket).
func sendPidfd(path string, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	defer unix.Close(fd)
	return sendFd(path, "pidfd", fd)
}
