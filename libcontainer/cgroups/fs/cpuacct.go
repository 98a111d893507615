package fs

import (
	"strconv"
	"strings"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var cpuacctController = controller{
	name:  "cpuacct",
	stats: statCpuacct,
}

const (
	nsPerSec = 1000000000
	// clockTicks is USER_HZ, which is 100 on every Linux ABI.
	clockTicks = 100
)

func statCpuacct(dir string, st *common.Stats) error {
	u := &st.CPUStats.CPUUsage
	total, err := common.GetUint(dir, "cpuacct.usage")
	if err != nil {
		return err
	}
	u.TotalUsage = total
	// cpuacct.stat: "user <ticks>\nsystem <ticks>"
	s, err := common.ReadFile(dir, "cpuacct.stat")
	if err != nil {
		return err
	}
	f := strings.Fields(s)
	if len(f) < 4 || f[0] != "user" || f[2] != "system" {
		return &common.ParseError{Path: dir, File: "cpuacct.stat", Err: errMalformed(s)}
	}
	user, err1 := strconv.ParseUint(f[1], 10, 64)
	sys, err2 := strconv.ParseUint(f[3], 10, 64)
	if err1 != nil || err2 != nil {
		return &common.ParseError{Path: dir, File: "cpuacct.stat", Err: errMalformed(s)}
	}
	u.UsageInUsermode = user * nsPerSec / clockTicks
	u.UsageInKernelmode = sys * nsPerSec / clockTicks
	if u.PercpuUsage, err = uintList(dir, "cpuacct.usage_percpu"); err != nil {
		return err
	}
	// cpuacct.usage_all: header "cpu user system", then "<cpu> <user> <system>".
	u.PercpuUsageInKernelmode, u.PercpuUsageInUsermode = []uint64{}, []uint64{}
	all, err := common.ReadFile(dir, "cpuacct.usage_all")
	if err != nil {
		if common.IsNotExist(err) {
			return nil
		}
		return err
	}
	first := true
	return common.ForEachLine(all, func(line string) error {
		if first {
			first = false
			if !strings.HasPrefix(line, "cpu user system") {
				return &common.ParseError{Path: dir, File: "cpuacct.usage_all", Err: errMalformed(line)}
			}
			return nil
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil
		}
		user, err1 := strconv.ParseUint(f[1], 10, 64)
		sys, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return &common.ParseError{Path: dir, File: "cpuacct.usage_all", Err: errMalformed(line)}
		}
		u.PercpuUsageInUsermode = append(u.PercpuUsageInUsermode, user)
		u.PercpuUsageInKernelmode = append(u.PercpuUsageInKernelmode, sys)
		return nil
	})
}

// uintList reads a file of space-separated numbers.
func uintList(dir, file string) ([]uint64, error) {
	s, err := common.ReadFile(dir, file)
	if err != nil {
		return nil, err
	}
	out := []uint64{}
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, &common.ParseError{Path: dir, File: file, Err: err}
		}
		out = append(out, v)
	}
	return out, nil
}
