package cgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNoCgroup is what None answers to what needs a cgroup.
var ErrNoCgroup = errors.New("the container has no cgroup (rootless, no writable cgroup hierarchy)")

// None is the manager of a rootless container that got no cgroup: the
// runtime could not create one (runc's ErrRootless case). Creating,
// joining, setting nothing and removing succeed; what needs a cgroup
// (pause, ps, stats) fails with ErrNoCgroup.
type None struct{}

var _ Manager = None{}

func (None) Apply(int) error                 { return nil }
func (None) Set(*specs.LinuxResources) error { return nil }
func (None) Join(int, string) error          { return nil }
func (None) Paths() map[string]string        { return map[string]string{} }
func (None) Pids() ([]int, error)            { return nil, ErrNoCgroup }
func (None) Freeze() error                   { return ErrNoCgroup }
func (None) Thaw() error                     { return ErrNoCgroup }
func (None) State() (bool, error)            { return false, nil }
func (None) Kill(unix.Signal) error          { return nil }
func (None) Destroy() error                  { return nil }
func (None) Exists() bool                    { return false }
func (None) Stats() (*Stats, error)          { return nil, ErrNoCgroup }
func (None) NotifyOOM() (OOMWatcher, error)  { return nil, ErrNoCgroup }
func (None) OOMKillCount() (uint64, error)   { return 0, ErrNoCgroup }
