package integration

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// consoleSocket is the receiving end of --console-socket: the runtime connects
// and sends the pty master with SCM_RIGHTS (the protocol containerd and conmon
// implement).
type consoleSocket struct {
	Path string
	ln   *net.UnixListener
	got  chan consoleMsg
}

type consoleMsg struct {
	f   *os.File
	err error
}

func (e *env) consoleSocket() *consoleSocket {
	e.t.Helper()
	dir, err := os.MkdirTemp("", "hcs") // short path: sun_path is 108 bytes
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { os.RemoveAll(dir) })
	c := &consoleSocket{Path: filepath.Join(dir, "s"), got: make(chan consoleMsg, 1)}
	c.ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: c.Path, Net: "unix"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.ln.Close() })
	go c.accept()
	return c
}

func (c *consoleSocket) accept() {
	conn, err := c.ln.AcceptUnix()
	if err != nil {
		c.got <- consoleMsg{err: err}
		return
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		c.got <- consoleMsg{err: err}
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		c.got <- consoleMsg{err: err}
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		c.got <- consoleMsg{err: err}
		return
	}
	c.got <- consoleMsg{f: os.NewFile(uintptr(fds[0]), string(buf[:n]))}
}

// master waits for the runtime to send the pty master.
func (c *consoleSocket) master(t *testing.T) *os.File {
	t.Helper()
	select {
	case m := <-c.got:
		if m.err != nil || m.f == nil {
			t.Fatalf("console socket: no pty master received: %v", m.err)
		}
		t.Cleanup(func() { m.f.Close() })
		return m.f
	case <-time.After(15 * time.Second):
		t.Fatalf("console socket: nothing received within 15s")
	}
	return nil
}

// ttyReader collects everything read from a pty master until EIO (all slave
// ends closed).
type ttyReader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func readTTY(f *os.File) *ttyReader {
	r := &ttyReader{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

// wait returns the output once the slave side is closed (or after 10s).
func (r *ttyReader) wait(t *testing.T) string {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Errorf("pty still open after 10s")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.ReplaceAll(r.buf.String(), "\r\n", "\n")
}

// openPty opens a new pty pair on the host: master and slave.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}
