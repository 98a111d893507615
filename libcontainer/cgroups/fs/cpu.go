package fs

import (
	"errors"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var cpuController = controller{
	name:    "cpu",
	field:   common.CPUField,
	prepare: prepareCPU,
	set:     setCPU,
	stats:   statCPU,
}

// prepareCPU sets the realtime budget before the process joins: a process
// already running SCHED_RR/SCHED_FIFO cannot enter a cgroup without one.
func prepareCPU(m *Manager, dir string) error {
	if m.res == nil {
		return nil
	}
	return setRT(dir, m.res.CPU)
}

func setCPU(dir string, r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	if c.Shares != nil && *c.Shares != 0 {
		want := *c.Shares
		if err := common.WriteFile(dir, "cpu.shares", strconv.FormatUint(want, 10)); err != nil {
			return common.Field("cpu.shares", err)
		}
		// The kernel clamps out-of-range shares silently: read back.
		got, err := common.GetUint(dir, "cpu.shares")
		if err != nil {
			return common.Field("cpu.shares", err)
		}
		if got < want {
			return common.Fieldf("cpu.shares", "%d is above the maximum %d", want, got)
		} else if got > want {
			return common.Fieldf("cpu.shares", "%d is below the minimum %d", want, got)
		}
	}
	if err := setBandwidth(dir, c); err != nil {
		return err
	}
	if c.Idle != nil {
		if err := common.WriteFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return common.Field("cpu.idle", err)
		}
	}
	return setRT(dir, c)
}

// setBandwidth writes the CFS period, burst and quota. A new period may be
// refused (EINVAL) against the old quota and parent limits, and a burst
// against the old quota; when a quota is also being set, such a value is
// written again after the quota (runc's order).
func setBandwidth(dir string, c *specs.LinuxCPU) error {
	quota := c.Quota != nil && *c.Quota != 0
	retry := func(file, field, v string) (string, error) {
		err := common.WriteFile(dir, file, v)
		switch {
		case err == nil:
			return "", nil
		case errors.Is(err, unix.EINVAL) && quota:
			return v, nil // try again after the quota
		case errors.Is(err, unix.ENOENT) && file == "cpu.cfs_burst_us":
			return "", common.Fieldf(field, "not supported by this kernel (needs 5.14+)")
		}
		return "", common.Field(field, err)
	}
	var period, burst string
	var err error
	if c.Period != nil && *c.Period != 0 {
		if period, err = retry("cpu.cfs_period_us", "cpu.period", strconv.FormatUint(*c.Period, 10)); err != nil {
			return err
		}
	}
	if c.Burst != nil {
		if burst, err = retry("cpu.cfs_burst_us", "cpu.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if !quota {
		return nil
	}
	if err := common.WriteFile(dir, "cpu.cfs_quota_us", strconv.FormatInt(*c.Quota, 10)); err != nil {
		return common.Field("cpu.quota", err)
	}
	if period != "" {
		if err := common.WriteFile(dir, "cpu.cfs_period_us", period); err != nil {
			return common.Field("cpu.period", err)
		}
	}
	if burst != "" {
		if err := common.WriteFile(dir, "cpu.cfs_burst_us", burst); err != nil {
			return common.Field("cpu.burst", err)
		}
	}
	return nil
}

// setRT writes the realtime period and runtime. They constrain each other
// (runtime <= period, and the sum over children <= the parent's), so a
// period the kernel refuses is written again after the runtime.
func setRT(dir string, c *specs.LinuxCPU) error {
	if c == nil {
		return nil
	}
	runtime := c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0
	var period string
	if c.RealtimePeriod != nil && *c.RealtimePeriod != 0 {
		period = strconv.FormatUint(*c.RealtimePeriod, 10)
		err := common.WriteFile(dir, "cpu.rt_period_us", period)
		switch {
		case err == nil:
			period = ""
		case errors.Is(err, unix.EINVAL) && runtime:
		case errors.Is(err, unix.ENOENT):
			return common.Fieldf("cpu.realtimePeriod", "realtime group scheduling is not enabled in this kernel (CONFIG_RT_GROUP_SCHED)")
		default:
			return common.Field("cpu.realtimePeriod", err)
		}
	}
	if runtime {
		err := common.WriteFile(dir, "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10))
		if errors.Is(err, unix.ENOENT) {
			return common.Fieldf("cpu.realtimeRuntime", "realtime group scheduling is not enabled in this kernel (CONFIG_RT_GROUP_SCHED)")
		}
		if err != nil {
			return common.Field("cpu.realtimeRuntime", err)
		}
		if period != "" {
			if err := common.WriteFile(dir, "cpu.rt_period_us", period); err != nil {
				return common.Field("cpu.realtimePeriod", err)
			}
		}
	}
	return nil
}

func statCPU(dir string, st *common.Stats) error {
	s, err := common.ReadFile(dir, "cpu.stat")
	if err != nil {
		return err
	}
	t, b := &st.CPUStats.ThrottlingData, &st.CPUStats.BurstData
	return common.ForEachLine(s, func(line string) error {
		k, v, err := common.ParseKeyValue(line)
		if err != nil {
			return &common.ParseError{Path: dir, File: "cpu.stat", Err: err}
		}
		switch k {
		case "nr_periods":
			t.Periods = v
		case "nr_throttled":
			t.ThrottledPeriods = v
		case "throttled_time":
			t.ThrottledTime = v
		case "nr_bursts":
			b.BurstsPeriods = v
		case "burst_time":
			b.BurstTime = v
		}
		return nil
	})
}
