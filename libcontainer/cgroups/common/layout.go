// Package common holds what the cgroup drivers share: host layout detection,
// path resolution, cgroupfs file access, process listing and removal, unit
// conversions, the statistics schema and error types. Package cgroups
// re-exports the parts a consumer needs; the drivers (fs, fs2, systemd)
// import this package, never package cgroups (which imports them).
//
// Nothing here runs at package initialisation: the layout is read on first
// use and cached for the life of the process.
package common

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Legacy is cgroup v1 only.
	Legacy Mode = iota + 1
	// Hybrid is cgroup v1 controllers plus a cgroup2 hierarchy (normally at
	// /sys/fs/cgroup/unified) that holds no or few controllers.
	Hybrid
	// Unified is a pure cgroup v2 host.
	Unified
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return "unknown"
}

// DefaultRoot is where cgroup hierarchies are mounted on every supported host.
const DefaultRoot = "/sys/fs/cgroup"

// Hierarchy is a mounted cgroup v1 hierarchy.
type Hierarchy struct {
	// Mountpoint is the host directory, e.g. /sys/fs/cgroup/cpu,cpuacct.
	Mountpoint string
	// Root is the cgroup the mount shows ("/" unless the mount is a bind of
	// a sub-cgroup, as in some nested setups).
	Root string
	// Controllers bound to the hierarchy ("cpu", "cpuacct", or "name=systemd").
	Controllers []string
}

// Has reports whether ctrl is bound to the hierarchy.
func (h *Hierarchy) Has(ctrl string) bool {
	for _, c := range h.Controllers {
		if c == ctrl {
			return true
		}
	}
	return false
}

// Layout describes the cgroup hierarchies visible to this process and the
// cgroups the process is in. Tests build their own Layout over a temporary
// directory; production code uses GetLayout.
type Layout struct {
	Mode Mode
	// V1 lists the v1 hierarchies (first mount of each), in mountinfo order.
	V1 []Hierarchy
	// UnifiedMount is the cgroup2 mountpoint ("" when there is none).
	UnifiedMount string
	// UnifiedRoot is the cgroup the cgroup2 mount shows ("/" normally).
	UnifiedRoot string
	// Own maps each controller (and "name=systemd", and "" for cgroup2) to
	// this process's cgroup, as listed in /proc/self/cgroup.
	Own map[string]string
}

// Hierarchy returns the v1 hierarchy ctrl is bound to, or nil.
func (l *Layout) Hierarchy(ctrl string) *Hierarchy {
	for i := range l.V1 {
		if l.V1[i].Has(ctrl) {
			return &l.V1[i]
		}
	}
	return nil
}

// HierarchyOf returns the v1 hierarchy whose mountpoint contains dir, or nil.
func (l *Layout) HierarchyOf(dir string) *Hierarchy {
	for i := range l.V1 {
		mp := l.V1[i].Mountpoint
		if dir == mp || strings.HasPrefix(dir, mp+"/") {
			return &l.V1[i]
		}
	}
	return nil
}

var (
	layoutMu  sync.Mutex
	layout    *Layout
	layoutErr error
)

// GetLayout returns the host layout, reading /proc/self/cgroup and (except on
// pure v2 hosts) /proc/self/mountinfo on the first call only.
func GetLayout() (*Layout, error) {
	layoutMu.Lock()
	defer layoutMu.Unlock()
	if layout == nil && layoutErr == nil {
		layout, layoutErr = detectLayout()
	}
	return layout, layoutErr
}

func detectLayout() (*Layout, error) {
	own, err := readOwnCgroups("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(DefaultRoot, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		// Pure v2: no need for mountinfo (as runc).
		return &Layout{Mode: Unified, UnifiedMount: DefaultRoot, UnifiedRoot: "/", Own: own}, nil
	}
	data, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		if data, err = os.ReadFile("/proc/self/mountinfo"); err != nil {
			return nil, err
		}
	}
	l := layoutFromMountinfo(data)
	l.Own = own
	if l.Mode == 0 {
		return nil, errors.New("cgroups: no cgroup hierarchy is mounted")
	}
	return l, nil
}

// ParseOwnCgroups parses a /proc/<pid>/cgroup file's content into a map of
// controller (or "name=..."; "" for cgroup2) to cgroup path.
func ParseOwnCgroups(data []byte) (map[string]string, error) {
	own := make(map[string]string, 12)
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) == 0 {
			continue
		}
		// hierarchy-ID:controller-list:cgroup-path
		_, rest, ok1 := bytes.Cut(line, []byte{':'})
		ctrls, path, ok2 := bytes.Cut(rest, []byte{':'})
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("cgroups: invalid /proc/self/cgroup line %q", line)
		}
		p := string(path)
		if len(ctrls) == 0 {
			own[""] = p
			continue
		}
		for _, c := range bytes.Split(ctrls, []byte{','}) {
			own[string(c)] = p
		}
	}
	return own, nil
}

func readOwnCgroups(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseOwnCgroups(data)
}

// knownV1 reports whether o (a cgroup v1 mount option) names a controller
// the fs driver knows about.
func knownV1(o string) bool {
	switch o {
	case "cpuset", "cpu", "cpuacct", "memory", "devices", "freezer", "net_cls", "net_prio",
		"blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "name=systemd":
		return true
	}
	return false
}

// layoutFromMountinfo builds a layout (without Own) from mountinfo content.
func layoutFromMountinfo(data []byte) *Layout {
	l := &Layout{}
	seen := map[string]bool{}
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		// Cheap filter before splitting: only cgroup mounts.
		if !bytes.Contains(line, []byte(" - cgroup")) {
			continue
		}
		pre, post, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			continue
		}
		pf := bytes.Fields(pre)
		sf := bytes.Fields(post) // fstype source superopts
		if len(pf) < 5 || len(sf) < 3 {
			continue
		}
		root, mnt := unescapeMountinfo(string(pf[3])), unescapeMountinfo(string(pf[4]))
		switch string(sf[0]) {
		case "cgroup2":
			// Prefer the mount at the standard place.
			if l.UnifiedMount == "" || mnt == DefaultRoot || mnt == DefaultRoot+"/unified" {
				l.UnifiedMount, l.UnifiedRoot = mnt, root
			}
		case "cgroup":
			var ctrls []string
			dup := false
			for _, o := range strings.Split(string(sf[2]), ",") {
				if knownV1(o) {
					if seen[o] {
						dup = true
					}
					ctrls = append(ctrls, o)
				}
			}
			if len(ctrls) == 0 || dup {
				continue
			}
			for _, c := range ctrls {
				seen[c] = true
			}
			l.V1 = append(l.V1, Hierarchy{Mountpoint: mnt, Root: root, Controllers: ctrls})
		}
	}
	switch {
	case len(l.V1) > 0 && l.UnifiedMount != "":
		l.Mode = Hybrid
	case len(l.V1) > 0:
		l.Mode = Legacy
	case l.UnifiedMount != "":
		l.Mode = Unified
	}
	return l
}

// unescapeMountinfo undoes the octal escapes (\040 etc.) of mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// CleanPath cleans a cgroup path the way runc does: an absolute path stays
// absolute, a relative one stays relative, and ".." can never climb above
// the start.
func CleanPath(p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	p = filepath.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

// InnerPath returns the container's cgroup path relative to a hierarchy:
// linux.cgroupsPath when given, else the container name (relative).
func InnerPath(path, name string) (string, error) {
	if p := CleanPath(path); p != "" {
		if p == "/" {
			return "", errors.New("cgroups: linux.cgroupsPath must not be the root cgroup")
		}
		return p, nil
	}
	if n := CleanPath(name); n != "" && n != "." {
		return n, nil
	}
	return "", errors.New("cgroups: neither linux.cgroupsPath nor a container name is given")
}

// V1Dir resolves the container directory for inner in hierarchy h: an
// absolute inner is taken from the hierarchy root, a relative one from this
// process's own cgroup in that hierarchy.
func (l *Layout) V1Dir(h *Hierarchy, inner string) (string, error) {
	if filepath.IsAbs(inner) {
		return filepath.Join(h.Mountpoint, inner), nil
	}
	own, ok := l.Own[h.Controllers[0]]
	if !ok {
		return "", fmt.Errorf("cgroups: this process is in no cgroup of hierarchy %s", h.Mountpoint)
	}
	rel, err := relBelow(h.Root, own)
	if err != nil {
		return "", err
	}
	return filepath.Join(h.Mountpoint, rel, inner), nil
}

// UnifiedDir resolves the container directory in the cgroup2 hierarchy. On a
// pure v2 host a relative path goes under the parent of this process's
// cgroup (which holds processes, so it cannot have controllers enabled for
// children), as runc does; on a hybrid host under the own cgroup.
func (l *Layout) UnifiedDir(inner string) (string, error) {
	if l.UnifiedMount == "" {
		return "", errors.New("cgroups: no cgroup2 hierarchy is mounted")
	}
	if filepath.IsAbs(inner) {
		return filepath.Join(l.UnifiedMount, inner), nil
	}
	own, ok := l.Own[""]
	if !ok {
		own = "/"
	}
	if l.Mode == Unified {
		own = filepath.Dir(own)
	}
	rel, err := relBelow(l.UnifiedRoot, own)
	if err != nil {
		return "", err
	}
	return filepath.Join(l.UnifiedMount, rel, inner), nil
}

// relBelow returns own relative to the mount root, refusing a cgroup that
// the mount does not show.
func relBelow(root, own string) (string, error) {
	if root == "" {
		root = "/"
	}
	rel, err := filepath.Rel(root, own)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("cgroups: own cgroup %s is not visible under mount root %s", own, root)
	}
	return rel, nil
}
