package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/planner"
	"github.com/husk-runtime/husk/libcontainer/seccomp"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// compileSeccomp compiles linux.seccomp to BPF (nil when absent).
func compileSeccomp(cfg *configs.Config) (*planner.Seccomp, error) {
	if cfg.Seccomp == nil {
		return nil, nil
	}
	p, err := seccomp.Compile(cfg.Seccomp)
	if err != nil {
		return nil, err
	}
	return &planner.Seccomp{Program: p.BPF, Flags: p.Flags, Notify: p.Notify}, nil
}

// sendSeccompListener hands the notify fd to the agent at listenerPath,
// with the container's state, in runc's format: one message whose data is
// a specs.ContainerProcessState and whose SCM_RIGHTS carry the fd named
// "seccompFd" in its fds list.
func sendSeccompListener(cfg *configs.Config, st *state.State, status specs.ContainerState, procPid, initPid int, fd *os.File) error {
	path := cfg.Seccomp.ListenerPath
	msg, err := json.Marshal(&specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      procPid,
		Metadata: cfg.Seccomp.ListenerMetadata,
		State: specs.State{
			Version: specs.Version, ID: st.ID, Status: status, Pid: initPid,
			Bundle: st.Bundle, Annotations: st.Annotations,
		},
	})
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: %w", err)
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: socket: %w", err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: path}); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: failed to connect with seccomp agent at %s: %w", path, err)
	}
	if err := unix.Sendmsg(sock, msg, unix.UnixRights(int(fd.Fd())), nil, 0); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: cannot send seccomp fd to %s: %w", path, err)
	}
	return nil
}
