// Package initproc is the parent side of the init protocol: it starts
// `husk init` (the binary re-executed, whose C constructor runs the plan),
// sends the plan over the init pipe and answers the child's sync requests.
package initproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// EnvInitPipe names the fd number of the init pipe in the child's
// environment; the constructor runs only when it is set.
const EnvInitPipe = "_HUSK_INITPIPE"

// Handler answers the child's requests during set-up. Each method returns
// the payload of the SyncAck (nil for none) or an error that aborts the
// set-up.
type Handler interface {
	// Pid is called when the child forked (OpFork): pid is the process that
	// will become the payload.
	Pid(pid int) error
	// Usermap asks for uid_map/gid_map of pid to be written.
	Usermap(pid int) error
	// Hooks runs prestart and createRuntime hooks and returns the state JSON
	// that the child hands to createContainer and startContainer hooks.
	Hooks(pid int) ([]byte, error)
	// Console receives the pty master.
	Console(master *os.File) error
	// Seccomp receives the seccomp listener fd.
	Seccomp(fd *os.File) error
	// Cgroup returns once the child is in its cgroups (OpCgroupSync).
	Cgroup() error
	// Log receives a log line of the child (level, message).
	Log(level, msg string)
}

// Spawn describes the child to start.
type Spawn struct {
	// Exe is the sealed husk binary to re-execute (see package exeseal).
	Exe *os.File
	// Cloneflags are the namespaces created at clone time.
	Cloneflags uintptr
	// UidMappings/GidMappings are written by Go's fork when Cloneflags has
	// CLONE_NEWUSER.
	UidMappings []syscall.SysProcIDMap
	GidMappings []syscall.SysProcIDMap
	// GidMappingsEnableSetgroups as in syscall.SysProcAttr.
	GidMappingsEnableSetgroups bool
	// Stdin, Stdout, Stderr of the child (nil: husk's own).
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles become fds 3.. in the child; the init pipe is appended after
	// them. The plan refers to them by number (3 + index).
	ExtraFiles []*os.File
	// CgroupFD, when >= 0, starts the child in that cgroup (v2, CLONE_INTO_CGROUP).
	CgroupFD int
	// Setpgid/Foreground put the child in its own process group.
	Setpgid bool
}

// Init is a started child.
type Init struct {
	// Child is the process husk started; Pid the payload's (they differ
	// after OpFork, when Child is the middle process, already reaped).
	Child int
	Pid   int
	pipe  *os.File
	// Forked is true when Pid is not Cmd's process (OpFork was used).
	Forked bool
}

// PipeFd is the fd number the init pipe gets in a child with n extra files.
func PipeFd(nExtra int) int { return 3 + nExtra }

// Start starts the child and sends it the plan. The child blocks until the
// plan arrives, so the caller can place it in cgroups between Start and
// Sync by passing the plan to Sync instead.
func Start(s *Spawn) (*Init, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("init pipe: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "init-pipe-parent")
	child := os.NewFile(uintptr(fds[1]), "init-pipe-child")
	defer child.Close()

	files := []uintptr{0, 1, 2}
	for i, f := range []*os.File{s.Stdin, s.Stdout, s.Stderr} {
		if f != nil {
			files[i] = f.Fd()
		}
	}
	for _, f := range s.ExtraFiles {
		files = append(files, f.Fd())
	}
	files = append(files, child.Fd())
	attr := &syscall.SysProcAttr{
		Cloneflags:                 s.Cloneflags,
		UidMappings:                s.UidMappings,
		GidMappings:                s.GidMappings,
		GidMappingsEnableSetgroups: s.GidMappingsEnableSetgroups,
		Setpgid:                    s.Setpgid,
	}
	if s.Cloneflags&syscall.CLONE_NEWUSER != 0 {
		// Become root of the new user namespace before exec, or the init
		// runs as the overflow uid without capabilities there.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	if s.CgroupFD >= 0 {
		attr.UseCgroupFD = true
		attr.CgroupFD = s.CgroupFD
	}
	// Exec the sealed binary by fd. The fd is moved above every slot the
	// fork's dup2 fills (the child's n fds, then at most n temporary
	// copies) and stays close-on-exec: the kernel resolves the path before
	// closing it, and the init never holds it. Not higher: growing the fd
	// table of a threaded process waits for an RCU grace period (~10 ms).
	exeFd, err := unix.FcntlInt(s.Exe.Fd(), unix.F_DUPFD_CLOEXEC, 2*len(files)+1)
	if err != nil {
		parent.Close()
		return nil, fmt.Errorf("init binary: %w", err)
	}
	defer unix.Close(exeFd)
	// syscall.ForkExec rather than os/exec: no one-time pidfd probe fork.
	pid, err := syscall.ForkExec("/proc/self/fd/"+strconv.Itoa(exeFd), []string{"husk", "init"}, &syscall.ProcAttr{
		Env:   []string{EnvInitPipe + "=" + strconv.Itoa(PipeFd(len(s.ExtraFiles)))},
		Files: files,
		Sys:   attr,
	})
	if err != nil {
		parent.Close()
		return nil, fmt.Errorf("start init process: %w", err)
	}
	return &Init{Child: pid, Pid: pid, pipe: parent}, nil
}

// SendPlan writes the plan to the child.
func (in *Init) SendPlan(plan []byte) error {
	if _, err := in.pipe.Write(plan); err != nil {
		return fmt.Errorf("send init plan: %w", err)
	}
	return nil
}

// ErrDetach, returned by Handler.Cgroup, ends Sync once the child is
// acknowledged (the child joined a frozen cgroup and cannot go on until
// it is thawed); Sync returns it.
var ErrDetach = errors.New("init detached in a frozen cgroup")

// ChildError is an error reported by the init child itself.
type ChildError struct{ Msg string }

func (e *ChildError) Error() string {
	if e.Msg == "" { // a SyncError without text: still say what failed
		return "init process failed without an error message"
	}
	return e.Msg
}

// Sync answers the child's requests until it reports ready (SyncReady) or
// fails. After a nil return the pipe stays open: WaitExec reads it to EOF.
func (in *Init) Sync(h Handler) error {
	for {
		typ, payload, files, err := in.recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return in.deadChildError()
			}
			return err
		}
		if typ != initplan.SyncConsole && typ != initplan.SyncSeccomp {
			// Only these carry an fd: any other is not ours to keep.
			closeAll(files)
			files = nil
		}
		var ack []byte
		switch typ {
		case initplan.SyncError:
			return &ChildError{Msg: string(payload)}
		case initplan.SyncLog:
			lvl, msg, _ := cut(payload)
			h.Log(lvl, msg)
			continue
		case initplan.SyncReady:
			return nil
		case initplan.SyncPid:
			pid, err := u32(payload)
			if err != nil {
				return err
			}
			if pid == 0 { // in.Pid 0 would signal husk's process group
				return errors.New("init sent pid 0")
			}
			// Reap the middle process, which exits right after sending.
			if err := waitPid(in.Child); err != nil {
				return fmt.Errorf("wait for the intermediate init: %w", err)
			}
			in.Pid, in.Forked = pid, true
			err = h.Pid(pid)
			if err != nil {
				return err
			}
		case initplan.SyncUsermap:
			pid, err := u32(payload)
			if err != nil {
				return err
			}
			if err := h.Usermap(pid); err != nil {
				return err
			}
		case initplan.SyncHooks:
			if ack, err = h.Hooks(in.Pid); err != nil {
				return err
			}
		case initplan.SyncCgroup:
			if err := h.Cgroup(); errors.Is(err, ErrDetach) {
				if err := in.ack(nil); err != nil {
					return err
				}
				return ErrDetach
			} else if err != nil {
				return err
			}
		case initplan.SyncConsole, initplan.SyncSeccomp:
			if len(files) != 1 {
				closeAll(files)
				return fmt.Errorf("init sent %d fds with sync message %d, want 1", len(files), typ)
			}
			if typ == initplan.SyncConsole {
				err = h.Console(files[0])
			} else {
				err = h.Seccomp(files[0])
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected sync message %d from init", typ)
		}
		if err := in.ack(ack); err != nil {
			return err
		}
	}
}

// WaitExec reads the pipe until EOF (the payload was exec'd: the pipe is
// close-on-exec) and returns the child's error if the exec failed.
func (in *Init) WaitExec(h Handler) error {
	for {
		typ, payload, files, err := in.recv()
		closeAll(files)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch typ {
		case initplan.SyncError:
			return &ChildError{Msg: string(payload)}
		case initplan.SyncLog:
			lvl, msg, _ := cut(payload)
			h.Log(lvl, msg)
		default:
			return fmt.Errorf("unexpected sync message %d from init after ready", typ)
		}
	}
}

// Close closes the parent's end of the init pipe.
func (in *Init) Close() error { return in.pipe.Close() }

func (in *Init) deadChildError() error {
	return errors.New("init process exited during set-up without reporting an error")
}

func (in *Init) ack(payload []byte) error {
	hdr := make([]byte, 8, 8+len(payload))
	binary.LittleEndian.PutUint32(hdr, initplan.SyncAck)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(payload)))
	if _, err := in.pipe.Write(append(hdr, payload...)); err != nil {
		return fmt.Errorf("answer init: %w", err)
	}
	return nil
}

// maxMsg bounds one sync message from the child.
const maxMsg = 1 << 20

func (in *Init) recv() (uint32, []byte, []*os.File, error) {
	hdr := make([]byte, 8)
	oob := make([]byte, unix.CmsgSpace(4*4))
	rc, err := in.pipe.SyscallConn()
	if err != nil {
		return 0, nil, nil, err
	}
	var n, oobn int
	var rerr error
	// The header is read with recvmsg so that fds attached to it arrive.
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), hdr, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read from init pipe: %w", err)
	}
	var files []*os.File
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil {
			for _, m := range msgs {
				fds, err := unix.ParseUnixRights(&m)
				if err == nil {
					for _, fd := range fds {
						files = append(files, os.NewFile(uintptr(fd), "init-fd"))
					}
				}
			}
		}
	}
	if n == 0 {
		closeAll(files)
		return 0, nil, nil, io.EOF
	}
	if n < 8 {
		if _, err := io.ReadFull(in.pipe, hdr[n:]); err != nil {
			closeAll(files)
			return 0, nil, nil, fmt.Errorf("read from init pipe: %w", err)
		}
	}
	typ := binary.LittleEndian.Uint32(hdr)
	l := binary.LittleEndian.Uint32(hdr[4:])
	if l > maxMsg {
		closeAll(files)
		return 0, nil, nil, fmt.Errorf("init sent a %d-byte message", l)
	}
	payload := make([]byte, l)
	if _, err := io.ReadFull(in.pipe, payload); err != nil {
		closeAll(files)
		return 0, nil, nil, fmt.Errorf("read from init pipe: %w", err)
	}
	return typ, payload, files, nil
}

// maxPid is PID_MAX_LIMIT on 64-bit Linux: no pid is above it.
const maxPid = 1 << 22

// u32 decodes a pid sent by the init: 0 (SyncUsermap: the sender itself)
// or a real pid. A value over 2^31 would reach kill(2) as a negative pid
// (-1: every process) once it is in.Pid.
func u32(b []byte) (int, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("init sent a %d-byte pid", len(b))
	}
	pid := int(binary.LittleEndian.Uint32(b))
	if pid > maxPid {
		return 0, fmt.Errorf("init sent pid %d", pid)
	}
	return pid, nil
}

func cut(b []byte) (string, string, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), string(b[i+1:]), true
		}
	}
	return "info", string(b), false
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func waitPid(pid int) error {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			return err
		}
	}
}

// Kill kills and reaps a child that did not finish its set-up.
func (in *Init) Kill() {
	_ = unix.Kill(in.Child, unix.SIGKILL)
	if in.Forked && in.Pid > 0 {
		_ = unix.Kill(in.Pid, unix.SIGKILL)
		_ = waitPid(in.Pid)
	} else {
		_ = waitPid(in.Child)
	}
	in.Close()
}

// WaitChild reaps the process husk started (for callers that wait for a
// payload that did not fork).
func (in *Init) WaitChild() error { return waitPid(in.Child) }
