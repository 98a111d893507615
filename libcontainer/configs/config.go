// Package configs holds husk's resolved container configuration: what specconv
// produces from an OCI bundle and what libcontainer turns into an init plan.
// Every value here is already validated and resolved (absolute host paths,
// numeric flags and capability masks), so the consumers never parse strings.
package configs

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NamespaceType is the OCI name of a namespace ("pid", "network", ...).
type NamespaceType string

const (
	NEWNS     NamespaceType = "mount"
	NEWUTS    NamespaceType = "uts"
	NEWIPC    NamespaceType = "ipc"
	NEWUSER   NamespaceType = "user"
	NEWPID    NamespaceType = "pid"
	NEWNET    NamespaceType = "network"
	NEWCGROUP NamespaceType = "cgroup"
	NEWTIME   NamespaceType = "time"
)

// Namespace is one entry of linux.namespaces: a new namespace when Path is
// empty, else the namespace at Path is joined.
type Namespace struct {
	Type NamespaceType
	Path string
}

// IDMap is one line of a uid_map/gid_map file.
type IDMap struct {
	ContainerID int64
	HostID      int64
	Size        int64
}

// Mount is a resolved entry of the spec's mounts array.
type Mount struct {
	Source      string // host path for binds (absolute), else the fs source
	Destination string // absolute path inside the container
	Device      string // filesystem type; "bind" for bind mounts
	Flags       uintptr
	ClearFlags  uintptr // flags explicitly cleared (e.g. "rw", "suid") on a bind remount
	Data        string
	// PropagationFlags are applied one by one after the mount
	// (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, optionally |MS_REC).
	PropagationFlags []uintptr
	// RecAttrSet/RecAttrClr are MOUNT_ATTR_* bits applied recursively with
	// mount_setattr(2) ("rro", "rnosuid", ...).
	RecAttrSet uint64
	RecAttrClr uint64
	// IDMapping for idmapped mounts (uidMappings/gidMappings on the mount).
	UIDMappings []IDMap
	GIDMappings []IDMap
	// IDMapRecursive is set by the "ridmap" option.
	IDMapRecursive bool
	// Extensions are husk-level options that are not mount flags
	// ("tmpcopyup", ...).
	Extensions uint32
}

// Mount extensions.
const (
	ExtTmpcopyup uint32 = 1 << iota
)

// IsBind reports whether the mount is a bind mount.
func (m *Mount) IsBind() bool { return m.Flags&msBind != 0 }

const msBind = 0x1000 // unix.MS_BIND; kept local so configs stays dependency-free

// Device is a device node to create in the container's /dev.
type Device struct {
	Path     string // absolute path inside the container
	Type     rune   // 'c', 'b', 'p' ('u' is treated as 'c')
	Major    int64
	Minor    int64
	FileMode uint32 // permission bits
	UID      uint32
	GID      uint32
}

// Rlimit is one process rlimit, resolved to the RLIMIT_* number.
type Rlimit struct {
	Type int
	Soft uint64
	Hard uint64
}

// Capabilities are the five capability sets as bitmasks (bit N = cap N).
type Capabilities struct {
	Bounding    uint64
	Effective   uint64
	Permitted   uint64
	Inheritable uint64
	Ambient     uint64
}

// Hook is one OCI hook.
type Hook struct {
	Path    string
	Args    []string
	Env     []string
	Timeout int // seconds; 0 = none
}

// HookKind names a hook list as in config.json.
type HookKind string

const (
	Prestart        HookKind = "prestart"
	CreateRuntime   HookKind = "createRuntime"
	CreateContainer HookKind = "createContainer"
	StartContainer  HookKind = "startContainer"
	Poststart       HookKind = "poststart"
	Poststop        HookKind = "poststop"
)

// Hooks maps each kind to its list, in config order.
type Hooks map[HookKind][]Hook

// Process is what runs in the container (init or exec).
type Process struct {
	Args            []string
	Env             []string
	Cwd             string
	UID             uint32
	GID             uint32
	AdditionalGids  []uint32
	Umask           *uint32
	Terminal        bool
	ConsoleHeight   uint16
	ConsoleWidth    uint16
	Capabilities    *Capabilities // nil: keep the runtime's (only for exec with no caps given)
	Rlimits         []Rlimit
	NoNewPrivileges bool
	OOMScoreAdj     *int
	ApparmorProfile string
	SelinuxLabel    string
	Scheduler       *specs.Scheduler
	IOPriority      *specs.LinuxIOPriority
	ExecCPUAffinity *specs.CPUAffinity
}

// Config is a container's resolved configuration.
type Config struct {
	// Rootfs is the absolute host path of the container's root.
	Rootfs          string
	Readonlyfs      bool
	RootPropagation uintptr // linux.rootfsPropagation as MS_* flags (0 = default rslave)
	NoPivotRoot     bool
	Hostname        string
	Domainname      string
	Namespaces      []Namespace
	UIDMappings     []IDMap
	GIDMappings     []IDMap
	TimeOffsets     map[string]specs.LinuxTimeOffset
	Mounts          []*Mount
	Devices         []*Device
	MaskPaths       []string
	ReadonlyPaths   []string
	Sysctl          map[string]string
	Personality     *specs.LinuxPersonality
	MemoryPolicy    *specs.LinuxMemoryPolicy
	NetDevices      map[string]specs.LinuxNetDevice
	MountLabel      string
	Hooks           Hooks
	Process         *Process
	Cgroups         *Cgroup
	Seccomp         *specs.LinuxSeccomp
	NoNewKeyring    bool
	Labels          []string          // "bundle=...", annotations as key=value
	Annotations     map[string]string // copied from the spec
	OCIVersion      string
}

// Cgroup is the container's cgroup placement and resources.
type Cgroup struct {
	// Path is linux.cgroupsPath as given ("" when absent).
	Path string
	// Name is the default leaf name (the container id) when Path is empty.
	Name string
	// Systemd selects the systemd driver (--systemd-cgroup).
	Systemd   bool
	Resources *specs.LinuxResources
}

// HasNamespace reports whether the config lists namespace t.
func (c *Config) HasNamespace(t NamespaceType) bool {
	for _, ns := range c.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// NamespacePath returns the path of namespace t ("" when new or absent).
func (c *Config) NamespacePath(t NamespaceType) string {
	for _, ns := range c.Namespaces {
		if ns.Type == t {
			return ns.Path
		}
	}
	return ""
}
