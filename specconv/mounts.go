package specconv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// optKind says what a mount option does.
type optKind uint8

const (
	optSet    optKind = iota // set an MS_* flag
	optClear                 // clear an MS_* flag
	optNop                   // accepted, no effect ("defaults")
	optProp                  // propagation (MS_SHARED... [|MS_REC]), applied after the mount
	optRecSet                // MOUNT_ATTR_* set recursively (mount_setattr)
	optRecClr                // MOUNT_ATTR_* cleared recursively
	optExt                   // husk extension (configs.Ext*)
	optIDMap                 // idmapped mount
	optRIDMap                // recursively idmapped mount
)

type mountOpt struct {
	name string
	kind optKind
	flag uint64
}

// mountOpts is runc's option table (mountFlags, mountPropagationMapping,
// recAttrFlags, extensionFlags, complexFlags), sorted by name. It is a
// static array: no map is built at start-up. Options not found here are
// filesystem data, joined with commas ("acl" included: it cannot be mapped
// to MS_POSIXACL).
var mountOpts = [...]mountOpt{
	{"async", optClear, unix.MS_SYNCHRONOUS},
	{"atime", optClear, unix.MS_NOATIME},
	{"bind", optSet, unix.MS_BIND},
	{"defaults", optNop, 0},
	{"dev", optClear, unix.MS_NODEV},
	{"diratime", optClear, unix.MS_NODIRATIME},
	{"dirsync", optSet, unix.MS_DIRSYNC},
	{"exec", optClear, unix.MS_NOEXEC},
	{"idmap", optIDMap, 0},
	{"iversion", optSet, unix.MS_I_VERSION},
	{"lazytime", optSet, unix.MS_LAZYTIME},
	{"loud", optClear, unix.MS_SILENT},
	{"mand", optSet, unix.MS_MANDLOCK},
	{"noatime", optSet, unix.MS_NOATIME},
	{"nodev", optSet, unix.MS_NODEV},
	{"nodiratime", optSet, unix.MS_NODIRATIME},
	{"noexec", optSet, unix.MS_NOEXEC},
	{"noiversion", optClear, unix.MS_I_VERSION},
	{"nolazytime", optClear, unix.MS_LAZYTIME},
	{"nomand", optClear, unix.MS_MANDLOCK},
	{"norelatime", optClear, unix.MS_RELATIME},
	{"nostrictatime", optClear, unix.MS_STRICTATIME},
	{"nosuid", optSet, unix.MS_NOSUID},
	{"nosymfollow", optSet, unix.MS_NOSYMFOLLOW},
	{"private", optProp, unix.MS_PRIVATE},
	{"ratime", optRecClr, unix.MOUNT_ATTR_NOATIME},
	{"rbind", optSet, unix.MS_BIND | unix.MS_REC},
	{"rdev", optRecClr, unix.MOUNT_ATTR_NODEV},
	{"rdiratime", optRecClr, unix.MOUNT_ATTR_NODIRATIME},
	{"relatime", optSet, unix.MS_RELATIME},
	{"remount", optSet, unix.MS_REMOUNT},
	{"rexec", optRecClr, unix.MOUNT_ATTR_NOEXEC},
	{"ridmap", optRIDMap, 0},
	{"rnoatime", optRecSet, unix.MOUNT_ATTR_NOATIME},
	{"rnodev", optRecSet, unix.MOUNT_ATTR_NODEV},
	{"rnodiratime", optRecSet, unix.MOUNT_ATTR_NODIRATIME},
	{"rnoexec", optRecSet, unix.MOUNT_ATTR_NOEXEC},
	{"rnorelatime", optRecClr, unix.MOUNT_ATTR_RELATIME},
	{"rnostrictatime", optRecClr, unix.MOUNT_ATTR_STRICTATIME},
	{"rnosuid", optRecSet, unix.MOUNT_ATTR_NOSUID},
	{"rnosymfollow", optRecSet, unix.MOUNT_ATTR_NOSYMFOLLOW},
	{"ro", optSet, unix.MS_RDONLY},
	{"rprivate", optProp, unix.MS_PRIVATE | unix.MS_REC},
	{"rrelatime", optRecSet, unix.MOUNT_ATTR_RELATIME},
	{"rro", optRecSet, unix.MOUNT_ATTR_RDONLY},
	{"rrw", optRecClr, unix.MOUNT_ATTR_RDONLY},
	{"rshared", optProp, unix.MS_SHARED | unix.MS_REC},
	{"rslave", optProp, unix.MS_SLAVE | unix.MS_REC},
	{"rstrictatime", optRecSet, unix.MOUNT_ATTR_STRICTATIME},
	{"rsuid", optRecClr, unix.MOUNT_ATTR_NOSUID},
	{"rsymfollow", optRecClr, unix.MOUNT_ATTR_NOSYMFOLLOW},
	{"runbindable", optProp, unix.MS_UNBINDABLE | unix.MS_REC},
	{"rw", optClear, unix.MS_RDONLY},
	{"shared", optProp, unix.MS_SHARED},
	{"silent", optSet, unix.MS_SILENT},
	{"slave", optProp, unix.MS_SLAVE},
	{"strictatime", optSet, unix.MS_STRICTATIME},
	{"suid", optClear, unix.MS_NOSUID},
	{"symfollow", optClear, unix.MS_NOSYMFOLLOW},
	{"sync", optSet, unix.MS_SYNCHRONOUS},
	{"tmpcopyup", optExt, uint64(configs.ExtTmpcopyup)},
	{"unbindable", optProp, unix.MS_UNBINDABLE},
}

func lookupMountOpt(name string) (mountOpt, bool) {
	// Binary search: the table is sorted (a test checks it).
	lo, hi := 0, len(mountOpts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if mountOpts[m].name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(mountOpts) && mountOpts[lo].name == name {
		return mountOpts[lo], true
	}
	return mountOpt{}, false
}

// KnownMountOptions returns the mount options husk interprets (anything
// else is passed to the filesystem), sorted.
func KnownMountOptions() []string {
	out := make([]string, len(mountOpts))
	for i, o := range mountOpts {
		out[i] = o.name
	}
	return out
}

// propagationFlags maps a propagation name (mount option or
// linux.rootfsPropagation) to MS_* flags.
func propagationFlags(name string) (uintptr, bool) {
	o, ok := lookupMountOpt(name)
	if !ok || o.kind != optProp {
		return 0, false
	}
	return uintptr(o.flag), true
}

// mountOptions is the result of parsing a mount's options.
type mountOptions struct {
	m       configs.Mount
	data    []string
	idmap   bool
	recAttr bool
}

// parseMountOptions interprets options as runc does: later options win
// over earlier ones for the same flag; unknown options become data.
func parseMountOptions(field at, options []string) (*mountOptions, error) {
	r := &mountOptions{}
	m := &r.m
	for i, o := range options {
		if hasNUL(o) {
			return nil, fieldErr(idx(field.sub("options"), i), "must not contain a NUL byte")
		}
		opt, ok := lookupMountOpt(o)
		if !ok {
			r.data = append(r.data, o)
			continue
		}
		f := opt.flag
		switch opt.kind {
		case optSet:
			m.Flags |= uintptr(f)
			m.ClearFlags &^= uintptr(f)
		case optClear:
			m.Flags &^= uintptr(f)
			m.ClearFlags |= uintptr(f)
		case optProp:
			m.PropagationFlags = append(m.PropagationFlags, uintptr(f))
		case optRecSet, optRecClr:
			r.recAttr = true
			if opt.kind == optRecSet {
				m.RecAttrSet |= f
				m.RecAttrClr &^= f
			} else {
				m.RecAttrClr |= f
				m.RecAttrSet &^= f
			}
			if f&unix.MOUNT_ATTR__ATIME == f {
				// mount_setattr(2): an access-time mode in attr_set needs
				// MOUNT_ATTR__ATIME in attr_clr.
				m.RecAttrClr |= unix.MOUNT_ATTR__ATIME
			}
		case optExt:
			m.Extensions |= uint32(f)
		case optIDMap:
			r.idmap = true
			m.IDMapRecursive = false
		case optRIDMap:
			r.idmap = true
			m.IDMapRecursive = true
		}
	}
	m.Data = strings.Join(r.data, ",")
	return r, nil
}

// convertMount resolves mounts[i]. Bind mounts (type "bind", or a "bind"
// or "rbind" option) get Device "bind" and a source made absolute against
// the bundle; it must exist.
func convertMount(i int, sm *specs.Mount, bundle string, c *configs.Config, rootless bool) (*configs.Mount, error) {
	f := at{"mounts", i}
	r, err := parseMountOptions(f, sm.Options)
	if err != nil {
		return nil, err
	}
	m := &r.m
	if sm.Destination == "" {
		return nil, fieldErr(f.sub("destination"), "must not be empty")
	}
	if hasNUL(sm.Destination) {
		return nil, fieldErr(f.sub("destination"), "must not contain a NUL byte")
	}
	dest := sm.Destination
	if !filepath.IsAbs(dest) {
		// Deprecated but allowed by the spec: relative to "/".
		logrus.Warnf("%s.destination %q is not absolute: using it relative to /", f, dest)
		dest = "/" + dest
	}
	m.Destination = filepath.Clean(dest)
	if hasNUL(sm.Type) {
		return nil, fieldErr(f.sub("type"), "must not contain a NUL byte")
	}
	if hasNUL(sm.Source) {
		return nil, fieldErr(f.sub("source"), "must not contain a NUL byte")
	}
	m.Device, m.Source = sm.Type, sm.Source
	if sm.Type == "bind" {
		m.Flags |= unix.MS_BIND
	}
	if m.IsBind() {
		m.Device = "bind"
		if sm.Source == "" {
			return nil, fieldErr(f.sub("source"), "required for a bind mount")
		}
		if !filepath.IsAbs(m.Source) {
			m.Source = filepath.Join(bundle, m.Source)
		}
		m.Source = filepath.Clean(m.Source)
		if _, err := os.Stat(m.Source); err != nil {
			return nil, wrapErr(f.sub("source"), err)
		}
		if m.Data != "" {
			// The kernel ignores them on a bind mount; runc 1.1 accepts
			// them, so say so instead of failing.
			logrus.Warnf("%s.options: filesystem options %q have no effect on a bind mount", f, m.Data)
			m.Data = ""
		}
	} else if sm.Type == "" {
		return nil, fieldErr(f.sub("type"), "required for a mount that is not a bind mount")
	}
	if m.Extensions&configs.ExtTmpcopyup != 0 && m.Device != "tmpfs" {
		return nil, fieldErr(f.sub("options"), "tmpcopyup requires type \"tmpfs\"")
	}
	if err := mountIDMapping(f, sm, r, c, rootless); err != nil {
		return nil, err
	}
	if rootless {
		if err := rootlessMountIDs(f, m.Data, c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// mountIDMapping resolves an idmapped mount: explicit uidMappings/
// gidMappings on the mount, or, with the "idmap"/"ridmap" option alone,
// the container's user namespace mappings. Bind mounts and any filesystem
// the kernel can idmap qualify (the kernel's refusal is reported when the
// mount is made, see libcontainer/idmap); cgroup mounts, which husk builds
// from several pieces, and tmpcopyup do not.
func mountIDMapping(f at, sm *specs.Mount, r *mountOptions, c *configs.Config, rootless bool) error {
	explicit := len(sm.UIDMappings) > 0 || len(sm.GIDMappings) > 0
	if !explicit && !r.idmap {
		return nil
	}
	m := &r.m
	field := f.sub("options")
	if explicit {
		field = f.sub("uidMappings")
		if len(sm.UIDMappings) == 0 {
			field = f.sub("gidMappings")
		}
	}
	if rootless {
		// As runc: the mapping's user namespace and MOUNT_ATTR_IDMAP on
		// a host filesystem need privileges over the host's ids.
		return fieldErr(field, "idmapped mounts are not supported for rootless containers")
	}
	if !m.IsBind() && (m.Device == "cgroup" || m.Device == "cgroup2") {
		return fieldErr(field, "a %s mount cannot be idmapped", m.Device)
	}
	if m.Extensions&configs.ExtTmpcopyup != 0 {
		return fieldErr(f.sub("options"), "tmpcopyup cannot be combined with an idmapped mount")
	}
	if explicit {
		var err error
		if m.UIDMappings, err = toIDMaps(f.sub("uidMappings"), sm.UIDMappings); err != nil {
			return err
		}
		if m.GIDMappings, err = toIDMaps(f.sub("gidMappings"), sm.GIDMappings); err != nil {
			return err
		}
		if len(m.UIDMappings) == 0 {
			return fieldErr(f.sub("uidMappings"), "required with gidMappings")
		}
		if len(m.GIDMappings) == 0 {
			return fieldErr(f.sub("gidMappings"), "required with uidMappings")
		}
		return nil
	}
	if len(c.UIDMappings) == 0 || len(c.GIDMappings) == 0 {
		return fieldErr(f.sub("options"), "idmap needs uidMappings and gidMappings on the mount or a user namespace")
	}
	m.UIDMappings = append([]configs.IDMap(nil), c.UIDMappings...)
	m.GIDMappings = append([]configs.IDMap(nil), c.GIDMappings...)
	return nil
}

// rootlessMountIDs checks that uid=/gid= mount data refer to ids mapped in
// the container's user namespace (runc's rootlessEUIDMount).
func rootlessMountIDs(f at, data string, c *configs.Config) error {
	if !strings.Contains(data, "id=") {
		return nil
	}
	for _, opt := range strings.Split(data, ",") {
		var maps []configs.IDMap
		var s string
		var ok bool
		if s, ok = strings.CutPrefix(opt, "uid="); ok {
			maps = c.UIDMappings
		} else if s, ok = strings.CutPrefix(opt, "gid="); ok {
			maps = c.GIDMappings
		} else {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue // not an id: the filesystem will judge
		}
		if _, ok := hostID(maps, id); !ok {
			return fieldErr(f.sub("options"), "%s: the id is not mapped in the user namespace of a rootless container", opt)
		}
	}
	return nil
}
