package initproc

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// fuzzHandler answers every request; it checks the pids it is given.
type fuzzHandler struct {
	t    *testing.T
	errs uint8 // bit n: the nth call fails
	n    int
}

func (h *fuzzHandler) fail() error {
	h.n++
	if h.n < 8 && h.errs&(1<<h.n) != 0 {
		return errors.New("handler error")
	}
	return nil
}

// pid checks a pid given to the handler: a real one, or 0 for Usermap
// (the init itself).
func (h *fuzzHandler) pid(pid int, zero bool) error {
	if pid < 0 || pid > maxPid || pid == 0 && !zero {
		h.t.Fatalf("handler given pid %d", pid)
	}
	return h.fail()
}

func (h *fuzzHandler) Pid(pid int) error     { return h.pid(pid, false) }
func (h *fuzzHandler) Usermap(pid int) error { return h.pid(pid, true) }
func (h *fuzzHandler) Hooks(pid int) ([]byte, error) {
	return []byte(`{"ociVersion":"1.3.0"}`), h.fail()
}
func (h *fuzzHandler) Console(f *os.File) error { f.Close(); return h.fail() }
func (h *fuzzHandler) Seccomp(f *os.File) error { f.Close(); return h.fail() }
func (h *fuzzHandler) Cgroup() error {
	if h.errs&1 != 0 {
		return ErrDetach
	}
	return h.fail()
}
func (h *fuzzHandler) Log(level, msg string) {}

// msg frames one sync message.
func msg(typ uint32, payload string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// FuzzSync feeds what a hostile or broken init could write on the init
// pipe (any bytes, some fds attached) to Sync and then WaitExec: the
// parent must return (an error or not) without panicking, hanging or
// leaking the fds, and never hand a handler an impossible pid.
func FuzzSync(f *testing.F) {
	pid := string(binary.LittleEndian.AppendUint32(nil, 4242))
	join := func(ms ...[]byte) []byte {
		return []byte(strings.Join(func() []string {
			var s []string
			for _, m := range ms {
				s = append(s, string(m))
			}
			return s
		}(), ""))
	}
	f.Add(join(msg(initplan.SyncLog, "debug\x00hello"), msg(initplan.SyncUsermap, pid), msg(initplan.SyncHooks, ""),
		msg(initplan.SyncCgroup, ""), msg(initplan.SyncReady, ""), msg(initplan.SyncLog, "warning\x00x")), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncConsole, ""), msg(initplan.SyncReady, "")), uint8(1), uint8(0))
	f.Add(join(msg(initplan.SyncSeccomp, ""), msg(initplan.SyncError, "boom")), uint8(1), uint8(2))
	f.Add(join(msg(initplan.SyncPid, pid)), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncPid, "\x00\x00\x00\x00")), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncUsermap, "\x00\x00\x00\x00"), msg(initplan.SyncReady, "")), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncUsermap, "\xff\xff\xff\xff")), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncReady, ""), msg(initplan.SyncHooks, "")), uint8(0), uint8(0))
	f.Add(join(msg(initplan.SyncCgroup, "")), uint8(0), uint8(1))
	f.Add(join(msg(initplan.SyncLog, "x"), msg(initplan.SyncConsole, "")), uint8(3), uint8(0))
	f.Add([]byte("\x07\x00\x00\x00\x00\x00\x10\x00"), uint8(0), uint8(0))
	f.Add([]byte("\x07\x00\x00"), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, nfds, errs uint8) {
		// The fds sent are the write end of a pipe: once husk closed
		// every one it received, the read end sees EOF.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		parent := os.NewFile(uintptr(fds[0]), "parent")
		child := os.NewFile(uintptr(fds[1]), "child")
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer child.Close()
			// The init: the bytes, with nfds%6 fds attached to the first
			// ones (more than recv takes), then EOF.
			defer w.Close()
			var rights []byte
			if n := int(nfds % 6); n > 0 && len(data) > 0 {
				list := make([]int, n)
				for i := range list {
					list[i] = int(w.Fd())
				}
				rights = unix.UnixRights(list...)
			}
			rest := data
			if rights != nil {
				k := min(len(rest), 8)
				if err := unix.Sendmsg(fds[1], rest[:k], rights, nil, 0); err != nil {
					return
				}
				rest = rest[k:]
			}
			w.Close()
			if _, err := child.Write(rest); err != nil {
				return
			}
			_ = unix.Shutdown(fds[1], unix.SHUT_WR)
			_, _ = io.Copy(io.Discard, child) // the acks
		}()
		// The middle process is not our child: waitPid fails (ECHILD).
		in := &Init{Child: os.Getpid(), Pid: os.Getpid(), pipe: parent}
		h := &fuzzHandler{t: t, errs: errs}
		err = in.Sync(h)
		if err == nil {
			err = in.WaitExec(h)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		in.Close()
		<-done
		// A non-blocking read: 0 (EOF) or EAGAIN (a write end is open).
		rc, cerr := r.SyscallConn()
		if cerr != nil {
			t.Fatal(cerr)
		}
		n, rerr := -1, error(nil)
		_ = rc.Control(func(fd uintptr) { n, rerr = unix.Read(int(fd), make([]byte, 1)) })
		if n != 0 {
			t.Fatalf("an fd sent by the init is still open (read: %d, %v; Sync: %v)", n, rerr, err)
		}
	})
}
