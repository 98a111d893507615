// Package libcontainer is husk's runtime: the container state machine on
// top of the state store, the parent side of container creation and exec,
// and the teardown that leaves nothing behind.
package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/husk-runtime/husk/libcontainer/exeseal"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// Runtime holds the global options of a husk invocation.
type Runtime struct {
	Root          string
	SystemdCgroup bool
	// Rootless: husk runs without privileges (--rootless, or auto: euid
	// != 0 or in a user namespace); cgroup permission errors then mean "no
	// cgroup" when linux.cgroupsPath is not set.
	Rootless bool
}

func (rt *Runtime) store() *state.Store { return &state.Store{Root: rt.Root} }

// sealedExe opens the read-only husk binary the init is executed from
// (CVE-2019-5736). The caller closes it once the init is started.
func (rt *Runtime) sealedExe() (*os.File, error) {
	f, how, err := exeseal.Open(rt.Root)
	if err != nil {
		return nil, err
	}
	logrus.Debugf("husk exeseal: init runs from a sealed binary (%s)", how)
	return f, nil
}

// Container is a loaded, locked container.
type Container struct {
	rt *Runtime
	h  *state.Handle
	st *state.State
}

// Load opens and locks container id. Release it with Close.
func (rt *Runtime) Load(id string) (*Container, error) {
	h, err := rt.store().Open(id)
	if err != nil {
		return nil, err
	}
	st, err := h.Load()
	if err != nil {
		h.Unlock()
		return nil, err
	}
	return &Container{rt: rt, h: h, st: st}, nil
}

// Close releases the container's lock.
func (c *Container) Close() { c.h.Unlock() }

// ID is the container's id.
func (c *Container) ID() string { return c.st.ID }

// Status is the container's current status.
func (c *Container) Status() state.Status { return c.st.CurrentStatus(c.h.Dir) }

// OCIState is what `husk state` prints: the OCI state plus runc's fields.
type OCIState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// State returns the container's state as `state` and `list` print it.
func (c *Container) State() *OCIState {
	return ociState(c.st, c.Status())
}

func ociState(st *state.State, status state.Status) *OCIState {
	pid := st.InitPid
	if status == state.Stopped {
		pid = 0
	}
	return &OCIState{
		OCIVersion: specs.Version, ID: st.ID, Pid: pid, Status: status.String(),
		Bundle: st.Bundle, Rootfs: st.Rootfs, Created: st.Created, Annotations: st.Annotations,
		Owner: st.Owner,
	}
}

// hookState is the JSON given to hooks on stdin (the OCI state).
func hookState(st *state.State, status string, pid int) []byte {
	b, _ := json.Marshal(specs.State{
		Version: specs.Version, ID: st.ID, Status: specs.ContainerState(status), Pid: pid,
		Bundle: st.Bundle, Annotations: st.Annotations,
	})
	return b
}

// List returns the state of every container under the root. A missing
// root is an empty list unless mustExist.
func (rt *Runtime) List(mustExist bool) ([]*OCIState, error) {
	ids, err := rt.store().List()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !mustExist {
			return nil, nil
		}
		return nil, err
	}
	var out []*OCIState
	for _, id := range ids {
		dir := rt.store().Dir(id)
		st, err := state.ReadState(dir)
		if err != nil {
			continue // being created or deleted right now
		}
		out = append(out, ociState(st, st.CurrentStatus(dir)))
	}
	return out, nil
}

// ErrTransition is returned when an operation does not apply to a status.
type ErrTransition struct {
	Op     string
	Status state.Status
}

func (e *ErrTransition) Error() string {
	return fmt.Sprintf("cannot %s a %s container", e.Op, e.Status)
}

func owner() string {
	uid := os.Geteuid()
	if uid == 0 {
		return "root"
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "#" + strconv.Itoa(uid)
}
