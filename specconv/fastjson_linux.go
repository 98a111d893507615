package specconv

// The linux section of fastSpec (see fastjson.go); resources, seccomp,
// intelRdt and memoryPolicy are in fastjson_resources.go.

import specs "github.com/opencontainers/runtime-spec/specs-go"

func fastLinux(d *fastDec, v any, l *specs.Linux) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "uidMappings", &l.UIDMappings, fastIDMapping)
	getSlice(o, "gidMappings", &l.GIDMappings, fastIDMapping)
	getMap(o, "sysctl", &l.Sysctl, toStr)
	getPtr(o, "resources", &l.Resources, fastResources)
	get(o, "cgroupsPath", &l.CgroupsPath, toStr)
	getSlice(o, "namespaces", &l.Namespaces, fastNamespace)
	getSlice(o, "devices", &l.Devices, fastDevice)
	getMap(o, "netDevices", &l.NetDevices, fastNetDevice)
	getPtr(o, "seccomp", &l.Seccomp, fastSeccomp)
	get(o, "rootfsPropagation", &l.RootfsPropagation, toStr)
	getSlice(o, "maskedPaths", &l.MaskedPaths, toStr)
	getSlice(o, "readonlyPaths", &l.ReadonlyPaths, toStr)
	get(o, "mountLabel", &l.MountLabel, toStr)
	getPtr(o, "intelRdt", &l.IntelRdt, fastIntelRdt)
	getPtr(o, "memoryPolicy", &l.MemoryPolicy, fastMemoryPolicy)
	getPtr(o, "personality", &l.Personality, fastPersonality)
	getMap(o, "timeOffsets", &l.TimeOffsets, fastTimeOffset)
}

func fastNamespace(d *fastDec, v any, n *specs.LinuxNamespace) {
	o := d.open(v)
	defer o.close()
	get(o, "type", &n.Type, toStr)
	get(o, "path", &n.Path, toStr)
}

func fastIDMapping(d *fastDec, v any, m *specs.LinuxIDMapping) {
	o := d.open(v)
	defer o.close()
	get(o, "containerID", &m.ContainerID, toNum)
	get(o, "hostID", &m.HostID, toNum)
	get(o, "size", &m.Size, toNum)
}

func fastTimeOffset(d *fastDec, v any, t *specs.LinuxTimeOffset) {
	o := d.open(v)
	defer o.close()
	get(o, "secs", &t.Secs, toNum)
	get(o, "nanosecs", &t.Nanosecs, toNum)
}

func fastDevice(d *fastDec, v any, dev *specs.LinuxDevice) {
	o := d.open(v)
	defer o.close()
	get(o, "path", &dev.Path, toStr)
	get(o, "type", &dev.Type, toStr)
	get(o, "major", &dev.Major, toNum)
	get(o, "minor", &dev.Minor, toNum)
	getPtr(o, "fileMode", &dev.FileMode, toNum)
	getPtr(o, "uid", &dev.UID, toNum)
	getPtr(o, "gid", &dev.GID, toNum)
}

func fastNetDevice(d *fastDec, v any, n *specs.LinuxNetDevice) {
	o := d.open(v)
	defer o.close()
	get(o, "name", &n.Name, toStr)
}

func fastPersonality(d *fastDec, v any, p *specs.LinuxPersonality) {
	o := d.open(v)
	defer o.close()
	get(o, "domain", &p.Domain, toStr)
	getSlice(o, "flags", &p.Flags, toStr)
}
