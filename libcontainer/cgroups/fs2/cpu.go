package fs2

import (
	"errors"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// defaultPeriod is the kernel's default CFS period (µs).
const defaultPeriod = 100000

func setCPU(dir string, r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	if c.Idle != nil {
		if err := common.WriteFile(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return common.Field("cpu.idle", err)
		}
	}
	if c.Shares != nil && *c.Shares != 0 {
		w := common.SharesToWeight(*c.Shares)
		if err := common.WriteFile(dir, "cpu.weight", strconv.FormatUint(w, 10)); err != nil {
			return common.Field("cpu.shares", err)
		}
	}
	// cpu.max.burst must not exceed the quota: write it first, and again
	// after cpu.max when the kernel refused it against the old quota.
	burst := ""
	if c.Burst != nil {
		burst = strconv.FormatUint(*c.Burst, 10)
		err := common.WriteFile(dir, "cpu.max.burst", burst)
		switch {
		case err == nil:
			burst = ""
		case errors.Is(err, unix.EINVAL) && c.Quota != nil:
		default:
			return common.Field("cpu.burst", err)
		}
	}
	if c.Quota != nil || c.Period != nil {
		q := "max"
		if c.Quota != nil && *c.Quota > 0 {
			q = strconv.FormatInt(*c.Quota, 10)
		}
		p := uint64(defaultPeriod)
		if c.Period != nil && *c.Period != 0 {
			p = *c.Period
		}
		f := "cpu.quota"
		if c.Quota == nil {
			f = "cpu.period"
		}
		if err := common.WriteFile(dir, "cpu.max", q+" "+strconv.FormatUint(p, 10)); err != nil {
			return common.Field(f, err)
		}
		if burst != "" {
			if err := common.WriteFile(dir, "cpu.max.burst", burst); err != nil {
				return common.Field("cpu.burst", err)
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
	u, t, b := &st.CPUStats.CPUUsage, &st.CPUStats.ThrottlingData, &st.CPUStats.BurstData
	return common.ForEachLine(s, func(line string) error {
		k, v, err := common.ParseKeyValue(line)
		if err != nil {
			return &common.ParseError{Path: dir, File: "cpu.stat", Err: err}
		}
		switch k {
		case "usage_usec":
			u.TotalUsage = v * 1000
		case "user_usec":
			u.UsageInUsermode = v * 1000
		case "system_usec":
			u.UsageInKernelmode = v * 1000
		case "nr_periods":
			t.Periods = v
		case "nr_throttled":
			t.ThrottledPeriods = v
		case "throttled_usec":
			t.ThrottledTime = v * 1000
		case "nr_bursts":
			b.BurstsPeriods = v
		case "burst_usec":
			b.BurstTime = v * 1000
		}
		return nil
	})
}
