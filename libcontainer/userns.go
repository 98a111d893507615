package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// writeIDMaps writes uid_map and gid_map of pid (a new user namespace made
// by the init itself).
func writeIDMaps(pid int, cfg *configs.Config) error {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	if err := os.WriteFile(dir+"uid_map", formatMaps(cfg.UIDMappings), 0); err != nil {
		return fmt.Errorf("write uid_map of %d: %w", pid, err)
	}
	if os.Geteuid() != 0 {
		// An unprivileged writer of gid_map must deny setgroups first.
		if err := os.WriteFile(dir+"setgroups", []byte("deny"), 0); err != nil {
			return fmt.Errorf("write setgroups of %d: %w", pid, err)
		}
	}
	if err := os.WriteFile(dir+"gid_map", formatMaps(cfg.GIDMappings), 0); err != nil {
		return fmt.Errorf("write gid_map of %d: %w", pid, err)
	}
	return nil
}

func formatMaps(m []configs.IDMap) []byte {
	var sb strings.Builder
	for _, x := range m {
		fmt.Fprintf(&sb, "%d %d %d\n", x.ContainerID, x.HostID, x.Size)
	}
	return []byte(sb.String())
}
