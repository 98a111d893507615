package libcontainer

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/state"
)

// Update applies new resource limits to the container's cgroups (created,
// running or paused) and records them in the state: r holds only what
// changes (nil fields keep their value). As runc, a CPU quota or period
// given alone keeps the other's current value, and device lists of
// blockIO are merged by device.
func (c *Container) Update(r *specs.LinuxResources) error {
	if s := c.Status(); s == state.Stopped {
		return fmt.Errorf("container %s is stopped: nothing to update", c.st.ID)
	}
	cfg, err := c.st.LoadConfig()
	if err != nil {
		return err
	}
	if cfg.Cgroups == nil || len(c.st.CgroupPaths) == 0 {
		return fmt.Errorf("container %s has no cgroups to update", c.st.ID)
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return err
	}
	old := cfg.Cgroups.Resources
	if old == nil {
		old = &specs.LinuxResources{}
	}
	if r.CPU != nil && old.CPU != nil {
		// Quota and period are written together (their order matters).
		if r.CPU.Quota != nil && r.CPU.Period == nil {
			r.CPU.Period = old.CPU.Period
		}
		if r.CPU.Period != nil && r.CPU.Quota == nil {
			r.CPU.Quota = old.CPU.Quota
		}
	}
	if err := cg.Set(r); err != nil {
		return err
	}
	if err := c.st.SetResources(mergeResources(old, r)); err != nil {
		return err
	}
	return c.h.Save(c.st)
}

// set copies *src over *dst when given.
func set[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

// mergeResources returns old with every field r gives replaced.
func mergeResources(old, r *specs.LinuxResources) *specs.LinuxResources {
	out := *old
	if r.Memory != nil {
		m := specs.LinuxMemory{}
		if out.Memory != nil {
			m = *out.Memory
		}
		set(&m.Limit, r.Memory.Limit)
		set(&m.Reservation, r.Memory.Reservation)
		set(&m.Swap, r.Memory.Swap)
		set(&m.Swappiness, r.Memory.Swappiness)
		set(&m.DisableOOMKiller, r.Memory.DisableOOMKiller)
		set(&m.UseHierarchy, r.Memory.UseHierarchy)
		set(&m.CheckBeforeUpdate, r.Memory.CheckBeforeUpdate)
		out.Memory = &m
	}
	if r.CPU != nil {
		c := specs.LinuxCPU{}
		if out.CPU != nil {
			c = *out.CPU
		}
		set(&c.Shares, r.CPU.Shares)
		set(&c.Quota, r.CPU.Quota)
		set(&c.Burst, r.CPU.Burst)
		set(&c.Period, r.CPU.Period)
		set(&c.RealtimeRuntime, r.CPU.RealtimeRuntime)
		set(&c.RealtimePeriod, r.CPU.RealtimePeriod)
		set(&c.Idle, r.CPU.Idle)
		if r.CPU.Cpus != "" {
			c.Cpus = r.CPU.Cpus
		}
		if r.CPU.Mems != "" {
			c.Mems = r.CPU.Mems
		}
		out.CPU = &c
	}
	if r.Pids != nil {
		out.Pids = &specs.LinuxPids{}
		set(&out.Pids.Limit, r.Pids.Limit)
	}
	if r.BlockIO != nil {
		b := specs.LinuxBlockIO{}
		if out.BlockIO != nil {
			b = *out.BlockIO
		}
		set(&b.Weight, r.BlockIO.Weight)
		set(&b.LeafWeight, r.BlockIO.LeafWeight)
		// Copies: the old lists are not changed in place.
		b.WeightDevice = append([]specs.LinuxWeightDevice(nil), b.WeightDevice...)
		b.ThrottleReadBpsDevice = append([]specs.LinuxThrottleDevice(nil), b.ThrottleReadBpsDevice...)
		b.ThrottleWriteBpsDevice = append([]specs.LinuxThrottleDevice(nil), b.ThrottleWriteBpsDevice...)
		b.ThrottleReadIOPSDevice = append([]specs.LinuxThrottleDevice(nil), b.ThrottleReadIOPSDevice...)
		b.ThrottleWriteIOPSDevice = append([]specs.LinuxThrottleDevice(nil), b.ThrottleWriteIOPSDevice...)
		for _, wd := range r.BlockIO.WeightDevice {
			b.WeightDevice = upsertWeight(b.WeightDevice, wd)
		}
		b.ThrottleReadBpsDevice = upsertThrottle(b.ThrottleReadBpsDevice, r.BlockIO.ThrottleReadBpsDevice)
		b.ThrottleWriteBpsDevice = upsertThrottle(b.ThrottleWriteBpsDevice, r.BlockIO.ThrottleWriteBpsDevice)
		b.ThrottleReadIOPSDevice = upsertThrottle(b.ThrottleReadIOPSDevice, r.BlockIO.ThrottleReadIOPSDevice)
		b.ThrottleWriteIOPSDevice = upsertThrottle(b.ThrottleWriteIOPSDevice, r.BlockIO.ThrottleWriteIOPSDevice)
		out.BlockIO = &b
	}
	if r.HugepageLimits != nil {
		out.HugepageLimits = r.HugepageLimits
	}
	if r.Network != nil {
		out.Network = r.Network
	}
	if r.Devices != nil {
		out.Devices = r.Devices
	}
	if r.Rdma != nil {
		out.Rdma = r.Rdma
	}
	if r.Unified != nil {
		u := make(map[string]string, len(out.Unified)+len(r.Unified))
		for k, v := range out.Unified {
			u[k] = v
		}
		for k, v := range r.Unified {
			u[k] = v
		}
		out.Unified = u
	}
	return &out
}

func upsertWeight(list []specs.LinuxWeightDevice, wd specs.LinuxWeightDevice) []specs.LinuxWeightDevice {
	for i := range list {
		if list[i].Major == wd.Major && list[i].Minor == wd.Minor {
			set(&list[i].Weight, wd.Weight)
			set(&list[i].LeafWeight, wd.LeafWeight)
			return list
		}
	}
	return append(list, wd)
}

func upsertThrottle(list, add []specs.LinuxThrottleDevice) []specs.LinuxThrottleDevice {
next:
	for _, td := range add {
		for i := range list {
			if list[i].Major == td.Major && list[i].Minor == td.Minor {
				list[i].Rate = td.Rate
				continue next
			}
		}
		list = append(list, td)
	}
	return list
}
