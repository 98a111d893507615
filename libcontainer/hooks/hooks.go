// Package hooks runs the OCI hooks that execute in the runtime namespace
// (prestart, createRuntime, poststart, poststop); createContainer and
// startContainer hooks run inside the container from the init plan.
package hooks

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// maxOutput bounds the captured stdout/stderr quoted in an error.
const maxOutput = 4096

type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// Run runs the hooks of one kind in order with state on their stdin and
// stops at the first failure: `error running <kind> hook #<n>: <cause>`.
func Run(kind configs.HookKind, list []configs.Hook, state []byte) error {
	for i, h := range list {
		if err := runOne(h, state); err != nil {
			return fmt.Errorf("error running %s hook #%d: %w", kind, i, err)
		}
	}
	return nil
}

// RunAll runs every hook of the list even when some fail (poststop: the
// spec wants a warning and the remaining hooks run) and returns each
// failure, worded as Run's.
func RunAll(kind configs.HookKind, list []configs.Hook, state []byte) []error {
	var errs []error
	for i, h := range list {
		if err := runOne(h, state); err != nil {
			errs = append(errs, fmt.Errorf("error running %s hook #%d: %w", kind, i, err))
		}
	}
	return errs
}

func runOne(h configs.Hook, state []byte) error {
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	var stdout, stderr limitedBuffer
	cmd := &exec.Cmd{
		Path:   h.Path,
		Args:   args,
		Env:    h.Env,
		Stdin:  bytes.NewReader(state),
		Stdout: &stdout,
		Stderr: &stderr,
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timeout <-chan time.Time
	if h.Timeout > 0 {
		t := time.NewTimer(time.Duration(h.Timeout) * time.Second)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case err := <-done:
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return fmt.Errorf("%w, stdout: %s, stderr: %s", err,
					strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()))
			}
			return err
		}
		return nil
	case <-timeout:
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("timeout after %d seconds", h.Timeout)
	}
}
