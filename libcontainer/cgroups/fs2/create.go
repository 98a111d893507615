package fs2

import (
	"fmt"
	"strings"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// ApplyDir creates the cgroup2 directory dir (parents included) and moves
// pid into it (pid -1: create only). A pre-existing cgroup that holds
// processes is refused, and so is a frozen one (the process would stop
// dead), both without blocking. On error what it created is removed.
func ApplyDir(dir string, pid int) error {
	created, err := PrepareDir(dir)
	if err != nil {
		return err
	}
	if pid != -1 {
		if err := common.WriteProcs(dir, pid); err != nil {
			common.RemoveCreated(created)
			return err
		}
	}
	return nil
}

// PrepareDir is the first half of ApplyDir: create dir and check it is
// usable, returning the directories it created (for the caller to remove
// on a later error). The v1 driver uses it for the cgroup2 hierarchy of
// hybrid hosts, where no controllers are enabled.
func PrepareDir(dir string) ([]string, error) {
	created, existed, err := common.Mkdir(dir)
	if err != nil {
		return created, fmt.Errorf("cgroups: create cgroup: %w", err)
	}
	if err := checkUsable(dir, existed); err != nil {
		common.RemoveCreated(created)
		return nil, err
	}
	return created, nil
}

// checkUsable reads cgroup.events once: "populated 1" on a cgroup that
// existed before, or "frozen 1" (set on it or inherited), is an error.
func checkUsable(dir string, existed bool) error {
	ev, err := common.ReadFile(dir, "cgroup.events")
	if err != nil {
		if common.IsNotExist(err) {
			return nil // very old kernel: no cgroup.events
		}
		return err
	}
	if existed {
		if v, ok, _ := common.KeyValue(ev, "populated"); ok && v == 1 {
			pids, _ := common.AllPids(dir)
			return fmt.Errorf("cgroups: cgroup %s already exists and holds %d process(es)", dir, len(pids))
		}
	}
	if v, ok, _ := common.KeyValue(ev, "frozen"); ok && v == 1 {
		return fmt.Errorf("cgroups: cgroup %s is frozen (by itself or a parent); refusing to put a process into it", dir)
	}
	if fz, err := common.GetString(dir, "cgroup.freeze"); err == nil && fz == "1" {
		return fmt.Errorf("cgroups: cgroup %s is being frozen; refusing to put a process into it", dir)
	}
	return nil
}

// enableControllers enables ctrls in cgroup.subtree_control of every
// ancestor of dir below (and including) mount, so that dir gets them. A
// level that already has them all is left untouched (no write), and
// controllers the kernel refuses are skipped: Set reports a missing
// controller by the field that needs it.
func enableControllers(mount, dir string, ctrls []string, domain bool) error {
	if len(ctrls) == 0 {
		return nil
	}
	if dir != mount && !strings.HasPrefix(dir, mount+"/") {
		return fmt.Errorf("cgroups: %s is not below the cgroup2 mount %s", dir, mount)
	}
	rel := strings.TrimPrefix(dir, mount)
	cur := mount
	elems := strings.Split(strings.Trim(rel, "/"), "/")
	for i := 0; i < len(elems); i++ {
		if i > 0 {
			cur += "/" + elems[i-1]
			if _, _, err := common.Mkdir(cur); err != nil {
				return err
			}
			if err := fixType(cur, domain); err != nil {
				return err
			}
		}
		have, err := common.ReadFile(cur, "cgroup.subtree_control")
		if err != nil {
			return err
		}
		var missing []string
		for _, c := range ctrls {
			if !hasWord(have, c) {
				missing = append(missing, "+"+c)
			}
		}
		if len(missing) == 0 {
			continue
		}
		if err := common.WriteFile(cur, "cgroup.subtree_control", strings.Join(missing, " ")); err != nil {
			for _, c := range missing {
				_ = common.WriteFile(cur, "cgroup.subtree_control", c)
			}
		}
	}
	return nil
}

// fixType handles an intermediate cgroup that cannot hold domain
// controllers (one created below a cgroup with processes, or a threaded
// one): as runc, it is an error when the resources need a domain controller
// (memory, io, cpu, hugetlb), else a "domain invalid" one is made threaded.
func fixType(dir string, domain bool) error {
	t, err := common.GetString(dir, "cgroup.type")
	if err != nil {
		return nil //nolint:nilerr // no cgroup.type on old kernels
	}
	switch t {
	case "domain invalid":
		if domain {
			return fmt.Errorf("cgroups: cannot use domain controllers below %s: it is in an invalid state (a parent holds processes)", dir)
		}
		return common.WriteFile(dir, "cgroup.type", "threaded")
	case "threaded", "domain threaded":
		if domain {
			return fmt.Errorf("cgroups: cannot use domain controllers below %s: it is %s", dir, t)
		}
	}
	return nil
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// Available returns the controllers of the cgroup2 hierarchy (the
// cgroup.controllers file of its root).
func Available(mount string) ([]string, error) {
	s, err := common.ReadFile(mount, "cgroup.controllers")
	if err != nil {
		return nil, err
	}
	return strings.Fields(s), nil
}

// EnableHugetlb makes hugetlb usable in dir, for hybrid hosts whose hugetlb
// controller is bound to the cgroup2 hierarchy rather than a v1 one.
func EnableHugetlb(mount, dir string) error {
	return enableControllers(mount, dir, []string{"hugetlb"}, true)
}
