package fs

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var netClsController = controller{
	name:  "net_cls",
	field: common.NetClsField,
	set:   setNetCls,
}

func setNetCls(dir string, r *specs.LinuxResources) error {
	if r.Network == nil || r.Network.ClassID == nil {
		return nil
	}
	v := strconv.FormatUint(uint64(*r.Network.ClassID), 10)
	return common.Field("network.classID", common.WriteFile(dir, "net_cls.classid", v))
}
