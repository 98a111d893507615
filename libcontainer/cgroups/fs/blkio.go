package fs

import (
	"errors"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var blkioController = controller{
	name:  "blkio",
	field: common.BlockIOField,
	set:   setBlkio,
	stats: statBlkio,
}

func dev(d specs.LinuxBlockIODevice) string {
	return strconv.FormatInt(d.Major, 10) + ":" + strconv.FormatInt(d.Minor, 10)
}

// setBlkio writes blockIO. Weights go to the CFQ files (blkio.weight,
// blkio.weight_device) when present, else to BFQ's (blkio.bfq.weight,
// blkio.bfq.weight_device); leaf weights exist with CFQ only.
func setBlkio(dir string, r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	weight, weightDev := "blkio.weight", "blkio.weight_device"
	if (b.Weight != nil || len(b.WeightDevice) > 0) && !common.PathExists(dir+"/"+weight) {
		weight, weightDev = "blkio.bfq.weight", "blkio.bfq.weight_device"
	}
	write := func(field, file, v string) error {
		err := common.WriteFile(dir, file, v)
		if errors.Is(err, unix.ENOENT) && common.PathExists(dir) {
			return common.Fieldf(field, "%s is not available (depends on the I/O scheduler and kernel configuration)", file)
		}
		return common.Field(field, err)
	}
	if b.Weight != nil && *b.Weight != 0 {
		if err := write("blockIO.weight", weight, strconv.FormatUint(uint64(*b.Weight), 10)); err != nil {
			return err
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		if err := write("blockIO.leafWeight", "blkio.leaf_weight", strconv.FormatUint(uint64(*b.LeafWeight), 10)); err != nil {
			return err
		}
	}
	for _, wd := range b.WeightDevice {
		d := dev(wd.LinuxBlockIODevice)
		if wd.Weight != nil && *wd.Weight != 0 {
			if err := write("blockIO.weightDevice", weightDev, d+" "+strconv.FormatUint(uint64(*wd.Weight), 10)); err != nil {
				return err
			}
		}
		if wd.LeafWeight != nil && *wd.LeafWeight != 0 {
			if err := write("blockIO.weightDevice", "blkio.leaf_weight_device", d+" "+strconv.FormatUint(uint64(*wd.LeafWeight), 10)); err != nil {
				return err
			}
		}
	}
	throttles := []struct {
		field, file string
		devs        []specs.LinuxThrottleDevice
	}{
		{"blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"blockIO.throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"blockIO.throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"blockIO.throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			if err := write(t.field, t.file, dev(d.LinuxBlockIODevice)+" "+strconv.FormatUint(d.Rate, 10)); err != nil {
				return err
			}
		}
	}
	return nil
}

// statBlkio reads the first complete set of statistics files, in runc's
// order of preference: BFQ with debug, BFQ, CFQ, throttle (recursive),
// throttle.
func statBlkio(dir string, st *common.Stats) error {
	bs := &st.BlkioStats
	type stat struct {
		file string
		dst  *[]common.BlkioStatEntry
	}
	groups := [][]stat{
		{
			{"blkio.bfq.sectors_recursive", &bs.SectorsRecursive},
			{"blkio.bfq.io_service_time_recursive", &bs.IoServiceTimeRecursive},
			{"blkio.bfq.io_wait_time_recursive", &bs.IoWaitTimeRecursive},
			{"blkio.bfq.io_merged_recursive", &bs.IoMergedRecursive},
			{"blkio.bfq.io_queued_recursive", &bs.IoQueuedRecursive},
			{"blkio.bfq.time_recursive", &bs.IoTimeRecursive},
			{"blkio.bfq.io_serviced_recursive", &bs.IoServicedRecursive},
			{"blkio.bfq.io_service_bytes_recursive", &bs.IoServiceBytesRecursive},
		},
		{
			{"blkio.bfq.io_serviced_recursive", &bs.IoServicedRecursive},
			{"blkio.bfq.io_service_bytes_recursive", &bs.IoServiceBytesRecursive},
		},
		{
			{"blkio.sectors_recursive", &bs.SectorsRecursive},
			{"blkio.io_service_time_recursive", &bs.IoServiceTimeRecursive},
			{"blkio.io_wait_time_recursive", &bs.IoWaitTimeRecursive},
			{"blkio.io_merged_recursive", &bs.IoMergedRecursive},
			{"blkio.io_queued_recursive", &bs.IoQueuedRecursive},
			{"blkio.time_recursive", &bs.IoTimeRecursive},
			{"blkio.io_serviced_recursive", &bs.IoServicedRecursive},
			{"blkio.io_service_bytes_recursive", &bs.IoServiceBytesRecursive},
		},
		{
			{"blkio.throttle.io_serviced_recursive", &bs.IoServicedRecursive},
			{"blkio.throttle.io_service_bytes_recursive", &bs.IoServiceBytesRecursive},
		},
		{
			{"blkio.throttle.io_serviced", &bs.IoServicedRecursive},
			{"blkio.throttle.io_service_bytes", &bs.IoServiceBytesRecursive},
		},
	}
groups:
	for _, g := range groups {
		for i, s := range g {
			entries, err := blkioStat(dir, s.file)
			if err != nil {
				if i == 0 && common.IsNotExist(err) {
					continue groups // this set is not available
				}
				return err
			}
			*s.dst = entries
		}
		return nil
	}
	return nil
}

// blkioStat parses lines "8:0 Read 1234", "8:0 6792" (sectors) and skips
// "Total 1234".
func blkioStat(dir, file string) ([]common.BlkioStatEntry, error) {
	s, err := common.ReadFile(dir, file)
	if err != nil {
		return nil, err
	}
	out := []common.BlkioStatEntry{}
	err = common.ForEachLine(s, func(line string) error {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ':' })
		if len(f) == 2 && f[0] == "Total" {
			return nil
		}
		if len(f) != 3 && len(f) != 4 {
			return &common.ParseError{Path: dir, File: file, Err: errMalformed(line)}
		}
		var e common.BlkioStatEntry
		var err error
		if e.Major, err = strconv.ParseUint(f[0], 10, 64); err != nil {
			return &common.ParseError{Path: dir, File: file, Err: err}
		}
		if e.Minor, err = strconv.ParseUint(f[1], 10, 64); err != nil {
			return &common.ParseError{Path: dir, File: file, Err: err}
		}
		if len(f) == 4 {
			e.Op = f[2]
		}
		if e.Value, err = strconv.ParseUint(f[len(f)-1], 10, 64); err != nil {
			return &common.ParseError{Path: dir, File: file, Err: err}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
