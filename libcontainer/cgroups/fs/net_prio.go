package fs

import (
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var netPrioController = controller{
	name:  "net_prio",
	field: common.NetPrioField,
	set:   setNetPrio,
}

func setNetPrio(dir string, r *specs.LinuxResources) error {
	if r.Network == nil {
		return nil
	}
	for _, p := range r.Network.Priorities {
		if p.Name == "" || strings.ContainsAny(p.Name, " \n/") {
			return common.Fieldf("network.priorities", "invalid interface name %q", p.Name)
		}
		v := p.Name + " " + strconv.FormatUint(uint64(p.Priority), 10)
		if err := common.WriteFile(dir, "net_prio.ifpriomap", v); err != nil {
			return common.Field("network.priorities["+p.Name+"]", err)
		}
	}
	return nil
}
