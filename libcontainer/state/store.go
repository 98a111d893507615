// Package state persists containers under the runtime root (/run/husk):
// one directory per container holding state.json (written atomically) and
// the exec fifo, locked with flock while a command works on it.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// File names inside a container's directory.
const (
	StateFile = "state.json"
	FifoFile  = "exec.fifo"
)

// ErrNotExist is returned for an unknown container id.
var ErrNotExist = errors.New("container does not exist")

// ErrExist is returned when creating a container whose id is taken.
var ErrExist = errors.New("container with given ID already exists")

// ValidateID checks a container id as runc does.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container id cannot be empty")
	}
	if !validIDChars(id) || id == "." || id == ".." || len(id) > 1024 {
		return fmt.Errorf("invalid container id format: %s", id)
	}
	return nil
}

// validIDChars is runc's ^[\w+\-\.]+$ without a regexp (no init cost).
func validIDChars(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '+', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// State is what husk keeps about a container between commands.
type State struct {
	ID string `json:"id"`
	// InitPid is the host pid of the container's init; InitStartTime its
	// start time (field 22 of /proc/<pid>/stat) to detect pid reuse.
	InitPid       int       `json:"init_pid"`
	InitStartTime uint64    `json:"init_start_time"`
	Created       time.Time `json:"created"`
	Bundle        string    `json:"bundle"`
	Rootfs        string    `json:"rootfs"`
	Owner         string    `json:"owner"`
	Paused        bool      `json:"paused,omitempty"`
	// NamespacePaths are the init's namespaces that exec joins, in join order.
	NamespacePaths []NsPath `json:"namespace_paths"`
	// HostMounts are the mounts the init made under the rootfs in the
	// runtime's mount namespace (a container without its own), removed on
	// delete.
	HostMounts []string `json:"host_mounts,omitempty"`
	// CgroupPaths are the container's cgroup directories by subsystem.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	// Config is the resolved configuration (process, namespaces...). It
	// is kept encoded (RawConfig) and decoded only by the commands that
	// need it (exec, see LoadConfig): decoding it costs encoding/json most
	// of a millisecond of reflection, which start, kill, delete, state and
	// list do not need to pay. Hooks are kept beside it for start and
	// delete.
	Config    *configs.Config `json:"-"`
	RawConfig json.RawMessage `json:"config"`
	// Resources is linux.resources as `update` last left it, over the
	// configuration's (LoadConfig applies it): update encodes only this
	// small object, not the whole configuration (a millisecond of
	// encoding/json reflection).
	Resources   json.RawMessage   `json:"resources,omitempty"`
	Hooks       configs.Hooks     `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	OCIVersion  string            `json:"oci_version"`
	Rootless    bool              `json:"rootless,omitempty"`
}

// NsPath is one namespace of the container.
type NsPath struct {
	Type configs.NamespaceType `json:"type"`
	Path string                `json:"path"`
}

// Store is a runtime root directory.
type Store struct {
	Root string
}

// Dir is the directory of container id.
func (s *Store) Dir(id string) string { return filepath.Join(s.Root, id) }

// Handle is a locked container directory.
type Handle struct {
	ID   string
	Dir  string
	lock *os.File
}

// Create makes the directory of a new container and returns it locked.
func (s *Store) Create(id string) (*Handle, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return nil, fmt.Errorf("create root %s: %w", s.Root, err)
	}
	dir := s.Dir(id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, ErrExist
		}
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	h, err := lockDir(id, dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	return h, nil
}

// Open locks the directory of an existing container.
func (s *Store) Open(id string) (*Handle, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := s.Dir(id)
	h, err := lockDir(id, dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	// The container may have been deleted while we waited for the lock.
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		h.Unlock()
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	return h, nil
}

func lockDir(id, dir string) (*Handle, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &Handle{ID: id, Dir: dir, lock: f}, nil
}

// Unlock releases the lock.
func (h *Handle) Unlock() {
	if h.lock != nil {
		h.lock.Close()
		h.lock = nil
	}
}

// Load reads state.json.
func (h *Handle) Load() (*State, error) {
	return ReadState(h.Dir)
}

// ReadState reads a state.json without locking (list, state).
func ReadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, StateFile), err)
	}
	return &st, nil
}

// Save writes state.json atomically (temp file + rename).
func (h *Handle) Save(st *State) error {
	if st.RawConfig == nil && st.Config != nil {
		raw, err := marshalConfig(st.Config)
		if err != nil {
			return err
		}
		st.RawConfig = raw
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return h.write(b)
}

// SaveStub writes the first record of a container being created: what
// delete needs to remove it (its cgroups) should husk die before the full
// state is written. A small type of the same JSON keeps it cheap (no
// encoders for the whole State to build on the create path).
func (h *Handle) SaveStub(st *State) error {
	b, err := json.Marshal(struct {
		ID          string            `json:"id"`
		Created     time.Time         `json:"created"`
		Bundle      string            `json:"bundle"`
		Rootfs      string            `json:"rootfs"`
		Owner       string            `json:"owner"`
		CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
		OCIVersion  string            `json:"oci_version"`
	}{st.ID, st.Created, st.Bundle, st.Rootfs, st.Owner, st.CgroupPaths, st.OCIVersion})
	if err != nil {
		return err
	}
	return h.write(b)
}

func (h *Handle) write(b []byte) error {
	tmp, err := os.CreateTemp(h.Dir, ".state-")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(h.Dir, StateFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Remove deletes the container's directory and releases the lock.
func (h *Handle) Remove() error {
	err := os.RemoveAll(h.Dir)
	h.Unlock()
	if err != nil {
		return fmt.Errorf("remove state directory: %w", err)
	}
	return nil
}

// FifoPath is the exec fifo of the container.
func (h *Handle) FifoPath() string { return filepath.Join(h.Dir, FifoFile) }

// List returns the ids of every container in the store, sorted.
func (s *Store) List() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}
