package specconv

// The reflection-free decoder of configs.Config as encoding/json encodes it
// (Go field names as keys), for the configuration kept in state.json: exec
// reads it back on every call. Same rules as fastSpec (see fastjson.go):
// what it is not sure of goes to encoding/json.

import "github.com/husk-runtime/husk/libcontainer/configs"

// DecodeConfig decodes a configs.Config exactly as json.Unmarshal does.
func DecodeConfig(data []byte) (*configs.Config, error) {
	return decodeFast(data, fastConfig)
}

func fastConfig(d *fastDec, v any, c *configs.Config) {
	o := d.open(v)
	defer o.close()
	get(o, "Rootfs", &c.Rootfs, toStr)
	get(o, "Readonlyfs", &c.Readonlyfs, toBool)
	get(o, "RootPropagation", &c.RootPropagation, toNum)
	get(o, "NoPivotRoot", &c.NoPivotRoot, toBool)
	get(o, "Hostname", &c.Hostname, toStr)
	get(o, "Domainname", &c.Domainname, toStr)
	getSlice(o, "Namespaces", &c.Namespaces, fastCfgNamespace)
	getSlice(o, "UIDMappings", &c.UIDMappings, fastCfgIDMap)
	getSlice(o, "GIDMappings", &c.GIDMappings, fastCfgIDMap)
	getMap(o, "TimeOffsets", &c.TimeOffsets, fastTimeOffset)
	getSlice(o, "Mounts", &c.Mounts, elemPtr(fastCfgMount))
	getSlice(o, "Devices", &c.Devices, elemPtr(fastCfgDevice))
	getSlice(o, "MaskPaths", &c.MaskPaths, toStr)
	getSlice(o, "ReadonlyPaths", &c.ReadonlyPaths, toStr)
	getMap(o, "Sysctl", &c.Sysctl, toStr)
	getPtr(o, "Personality", &c.Personality, fastPersonality)
	getPtr(o, "MemoryPolicy", &c.MemoryPolicy, fastMemoryPolicy)
	getMap(o, "NetDevices", &c.NetDevices, fastNetDevice)
	get(o, "MountLabel", &c.MountLabel, toStr)
	getMapK(o, "Hooks", &c.Hooks, fastCfgHookList)
	getPtr(o, "Process", &c.Process, fastCfgProcess)
	getPtr(o, "Cgroups", &c.Cgroups, fastCfgCgroup)
	getPtr(o, "Seccomp", &c.Seccomp, fastSeccomp)
	get(o, "NoNewKeyring", &c.NoNewKeyring, toBool)
	getSlice(o, "Labels", &c.Labels, toStr)
	getMap(o, "Annotations", &c.Annotations, toStr)
	get(o, "OCIVersion", &c.OCIVersion, toStr)
}

func fastCfgNamespace(d *fastDec, v any, n *configs.Namespace) {
	o := d.open(v)
	defer o.close()
	get(o, "Type", &n.Type, toStr)
	get(o, "Path", &n.Path, toStr)
}

func fastCfgIDMap(d *fastDec, v any, m *configs.IDMap) {
	o := d.open(v)
	defer o.close()
	get(o, "ContainerID", &m.ContainerID, toNum)
	get(o, "HostID", &m.HostID, toNum)
	get(o, "Size", &m.Size, toNum)
}

func fastCfgMount(d *fastDec, v any, m *configs.Mount) {
	o := d.open(v)
	defer o.close()
	get(o, "Source", &m.Source, toStr)
	get(o, "Destination", &m.Destination, toStr)
	get(o, "Device", &m.Device, toStr)
	get(o, "Flags", &m.Flags, toNum)
	get(o, "ClearFlags", &m.ClearFlags, toNum)
	get(o, "Data", &m.Data, toStr)
	getSlice(o, "PropagationFlags", &m.PropagationFlags, toNum)
	get(o, "RecAttrSet", &m.RecAttrSet, toNum)
	get(o, "RecAttrClr", &m.RecAttrClr, toNum)
	getSlice(o, "UIDMappings", &m.UIDMappings, fastCfgIDMap)
	getSlice(o, "GIDMappings", &m.GIDMappings, fastCfgIDMap)
	get(o, "IDMapRecursive", &m.IDMapRecursive, toBool)
	get(o, "Extensions", &m.Extensions, toNum)
}

func fastCfgDevice(d *fastDec, v any, dev *configs.Device) {
	o := d.open(v)
	defer o.close()
	get(o, "Path", &dev.Path, toStr)
	get(o, "Type", &dev.Type, toNum)
	get(o, "Major", &dev.Major, toNum)
	get(o, "Minor", &dev.Minor, toNum)
	get(o, "FileMode", &dev.FileMode, toNum)
	get(o, "UID", &dev.UID, toNum)
	get(o, "GID", &dev.GID, toNum)
}

func fastCfgHookList(d *fastDec, v any, l *[]configs.Hook) {
	if v == nil {
		return
	}
	a, ok := v.([]any)
	if !ok {
		d.fail()
		return
	}
	s := make([]configs.Hook, len(a))
	for i, e := range a {
		fastCfgHook(d, e, &s[i])
	}
	*l = s
}

func fastCfgHook(d *fastDec, v any, h *configs.Hook) {
	o := d.open(v)
	defer o.close()
	get(o, "Path", &h.Path, toStr)
	getSlice(o, "Args", &h.Args, toStr)
	getSlice(o, "Env", &h.Env, toStr)
	get(o, "Timeout", &h.Timeout, toNum)
}

func fastCfgProcess(d *fastDec, v any, p *configs.Process) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "Args", &p.Args, toStr)
	getSlice(o, "Env", &p.Env, toStr)
	get(o, "Cwd", &p.Cwd, toStr)
	get(o, "UID", &p.UID, toNum)
	get(o, "GID", &p.GID, toNum)
	getSlice(o, "AdditionalGids", &p.AdditionalGids, toNum)
	getPtr(o, "Umask", &p.Umask, toNum)
	get(o, "Terminal", &p.Terminal, toBool)
	get(o, "ConsoleHeight", &p.ConsoleHeight, toNum)
	get(o, "ConsoleWidth", &p.ConsoleWidth, toNum)
	getPtr(o, "Capabilities", &p.Capabilities, fastCfgCapabilities)
	getSlice(o, "Rlimits", &p.Rlimits, fastCfgRlimit)
	get(o, "NoNewPrivileges", &p.NoNewPrivileges, toBool)
	getPtr(o, "OOMScoreAdj", &p.OOMScoreAdj, toNum)
	get(o, "ApparmorProfile", &p.ApparmorProfile, toStr)
	get(o, "SelinuxLabel", &p.SelinuxLabel, toStr)
	getPtr(o, "Scheduler", &p.Scheduler, fastScheduler)
	getPtr(o, "IOPriority", &p.IOPriority, fastIOPriority)
	getPtr(o, "ExecCPUAffinity", &p.ExecCPUAffinity, fastCPUAffinity)
}

func fastCfgCapabilities(d *fastDec, v any, c *configs.Capabilities) {
	o := d.open(v)
	defer o.close()
	get(o, "Bounding", &c.Bounding, toNum)
	get(o, "Effective", &c.Effective, toNum)
	get(o, "Permitted", &c.Permitted, toNum)
	get(o, "Inheritable", &c.Inheritable, toNum)
	get(o, "Ambient", &c.Ambient, toNum)
}

func fastCfgRlimit(d *fastDec, v any, r *configs.Rlimit) {
	o := d.open(v)
	defer o.close()
	get(o, "Type", &r.Type, toNum)
	get(o, "Soft", &r.Soft, toNum)
	get(o, "Hard", &r.Hard, toNum)
}

func fastCfgCgroup(d *fastDec, v any, c *configs.Cgroup) {
	o := d.open(v)
	defer o.close()
	get(o, "Path", &c.Path, toStr)
	get(o, "Name", &c.Name, toStr)
	get(o, "Systemd", &c.Systemd, toBool)
	getPtr(o, "Resources", &c.Resources, fastResources)
}
