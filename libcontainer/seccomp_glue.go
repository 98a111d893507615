package libcontainer

import (
	"errors"
	"os"

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
	if cfg.Seccomp.ListenerPath != "" {
		return nil, errors.New("linux.seccomp.listenerPath: not supported yet")
	}
	p, err := seccomp.Compile(cfg.Seccomp)
	if err != nil {
		return nil, err
	}
	return &planner.Seccomp{Program: p.BPF, Flags: p.Flags, Notify: p.Notify}, nil
}

// sendSeccompListener hands the notify fd to the agent at listenerPath.
func sendSeccompListener(cfg *configs.Config, st *state.State, fd *os.File) error {
	return errors.New("linux.seccomp.listenerPath: not supported yet")
}
