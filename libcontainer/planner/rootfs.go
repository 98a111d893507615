package planner

import (
	"fmt"
	"os"
	"path"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// DefaultDevices are created in every container with its own /dev, as runc does.
var DefaultDevices = []configs.Device{
	{Path: "/dev/null", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666},
	{Path: "/dev/zero", Type: 'c', Major: 1, Minor: 5, FileMode: 0o666},
	{Path: "/dev/full", Type: 'c', Major: 1, Minor: 7, FileMode: 0o666},
	{Path: "/dev/random", Type: 'c', Major: 1, Minor: 8, FileMode: 0o666},
	{Path: "/dev/urandom", Type: 'c', Major: 1, Minor: 9, FileMode: 0o666},
	{Path: "/dev/tty", Type: 'c', Major: 5, Minor: 0, FileMode: 0o666},
}

// planRootfs emits the mount namespace set-up up to and including the
// read-only remounts, masks and sysctls.
func planRootfs(p *initplan.Plan, cfg *configs.Config, proc *configs.Process, o *Options) error {
	// A joined mount namespace is set up like a new one (as runc does):
	// the rootfs path is resolved in it. Without one the rootfs is set up
	// in the runtime's namespace (the runtime removes its mounts on
	// delete) and chroot'ed into.
	ownMntns := cfg.HasNamespace(configs.NEWNS)
	var post []func()
	if ownMntns {
		p.Add(initplan.OpPrepareRoot, initplan.S(cfg.Rootfs), initplan.U(uint64(cfg.RootPropagation)))
	} else {
		p.Add(initplan.OpRootHostNs, initplan.S(cfg.Rootfs))
	}
	for i, m := range cfg.Mounts {
		if m.Device == "cgroup" || m.Device == "cgroup2" {
			post = append(post, planCgroupMount(p, cfg, m, o)...)
			continue
		}
		if err := addMount(p, m, i, o); err != nil {
			return err
		}
		if m.Destination == "/dev" && m.Flags&unix.MS_RDONLY != 0 && !m.IsBind() {
			// /dev is filled first and made read-only after pivot_root.
			dev := *m
			post = append(post, func() { addRemount(p, "/dev", dev.Flags) })
		}
	}
	if needsSetupDev(cfg) {
		planDevices(p, cfg, o)
	}
	if proc.Cwd != "" && proc.Cwd != "/" {
		p.Add(initplan.OpMkdir, initplan.S(proc.Cwd), initplan.I(0o755))
	}
	planSyncHooks(p, cfg, o)
	switch {
	case !ownMntns:
		p.Add(initplan.OpChroot, initplan.S(""))
	case cfg.NoPivotRoot:
		p.Add(initplan.OpChrootMove)
	default:
		p.Add(initplan.OpPivotRoot)
	}
	if proc.Terminal {
		p.Add(initplan.OpConsole, initplan.I(int64(proc.ConsoleHeight)), initplan.I(int64(proc.ConsoleWidth)),
			initplan.I(int64(proc.UID)), initplan.I(int64(proc.GID)), initplan.I(1))
	}
	for _, f := range post {
		f()
	}
	if ownMntns && cfg.Readonlyfs {
		addRemount(p, "/", unix.MS_RDONLY)
	}
	if cfg.HasNamespace(configs.NEWUTS) {
		if cfg.Hostname != "" {
			p.Add(initplan.OpHostname, initplan.S(cfg.Hostname))
		}
		if cfg.Domainname != "" {
			p.Add(initplan.OpDomainname, initplan.S(cfg.Domainname))
		}
	}
	keys := make([]string, 0, len(cfg.Sysctl))
	for k := range cfg.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.Add(initplan.OpSysctl, initplan.S(k), initplan.S(cfg.Sysctl[k]))
	}
	for _, path := range cfg.ReadonlyPaths {
		p.Add(initplan.OpReadonly, initplan.S(path))
	}
	for _, path := range cfg.MaskPaths {
		p.Add(initplan.OpMask, initplan.S(path))
	}
	return nil
}

func addRemount(p *initplan.Plan, path string, flags uintptr) {
	keep := flags & (unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
		unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME)
	p.Add(initplan.OpRemount, initplan.S(path), initplan.U(uint64(keep)))
}

// addMount emits one mount of config.json. An idmapped mount is attached
// from the detached mount the caller made (o.IDMapFds).
func addMount(p *initplan.Plan, m *configs.Mount, idx int, o *Options) error {
	var opts uint64
	tree := int64(-1)
	if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
		fd, ok := o.IDMapFds[idx]
		if !ok {
			return fmt.Errorf("mounts[%d] (%s): idmapped mount: no detached mount was made for it", idx, m.Destination)
		}
		tree = int64(fd)
	}
	if m.IsBind() {
		fi, err := os.Stat(m.Source)
		if err != nil {
			return fmt.Errorf("mounts[%d]: bind source %s: %w", idx, m.Source, unwrapPathErr(err))
		}
		if !fi.IsDir() {
			opts |= initplan.MountOptFile
		}
	}
	if m.RecAttrSet != 0 || m.RecAttrClr != 0 {
		opts |= initplan.MountOptRecAttr
	}
	if m.IDMapRecursive {
		opts |= initplan.MountOptIDMapRec
	}
	if m.Extensions&configs.ExtTmpcopyup != 0 {
		opts |= initplan.MountOptTmpcopyup
	}
	prop := make([]uint64, len(m.PropagationFlags))
	for i, f := range m.PropagationFlags {
		prop[i] = uint64(f)
	}
	p.Add(initplan.OpMount, initplan.S(m.Source), initplan.S(m.Destination), initplan.S(m.Device),
		initplan.U(uint64(m.Flags)), initplan.S(m.Data), initplan.U(uint64(m.ClearFlags)),
		initplan.U64s(prop), initplan.U(m.RecAttrSet), initplan.U(m.RecAttrClr), initplan.I(tree), initplan.U(opts))
	return nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// planCgroupMount expands a "cgroup" mount: a tmpfs with one read-only
// view per hierarchy (v1), or a single cgroup2 view. It returns the
// remounts that must wait until after pivot_root.
func planCgroupMount(p *initplan.Plan, cfg *configs.Config, m *configs.Mount, o *Options) []func() {
	cgroupns := cfg.HasNamespace(configs.NEWCGROUP)
	var pieces []CgroupMount
	if o.CgroupMounts != nil {
		pieces = o.CgroupMounts(cgroupns)
	}
	base := m.Flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT)
	prop := make([]uint64, len(m.PropagationFlags))
	for i, f := range m.PropagationFlags {
		prop[i] = uint64(f)
	}
	add := func(src, dst, fstype string, flags uintptr, data string, opts uint64) {
		p.Add(initplan.OpMount, initplan.S(src), initplan.S(dst), initplan.S(fstype), initplan.U(uint64(flags)),
			initplan.S(data), initplan.I(0), initplan.U64s(prop), initplan.I(0), initplan.I(0), initplan.I(-1), initplan.U(opts))
	}
	if len(pieces) == 0 {
		// No cgroup of its own (rootless): what the rootfs has there
		// (the host's tmpfs, through a /sys rbind) is only made
		// read-only; its atime, which husk did not choose and which a
		// user namespace cannot change (systemd mounts it strictatime),
		// is left as it is.
		base &^= unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME
	}
	single := len(pieces) == 1
	for _, c := range pieces {
		dst := path.Join(m.Destination, c.Dest)
		if c.Symlink != "" {
			p.Add(initplan.OpSymlink, initplan.S(c.Symlink), initplan.S(dst))
			continue
		}
		flags := base | c.Flags
		if c.Dest == "" && !single {
			// The tmpfs holding the hierarchies: read-only after pivot_root.
			flags &^= unix.MS_RDONLY
		}
		add(c.Source, dst, c.FSType, flags, c.Data, 0)
	}
	if single || m.Flags&unix.MS_RDONLY == 0 {
		return nil
	}
	dest := m.Destination
	return []func(){func() { addRemount(p, dest, base) }}
}

// needsSetupDev: husk fills /dev unless /dev is bind-mounted from the host.
func needsSetupDev(cfg *configs.Config) bool {
	for _, m := range cfg.Mounts {
		if m.Destination == "/dev" && m.IsBind() {
			return false
		}
	}
	return true
}

// planDevices creates the default and configured device nodes, the ptmx
// symlink and the /dev/fd, stdin, stdout, stderr (and core) symlinks.
func planDevices(p *initplan.Plan, cfg *configs.Config, o *Options) {
	devs := make([]configs.Device, 0, len(DefaultDevices)+len(cfg.Devices))
	seen := map[string]bool{}
	for _, d := range cfg.Devices {
		if d.Path == "/dev/ptmx" {
			continue // always the devpts ptmx, through the symlink below
		}
		devs = append(devs, *d)
		seen[d.Path] = true
	}
	for _, d := range DefaultDevices {
		if !seen[d.Path] {
			devs = append(devs, d)
		}
	}
	for _, d := range devs {
		if o.HostDevices {
			p.Add(initplan.OpBindDev, initplan.S(d.Path), initplan.S(d.Path))
			continue
		}
		mode := uint64(d.FileMode & 0o7777)
		switch d.Type {
		case 'b':
			mode |= unix.S_IFBLK
		case 'p':
			mode |= unix.S_IFIFO
		default:
			mode |= unix.S_IFCHR
		}
		p.Add(initplan.OpMknod, initplan.S(d.Path), initplan.U(mode),
			initplan.U(unix.Mkdev(uint32(d.Major), uint32(d.Minor))), initplan.I(int64(d.UID)), initplan.I(int64(d.GID)))
	}
	p.Add(initplan.OpSymlink, initplan.S("pts/ptmx"), initplan.S("/dev/ptmx"))
	links := [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "/dev/core"})
	}
	for _, l := range links {
		p.Add(initplan.OpSymlink, initplan.S(l[0]), initplan.S(l[1]))
	}
}

// planSyncHooks asks the parent to move linux.netDevices and run
// prestart/createRuntime hooks (and fetches the state JSON) when there is
// any of that or a hook runs before the payload, then runs createContainer
// hooks in the container's mount namespace.
func planSyncHooks(p *initplan.Plan, cfg *configs.Config, o *Options) {
	h := o.Hooks
	if len(h[configs.Prestart])+len(h[configs.CreateRuntime])+len(h[configs.CreateContainer])+len(h[configs.StartContainer])+len(cfg.NetDevices) == 0 {
		return
	}
	p.Add(initplan.OpSyncHooks)
	addHooks(p, configs.CreateContainer, h[configs.CreateContainer])
}

func addHooks(p *initplan.Plan, kind configs.HookKind, hooks []configs.Hook) {
	for i, h := range hooks {
		p.Add(initplan.OpHook, initplan.S(string(kind)), initplan.I(int64(i)), initplan.S(h.Path),
			initplan.L(h.Args), initplan.L(h.Env), initplan.I(int64(h.Timeout)))
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
