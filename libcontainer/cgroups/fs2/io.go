package fs2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

func dev(d specs.LinuxBlockIODevice) string {
	return strconv.FormatInt(d.Major, 10) + ":" + strconv.FormatInt(d.Minor, 10)
}

// setIO writes blockIO. Weights go to io.bfq.weight when the BFQ scheduler
// is in use (same 1-1000 range as v1), else to io.weight with runc's linear
// conversion; throttles go to io.max.
func setIO(dir string, r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	if b.Weight != nil || len(b.WeightDevice) > 0 {
		if err := setIOWeights(dir, b); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil {
		logrus.Warn("linux.resources.blockIO.leafWeight is ignored: cgroup v2 has no leaf weights")
	}
	throttles := []struct {
		field, key string
		devs       []specs.LinuxThrottleDevice
	}{
		{"blockIO.throttleReadBpsDevice", "rbps", b.ThrottleReadBpsDevice},
		{"blockIO.throttleWriteBpsDevice", "wbps", b.ThrottleWriteBpsDevice},
		{"blockIO.throttleReadIOPSDevice", "riops", b.ThrottleReadIOPSDevice},
		{"blockIO.throttleWriteIOPSDevice", "wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			v := "max"
			if d.Rate != 0 {
				v = strconv.FormatUint(d.Rate, 10)
			}
			if err := common.WriteFile(dir, "io.max", dev(d.LinuxBlockIODevice)+" "+t.key+"="+v); err != nil {
				return common.Field(t.field, err)
			}
		}
	}
	return nil
}

func setIOWeights(dir string, b *specs.LinuxBlockIO) error {
	bfq, err := common.ReadFile(dir, "io.bfq.weight")
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return common.Field("blockIO.weight", err)
	}
	hasBFQ := err == nil
	if b.Weight != nil && *b.Weight != 0 {
		if hasBFQ {
			err = common.WriteFile(dir, "io.bfq.weight", strconv.FormatUint(uint64(*b.Weight), 10))
		} else {
			w := common.BlkioWeightToIOWeight(*b.Weight)
			err = common.WriteFile(dir, "io.weight", strconv.FormatUint(w, 10))
		}
		if err != nil {
			return common.Field("blockIO.weight", err)
		}
	}
	// BFQ takes per-device weights since kernel 5.4: then io.bfq.weight
	// reads "default N" rather than a bare number.
	_, numErr := strconv.ParseUint(strings.TrimSpace(bfq), 10, 64)
	perDevBFQ := hasBFQ && numErr != nil
	for _, wd := range b.WeightDevice {
		if wd.LeafWeight != nil {
			logrus.Warn("linux.resources.blockIO.weightDevice[].leafWeight is ignored: cgroup v2 has no leaf weights")
		}
		if wd.Weight == nil || *wd.Weight == 0 {
			continue
		}
		d := dev(wd.LinuxBlockIODevice)
		if perDevBFQ {
			err = common.WriteFile(dir, "io.bfq.weight", d+" "+strconv.FormatUint(uint64(*wd.Weight), 10))
		} else {
			w := common.BlkioWeightToIOWeight(*wd.Weight)
			err = common.WriteFile(dir, "io.weight", d+" "+strconv.FormatUint(w, 10))
		}
		if err != nil {
			return common.Field("blockIO.weightDevice", err)
		}
	}
	return nil
}

// statIO reads io.stat into the v1 layout of BlkioStats.
func statIO(dir string, st *common.Stats) error {
	s, err := common.ReadFile(dir, "io.stat")
	if err != nil {
		return err
	}
	var bs common.BlkioStats
	err = common.ForEachLine(s, func(line string) error {
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil
		}
		maj, min, ok := strings.Cut(f[0], ":")
		if !ok {
			return nil
		}
		major, err1 := strconv.ParseUint(maj, 10, 64)
		minor, err2 := strconv.ParseUint(min, 10, 64)
		if err1 != nil || err2 != nil {
			return &common.ParseError{Path: dir, File: "io.stat", Err: fmt.Errorf("bad device %q", f[0])}
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			var table *[]common.BlkioStatEntry
			op := ""
			switch k {
			case "rbytes":
				table, op = &bs.IoServiceBytesRecursive, "Read"
			case "wbytes":
				table, op = &bs.IoServiceBytesRecursive, "Write"
			case "rios":
				table, op = &bs.IoServicedRecursive, "Read"
			case "wios":
				table, op = &bs.IoServicedRecursive, "Write"
			case "cost.usage":
				table, op = &bs.IoCostUsage, "Count"
			case "cost.wait":
				table, op = &bs.IoCostWait, "Count"
			case "cost.indebt":
				table, op = &bs.IoCostIndebt, "Count"
			case "cost.indelay":
				table, op = &bs.IoCostIndelay, "Count"
			default:
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return &common.ParseError{Path: dir, File: "io.stat", Err: err}
			}
			*table = append(*table, common.BlkioStatEntry{Major: major, Minor: minor, Op: op, Value: n})
		}
		return nil
	})
	if err != nil {
		return err
	}
	psi := st.BlkioStats.PSI
	st.BlkioStats = bs
	st.BlkioStats.PSI = psi
	return nil
}
