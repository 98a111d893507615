package common

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// The functions below report whether a resource section is set, returning
// the first field (below linux.resources) that is, or "" — for the error
// naming a field whose controller is missing.

// MemoryField reports the memory fields that need a memory controller.
// kernel and kernelTCP are not among them: they are only warned about.
func MemoryField(r *specs.LinuxResources) string {
	m := r.Memory
	switch {
	case m == nil:
		return ""
	case m.Limit != nil:
		return "memory.limit"
	case m.Reservation != nil:
		return "memory.reservation"
	case m.Swap != nil:
		return "memory.swap"
	case m.Swappiness != nil:
		return "memory.swappiness"
	case m.DisableOOMKiller != nil:
		return "memory.disableOOMKiller"
	case m.UseHierarchy != nil:
		return "memory.useHierarchy"
	}
	return ""
}

// CPUField reports the cpu (bandwidth and weight) fields.
func CPUField(r *specs.LinuxResources) string {
	c := r.CPU
	switch {
	case c == nil:
		return ""
	case c.Shares != nil:
		return "cpu.shares"
	case c.Quota != nil:
		return "cpu.quota"
	case c.Period != nil:
		return "cpu.period"
	case c.Burst != nil:
		return "cpu.burst"
	case c.RealtimeRuntime != nil:
		return "cpu.realtimeRuntime"
	case c.RealtimePeriod != nil:
		return "cpu.realtimePeriod"
	case c.Idle != nil:
		return "cpu.idle"
	}
	return ""
}

// CpusetField reports cpu.cpus / cpu.mems.
func CpusetField(r *specs.LinuxResources) string {
	switch {
	case r.CPU == nil:
		return ""
	case r.CPU.Cpus != "":
		return "cpu.cpus"
	case r.CPU.Mems != "":
		return "cpu.mems"
	}
	return ""
}

// PidsField reports pids.limit.
func PidsField(r *specs.LinuxResources) string {
	if r.Pids != nil && r.Pids.Limit != nil {
		return "pids.limit"
	}
	return ""
}

// BlockIOField reports the blockIO fields.
func BlockIOField(r *specs.LinuxResources) string {
	b := r.BlockIO
	switch {
	case b == nil:
		return ""
	case b.Weight != nil:
		return "blockIO.weight"
	case b.LeafWeight != nil:
		return "blockIO.leafWeight"
	case len(b.WeightDevice) > 0:
		return "blockIO.weightDevice"
	case len(b.ThrottleReadBpsDevice) > 0:
		return "blockIO.throttleReadBpsDevice"
	case len(b.ThrottleWriteBpsDevice) > 0:
		return "blockIO.throttleWriteBpsDevice"
	case len(b.ThrottleReadIOPSDevice) > 0:
		return "blockIO.throttleReadIOPSDevice"
	case len(b.ThrottleWriteIOPSDevice) > 0:
		return "blockIO.throttleWriteIOPSDevice"
	}
	return ""
}

// HugetlbField reports hugepageLimits.
func HugetlbField(r *specs.LinuxResources) string {
	if len(r.HugepageLimits) > 0 {
		return "hugepageLimits"
	}
	return ""
}

// NetClsField reports network.classID.
func NetClsField(r *specs.LinuxResources) string {
	if r.Network != nil && r.Network.ClassID != nil {
		return "network.classID"
	}
	return ""
}

// NetPrioField reports network.priorities.
func NetPrioField(r *specs.LinuxResources) string {
	if r.Network != nil && len(r.Network.Priorities) > 0 {
		return "network.priorities"
	}
	return ""
}

// RdmaField reports rdma.
func RdmaField(r *specs.LinuxResources) string {
	if len(r.Rdma) > 0 {
		return "rdma"
	}
	return ""
}

// DevicesField reports devices.
func DevicesField(r *specs.LinuxResources) string {
	if len(r.Devices) > 0 {
		return "devices"
	}
	return ""
}

// WarnKernelMemory logs, as runc does, that kernel memory limits are ignored
// (kernels ≥ 5.4 deprecate them and v2 has none).
func WarnKernelMemory(r *specs.LinuxResources) {
	if r.Memory != nil && (r.Memory.Kernel != nil || r.Memory.KernelTCP != nil) { //nolint:staticcheck // deprecated field, still warned about
		logrus.Warn("Kernel memory settings are ignored and will be removed")
	}
}

// PidsValue returns what pids.max gets for a runtime-spec 1.3 pids.limit:
// a negative value is "max", 0 is a real limit of 0.
func PidsValue(limit int64) string {
	if limit < 0 {
		return "max"
	}
	return formatInt(limit)
}
