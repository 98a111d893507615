package specconv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// Options are the runtime's command-line choices that shape the config.
type Options struct {
	// Bundle is the bundle directory; relative root.path and bind mount
	// sources are resolved against it. "" means the current directory.
	Bundle string
	// ID is the container id (the default cgroup name).
	ID string
	// NoPivotRoot uses MS_MOVE + chroot instead of pivot_root.
	NoPivotRoot bool
	// NoNewKeyring keeps the runtime's session keyring.
	NoNewKeyring bool
	// SystemdCgroup selects the systemd cgroup driver.
	SystemdCgroup bool
	// Rootless is set when husk runs without privileges (euid != 0).
	Rootless bool
}

// maxHostnameLen is HOST_NAME_MAX (also the domain name limit).
const maxHostnameLen = 64

// ToConfig validates spec and resolves it into a configs.Config. The
// bundle and root path must exist; nothing else is changed on the host.
func ToConfig(spec *specs.Spec, opts Options) (*configs.Config, error) {
	if spec == nil {
		return nil, errors.New("no configuration")
	}
	if err := checkVersion(spec.Version, false); err != nil {
		return nil, err
	}
	if err := unsupported(spec); err != nil {
		return nil, err
	}
	bundle, err := resolveBundle(opts.Bundle)
	if err != nil {
		return nil, err
	}
	l := spec.Linux // non-nil: unsupported() requires it
	c := &configs.Config{
		NoPivotRoot:  opts.NoPivotRoot,
		NoNewKeyring: opts.NoNewKeyring,
		OCIVersion:   spec.Version,
	}
	if err := convertRoot(spec.Root, bundle, c); err != nil {
		return nil, err
	}
	if err := convertNamespaces(l, c); err != nil {
		return nil, err
	}
	if opts.Rootless && !c.HasNamespace(configs.NEWUSER) {
		return nil, fieldErr("linux.namespaces", "a rootless container requires a user namespace")
	}
	if err := convertUserNamespace(l, c); err != nil {
		return nil, err
	}
	if err := convertTimeOffsets(l, c); err != nil {
		return nil, err
	}
	if err := convertNetDevices(l, c, opts.Rootless); err != nil {
		return nil, err
	}
	if len(spec.Mounts) > 0 {
		c.Mounts = make([]*configs.Mount, 0, len(spec.Mounts))
	}
	for i := range spec.Mounts {
		m, err := convertMount(i, &spec.Mounts[i], bundle, c, opts.Rootless)
		if err != nil {
			return nil, err
		}
		c.Mounts = append(c.Mounts, m)
	}
	if err := convertDevices(l, c); err != nil {
		return nil, err
	}
	if c.MaskPaths, err = containerPaths("linux.maskedPaths", l.MaskedPaths); err != nil {
		return nil, err
	}
	if c.ReadonlyPaths, err = containerPaths("linux.readonlyPaths", l.ReadonlyPaths); err != nil {
		return nil, err
	}
	if err := convertUTS(spec, c); err != nil {
		return nil, err
	}
	if err := convertSysctl(l, c); err != nil {
		return nil, err
	}
	if err := convertLinuxMisc(l, c); err != nil {
		return nil, err
	}
	if c.Hooks, err = convertHooks(spec.Hooks); err != nil {
		return nil, err
	}
	if c.Process, err = ToProcess(spec.Process, "process"); err != nil {
		return nil, err
	}
	if err := CheckProcess(c, c.Process, "process"); err != nil {
		return nil, err
	}
	if err := convertCgroup(l, &opts, c); err != nil {
		return nil, err
	}
	if c.Seccomp, err = convertSeccomp(l.Seccomp); err != nil {
		return nil, err
	}
	convertAnnotations(spec.Annotations, bundle, c)
	return c, nil
}

// resolveBundle makes the bundle path absolute (symlinks are left: the
// kernel resolves them, and the rootfs path is resolved on its own).
func resolveBundle(b string) (string, error) {
	if b == "" {
		b = "."
	}
	abs, err := filepath.Abs(b)
	if err != nil {
		return "", wrapErr("bundle", err)
	}
	return abs, nil
}

// convertRoot resolves root.path against the bundle (symlinks included:
// the config holds the real directory) and checks that it is a directory.
func convertRoot(r *specs.Root, bundle string, c *configs.Config) error {
	if r == nil {
		return fieldErr("root", "must be set")
	}
	if r.Path == "" {
		return fieldErr("root.path", "must not be empty")
	}
	if err := noNUL("root.path", r.Path); err != nil {
		return err
	}
	p := r.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	real, err := realDir(p)
	if err != nil {
		return wrapErr("root.path", err)
	}
	c.Rootfs = real
	c.Readonlyfs = r.Readonly
	return nil
}

// realDir returns the symlink-free path of directory p. Opening it and
// reading back /proc/self/fd costs three system calls whatever the depth
// of p (filepath.EvalSymlinks costs one per component).
func realDir(p string) (string, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENOTDIR {
			return "", fmt.Errorf("%s is not a directory", p)
		}
		return "", &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || !filepath.IsAbs(real) {
		// No usable procfs: walk the path instead.
		return filepath.EvalSymlinks(p)
	}
	return real, nil
}

// containerPaths checks absolute container paths (masked/readonly paths).
func containerPaths(field string, in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, len(in))
	for i, p := range in {
		var err error
		if out[i], err = absPathAt(at{field, i}, "", p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// convertUTS checks hostname and domainname: they need a UTS namespace,
// new or joined (runc's rule: Kubernetes sets the pod's hostname in
// containers that join the sandbox's namespace).
func convertUTS(spec *specs.Spec, c *configs.Config) error {
	for _, f := range [...]struct {
		name string
		val  string
		dst  *string
	}{{"hostname", spec.Hostname, &c.Hostname}, {"domainname", spec.Domainname, &c.Domainname}} {
		if f.val == "" {
			continue
		}
		if !c.HasNamespace(configs.NEWUTS) {
			return fieldErr(f.name, "requires a uts namespace in linux.namespaces")
		}
		if err := noNUL(f.name, f.val); err != nil {
			return err
		}
		if len(f.val) > maxHostnameLen {
			return fieldErr(f.name, "longer than %d bytes", maxHostnameLen)
		}
		*f.dst = f.val
	}
	return nil
}

// convertLinuxMisc handles rootfsPropagation, personality and mountLabel.
func convertLinuxMisc(l *specs.Linux, c *configs.Config) error {
	if p := l.RootfsPropagation; p != "" {
		flags, ok := propagationFlags(p)
		if !ok {
			return fieldErr("linux.rootfsPropagation", "unknown propagation %q", p)
		}
		if c.NoPivotRoot && flags&unix.MS_PRIVATE != 0 {
			return fieldErr("linux.rootfsPropagation", "%q is not safe without pivot_root (--no-pivot)", p)
		}
		c.RootPropagation = flags
	}
	if per := l.Personality; per != nil {
		switch per.Domain {
		case specs.PerLinux, specs.PerLinux32:
		default:
			return fieldErr("linux.personality.domain", "unknown domain %q (want LINUX or LINUX32)", string(per.Domain))
		}
		p := *per
		c.Personality = &p
	}
	if mp := l.MemoryPolicy; mp != nil {
		if err := checkMemoryPolicy("linux.memoryPolicy", mp); err != nil {
			return err
		}
		p := *mp
		c.MemoryPolicy = &p
	}
	if l.MountLabel != "" {
		if err := checkSELinux("linux.mountLabel", l.MountLabel); err != nil {
			return err
		}
		c.MountLabel = l.MountLabel
		labelMounts(c)
	}
	return nil
}

// labelMounts gives the new filesystems the container mounts the SELinux
// context of linux.mountLabel (go-selinux's FormatMountLabel), as runc
// does: not bind mounts (they keep their files' labels), nor proc, sysfs,
// mqueue and cgroup, which take no context= option.
func labelMounts(c *configs.Config) {
	for _, m := range c.Mounts {
		switch m.Device {
		case "bind", "proc", "sysfs", "mqueue", "cgroup", "cgroup2":
			continue
		}
		if m.IsBind() {
			continue
		}
		ctx := `context="` + c.MountLabel + `"`
		if m.Data == "" {
			m.Data = ctx
		} else {
			m.Data += "," + ctx
		}
	}
}

// convertHooks checks and copies the hooks (prestart included, though
// deprecated by the spec).
func convertHooks(h *specs.Hooks) (configs.Hooks, error) {
	if h == nil {
		return nil, nil
	}
	var out configs.Hooks
	for _, kind := range [...]struct {
		kind configs.HookKind
		list []specs.Hook
	}{
		{configs.Prestart, h.Prestart}, //nolint:staticcheck // deprecated, still honoured
		{configs.CreateRuntime, h.CreateRuntime},
		{configs.CreateContainer, h.CreateContainer},
		{configs.StartContainer, h.StartContainer},
		{configs.Poststart, h.Poststart},
		{configs.Poststop, h.Poststop},
	} {
		for i, sh := range kind.list {
			f := at{"hooks." + string(kind.kind), i}
			p, err := absPathAt(f, "path", sh.Path)
			if err != nil {
				return nil, err
			}
			if err := noNULs(f.String(), "args", sh.Args); err != nil {
				return nil, err
			}
			if err := noNULs(f.String(), "env", sh.Env); err != nil {
				return nil, err
			}
			hk := configs.Hook{Path: p, Args: sh.Args, Env: sh.Env}
			if sh.Timeout != nil {
				if *sh.Timeout <= 0 {
					return nil, fieldErr(f.sub("timeout"), "%d is not greater than zero", *sh.Timeout)
				}
				hk.Timeout = *sh.Timeout
			}
			if out == nil {
				out = configs.Hooks{}
			}
			out[kind.kind] = append(out[kind.kind], hk)
		}
	}
	return out, nil
}

// convertSeccomp copies linux.seccomp; its names are compiled (and
// checked) by the seccomp package. As in runc, an empty object (no
// default action, no rules) means no filter.
func convertSeccomp(s *specs.LinuxSeccomp) (*specs.LinuxSeccomp, error) {
	if s == nil {
		return nil, nil
	}
	if s.DefaultAction == "" && len(s.Syscalls) == 0 {
		if len(s.Architectures) > 0 || len(s.Flags) > 0 || s.ListenerPath != "" || s.DefaultErrnoRet != nil {
			return nil, fieldErr("linux.seccomp.defaultAction", "must be set")
		}
		return nil, nil
	}
	cp := *s
	return &cp, nil
}

// convertAnnotations copies the annotations and makes the labels runc
// keeps in its state: "key=value" for each annotation (sorted by key) and
// "bundle=<path>".
func convertAnnotations(a map[string]string, bundle string, c *configs.Config) {
	c.Labels = make([]string, 0, len(a)+1)
	if len(a) > 0 {
		c.Annotations = make(map[string]string, len(a))
		keys := make([]string, 0, len(a))
		for k, v := range a {
			c.Annotations[k] = v
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c.Labels = append(c.Labels, k+"="+a[k])
		}
	}
	c.Labels = append(c.Labels, "bundle="+bundle)
}
