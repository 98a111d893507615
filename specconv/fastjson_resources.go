package specconv

// linux.resources, seccomp, intelRdt and memoryPolicy for fastSpec (see
// fastjson.go).

import specs "github.com/opencontainers/runtime-spec/specs-go"

func fastResources(d *fastDec, v any, r *specs.LinuxResources) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "devices", &r.Devices, fastDeviceCgroup)
	getPtr(o, "memory", &r.Memory, fastMemory)
	getPtr(o, "cpu", &r.CPU, fastCPU)
	getPtr(o, "pids", &r.Pids, fastPids)
	getPtr(o, "blockIO", &r.BlockIO, fastBlockIO)
	getSlice(o, "hugepageLimits", &r.HugepageLimits, fastHugepageLimit)
	getPtr(o, "network", &r.Network, fastNetwork)
	getMap(o, "rdma", &r.Rdma, fastRdma)
	getMap(o, "unified", &r.Unified, toStr)
}

func fastHugepageLimit(d *fastDec, v any, h *specs.LinuxHugepageLimit) {
	o := d.open(v)
	defer o.close()
	get(o, "pageSize", &h.Pagesize, toStr)
	get(o, "limit", &h.Limit, toNum)
}

func fastInterfacePriority(d *fastDec, v any, p *specs.LinuxInterfacePriority) {
	o := d.open(v)
	defer o.close()
	get(o, "name", &p.Name, toStr)
	get(o, "priority", &p.Priority, toNum)
}

func fastWeightDevice(d *fastDec, v any, w *specs.LinuxWeightDevice) {
	o := d.open(v)
	defer o.close()
	get(o, "major", &w.Major, toNum) // embedded LinuxBlockIODevice
	get(o, "minor", &w.Minor, toNum)
	getPtr(o, "weight", &w.Weight, toNum)
	getPtr(o, "leafWeight", &w.LeafWeight, toNum)
}

func fastThrottleDevice(d *fastDec, v any, t *specs.LinuxThrottleDevice) {
	o := d.open(v)
	defer o.close()
	get(o, "major", &t.Major, toNum) // embedded LinuxBlockIODevice
	get(o, "minor", &t.Minor, toNum)
	get(o, "rate", &t.Rate, toNum)
}

func fastBlockIO(d *fastDec, v any, b *specs.LinuxBlockIO) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "weight", &b.Weight, toNum)
	getPtr(o, "leafWeight", &b.LeafWeight, toNum)
	getSlice(o, "weightDevice", &b.WeightDevice, fastWeightDevice)
	getSlice(o, "throttleReadBpsDevice", &b.ThrottleReadBpsDevice, fastThrottleDevice)
	getSlice(o, "throttleWriteBpsDevice", &b.ThrottleWriteBpsDevice, fastThrottleDevice)
	getSlice(o, "throttleReadIOPSDevice", &b.ThrottleReadIOPSDevice, fastThrottleDevice)
	getSlice(o, "throttleWriteIOPSDevice", &b.ThrottleWriteIOPSDevice, fastThrottleDevice)
}

func fastMemory(d *fastDec, v any, m *specs.LinuxMemory) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "limit", &m.Limit, toNum)
	getPtr(o, "reservation", &m.Reservation, toNum)
	getPtr(o, "swap", &m.Swap, toNum)
	getPtr(o, "kernel", &m.Kernel, toNum)
	getPtr(o, "kernelTCP", &m.KernelTCP, toNum)
	getPtr(o, "swappiness", &m.Swappiness, toNum)
	getPtr(o, "disableOOMKiller", &m.DisableOOMKiller, toBool)
	getPtr(o, "useHierarchy", &m.UseHierarchy, toBool)
	getPtr(o, "checkBeforeUpdate", &m.CheckBeforeUpdate, toBool)
}

func fastCPU(d *fastDec, v any, c *specs.LinuxCPU) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "shares", &c.Shares, toNum)
	getPtr(o, "quota", &c.Quota, toNum)
	getPtr(o, "burst", &c.Burst, toNum)
	getPtr(o, "period", &c.Period, toNum)
	getPtr(o, "realtimeRuntime", &c.RealtimeRuntime, toNum)
	getPtr(o, "realtimePeriod", &c.RealtimePeriod, toNum)
	get(o, "cpus", &c.Cpus, toStr)
	get(o, "mems", &c.Mems, toStr)
	getPtr(o, "idle", &c.Idle, toNum)
}

func fastPids(d *fastDec, v any, p *specs.LinuxPids) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "limit", &p.Limit, toNum)
}

func fastNetwork(d *fastDec, v any, n *specs.LinuxNetwork) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "classID", &n.ClassID, toNum)
	getSlice(o, "priorities", &n.Priorities, fastInterfacePriority)
}

func fastRdma(d *fastDec, v any, r *specs.LinuxRdma) {
	o := d.open(v)
	defer o.close()
	getPtr(o, "hcaHandles", &r.HcaHandles, toNum)
	getPtr(o, "hcaObjects", &r.HcaObjects, toNum)
}

func fastDeviceCgroup(d *fastDec, v any, c *specs.LinuxDeviceCgroup) {
	o := d.open(v)
	defer o.close()
	get(o, "allow", &c.Allow, toBool)
	get(o, "type", &c.Type, toStr)
	getPtr(o, "major", &c.Major, toNum)
	getPtr(o, "minor", &c.Minor, toNum)
	get(o, "access", &c.Access, toStr)
}

func fastSeccomp(d *fastDec, v any, s *specs.LinuxSeccomp) {
	o := d.open(v)
	defer o.close()
	get(o, "defaultAction", &s.DefaultAction, toStr)
	getPtr(o, "defaultErrnoRet", &s.DefaultErrnoRet, toNum)
	getSlice(o, "architectures", &s.Architectures, toStr)
	getSlice(o, "flags", &s.Flags, toStr)
	get(o, "listenerPath", &s.ListenerPath, toStr)
	get(o, "listenerMetadata", &s.ListenerMetadata, toStr)
	getSlice(o, "syscalls", &s.Syscalls, fastSyscall)
}

func fastSeccompArg(d *fastDec, v any, a *specs.LinuxSeccompArg) {
	o := d.open(v)
	defer o.close()
	get(o, "index", &a.Index, toNum)
	get(o, "value", &a.Value, toNum)
	get(o, "valueTwo", &a.ValueTwo, toNum)
	get(o, "op", &a.Op, toStr)
}

func fastSyscall(d *fastDec, v any, s *specs.LinuxSyscall) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "names", &s.Names, toStr)
	get(o, "action", &s.Action, toStr)
	getPtr(o, "errnoRet", &s.ErrnoRet, toNum)
	getSlice(o, "args", &s.Args, fastSeccompArg)
}

func fastIntelRdt(d *fastDec, v any, r *specs.LinuxIntelRdt) {
	o := d.open(v)
	defer o.close()
	get(o, "closID", &r.ClosID, toStr)
	getSlice(o, "schemata", &r.Schemata, toStr)
	get(o, "l3CacheSchema", &r.L3CacheSchema, toStr)
	get(o, "memBwSchema", &r.MemBwSchema, toStr)
	get(o, "enableMonitoring", &r.EnableMonitoring, toBool)
}

func fastMemoryPolicy(d *fastDec, v any, m *specs.LinuxMemoryPolicy) {
	o := d.open(v)
	defer o.close()
	get(o, "mode", &m.Mode, toStr)
	get(o, "nodes", &m.Nodes, toStr)
	getSlice(o, "flags", &m.Flags, toStr)
}
