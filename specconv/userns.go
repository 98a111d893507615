package specconv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// maxIDMapLines is the kernel's limit on uid_map/gid_map lines (since 4.15).
const maxIDMapLines = 340

// convertUserNamespace fills c.UIDMappings/GIDMappings.
//
// A new user namespace needs both mappings. For a joined one the mappings
// are read from the kernel (as runc caches them), so that the rest of the
// configuration (idmapped mounts, user checks) sees the real ones; mappings
// given next to a path must match them (containerd and CRI-O send both).
func convertUserNamespace(l *specs.Linux, c *configs.Config) error {
	if !c.HasNamespace(configs.NEWUSER) {
		if len(l.UIDMappings) > 0 {
			return fieldErr("linux.uidMappings", "requires a user namespace in linux.namespaces")
		}
		if len(l.GIDMappings) > 0 {
			return fieldErr("linux.gidMappings", "requires a user namespace in linux.namespaces")
		}
		return nil
	}
	uids, err := toIDMaps("linux.uidMappings", l.UIDMappings)
	if err != nil {
		return err
	}
	gids, err := toIDMaps("linux.gidMappings", l.GIDMappings)
	if err != nil {
		return err
	}
	path := c.NamespacePath(configs.NEWUSER)
	if path == "" {
		if len(uids) == 0 {
			return fieldErr("linux.uidMappings", "required with a new user namespace")
		}
		if len(gids) == 0 {
			return fieldErr("linux.gidMappings", "required with a new user namespace")
		}
		c.UIDMappings, c.GIDMappings = uids, gids
		return nil
	}
	f := idx("linux.namespaces", nsIndex(l, configs.NEWUSER)) + ".path"
	dir, err := procDirOfNamespace(path)
	if err != nil {
		return wrapErr(f, err)
	}
	if dir == "" {
		if len(uids) == 0 || len(gids) == 0 {
			return fieldErr(f, "cannot read the id mappings of user namespace %s: no process is in it; give linux.uidMappings and linux.gidMappings", path)
		}
		// Only a bind-mounted namespace without processes ends up here:
		// the given mappings are trusted.
		c.UIDMappings, c.GIDMappings = uids, gids
		return nil
	}
	realU, err := readIDMapFile(filepath.Join(dir, "uid_map"))
	if err != nil {
		return wrapErr(f, err)
	}
	realG, err := readIDMapFile(filepath.Join(dir, "gid_map"))
	if err != nil {
		return wrapErr(f, err)
	}
	if uids != nil && !sameIDMaps(uids, realU) {
		return fieldErr("linux.uidMappings", "do not match the mappings of the joined user namespace %s", path)
	}
	if gids != nil && !sameIDMaps(gids, realG) {
		return fieldErr("linux.gidMappings", "do not match the mappings of the joined user namespace %s", path)
	}
	c.UIDMappings, c.GIDMappings = realU, realG
	return nil
}

// toIDMaps validates a mapping list as the kernel would when writing it.
func toIDMaps(field string, in []specs.LinuxIDMapping) ([]configs.IDMap, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxIDMapLines {
		return nil, fieldErr(field, "%d entries, the kernel allows %d", len(in), maxIDMapLines)
	}
	out := make([]configs.IDMap, len(in))
	for i, m := range in {
		f := idx(field, i)
		if m.Size == 0 {
			return nil, fieldErr(f+".size", "must not be 0")
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(f, "containerID %d + size %d overflows 32 bits", m.ContainerID, m.Size)
		}
		if uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return nil, fieldErr(f, "hostID %d + size %d overflows 32 bits", m.HostID, m.Size)
		}
		out[i] = configs.IDMap{ContainerID: int64(m.ContainerID), HostID: int64(m.HostID), Size: int64(m.Size)}
		for j := 0; j < i; j++ {
			if overlap(out[j].ContainerID, out[j].Size, out[i].ContainerID, out[i].Size) {
				return nil, fieldErr(f, "container ids overlap with %s", idx(field, j))
			}
			if overlap(out[j].HostID, out[j].Size, out[i].HostID, out[i].Size) {
				return nil, fieldErr(f, "host ids overlap with %s", idx(field, j))
			}
		}
	}
	return out, nil
}

func overlap(a, asz, b, bsz int64) bool { return a < b+bsz && b < a+asz }

func sameIDMaps(a, b []configs.IDMap) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hostID maps a container id through maps; ok is false when it is unmapped.
func hostID(maps []configs.IDMap, id int64) (int64, bool) {
	for _, m := range maps {
		if id >= m.ContainerID && id < m.ContainerID+m.Size {
			return m.HostID + id - m.ContainerID, true
		}
	}
	return 0, false
}

// procDirOfNamespace returns a /proc/<pid> directory of a process in the
// user namespace at path: directly for /proc/<pid>/ns/user paths, else by
// looking for a process whose user namespace is the same file. "" means
// no process was found.
func procDirOfNamespace(path string) (string, error) {
	if rest, ok := strings.CutPrefix(path, "/proc/"); ok {
		if pid, ok := strings.CutSuffix(rest, "/ns/user"); ok && pid != "" && !strings.Contains(pid, "/") {
			return "/proc/" + pid, nil
		}
	}
	var want unix.Stat_t
	if err := unix.Stat(path, &want); err != nil {
		return "", &os.PathError{Op: "stat", Path: path, Err: err}
	}
	d, err := os.Open("/proc")
	if err != nil {
		return "", err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+n+"/ns/user", &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return "/proc/" + n, nil
		}
	}
	return "", nil
}

// readIDMapFile parses a /proc/<pid>/uid_map or gid_map.
func readIDMapFile(path string) ([]configs.IDMap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []configs.IDMap
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s: malformed line %q", path, sc.Text())
		}
		var v [3]int64
		for i, s := range fields {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: malformed line %q", path, sc.Text())
			}
			v[i] = n
		}
		out = append(out, configs.IDMap{ContainerID: v[0], HostID: v[1], Size: v[2]})
	}
	return out, nil
}
