package specconv

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/husk-runtime/husk/libcontainer/capabilities"
	"github.com/husk-runtime/husk/libcontainer/configs"
)

// ToProcess converts and validates a process; field is the JSON path of p
// in errors ("process" for config.json, "" for husk exec's process.json).
// Checks that need the container (ids mapped in its user namespace) are
// in CheckProcess.
func ToProcess(p *specs.Process, field string) (*configs.Process, error) {
	if p == nil {
		return nil, fieldErr(field, "must be set")
	}
	if err := unsupportedProcess(p, field); err != nil {
		return nil, err
	}
	if len(p.Args) == 0 {
		return nil, fieldErr(sub(field, "args"), "must not be empty")
	}
	if err := noNULs(field, "args", p.Args); err != nil {
		return nil, err
	}
	if p.Args[0] == "" {
		return nil, fieldErr(idx(sub(field, "args"), 0), "must not be empty")
	}
	cwd, err := absPath(sub(field, "cwd"), p.Cwd)
	if err != nil {
		return nil, err
	}
	env, err := convertEnv(sub(field, "env"), p.Env)
	if err != nil {
		return nil, err
	}
	out := &configs.Process{
		Args:            p.Args,
		Env:             env,
		Cwd:             cwd,
		UID:             p.User.UID,
		GID:             p.User.GID,
		AdditionalGids:  p.User.AdditionalGids,
		Terminal:        p.Terminal,
		NoNewPrivileges: p.NoNewPrivileges,
	}
	if p.User.Umask != nil {
		if *p.User.Umask > 0o777 {
			return nil, fieldErr(sub(field, "user.umask"), "%#o is not a umask (at most 0777)", *p.User.Umask)
		}
		u := *p.User.Umask
		out.Umask = &u
	}
	if len(p.User.AdditionalGids) > 65536 {
		return nil, fieldErr(sub(field, "user.additionalGids"), "%d groups, the kernel allows 65536", len(p.User.AdditionalGids))
	}
	// consoleSize is ignored without a terminal, as the spec requires.
	if p.Terminal && p.ConsoleSize != nil {
		if p.ConsoleSize.Height > 0xffff || p.ConsoleSize.Width > 0xffff {
			return nil, fieldErr(sub(field, "consoleSize"), "%dx%d does not fit a terminal (at most 65535)", p.ConsoleSize.Height, p.ConsoleSize.Width)
		}
		out.ConsoleHeight, out.ConsoleWidth = uint16(p.ConsoleSize.Height), uint16(p.ConsoleSize.Width)
	}
	if p.Capabilities != nil {
		if out.Capabilities, err = convertCaps(sub(field, "capabilities"), p.Capabilities); err != nil {
			return nil, err
		}
	}
	if out.Rlimits, err = convertRlimits(sub(field, "rlimits"), p.Rlimits); err != nil {
		return nil, err
	}
	if p.OOMScoreAdj != nil {
		if v := *p.OOMScoreAdj; v < -1000 || v > 1000 {
			return nil, fieldErr(sub(field, "oomScoreAdj"), "%d is out of range [-1000, 1000]", v)
		}
		v := *p.OOMScoreAdj
		out.OOMScoreAdj = &v
	}
	if p.ApparmorProfile != "" {
		if err := checkAppArmor(sub(field, "apparmorProfile"), p.ApparmorProfile); err != nil {
			return nil, err
		}
		out.ApparmorProfile = p.ApparmorProfile
	}
	if p.SelinuxLabel != "" {
		if err := checkSELinux(sub(field, "selinuxLabel"), p.SelinuxLabel); err != nil {
			return nil, err
		}
		out.SelinuxLabel = p.SelinuxLabel
	}
	if p.Scheduler != nil {
		if err := checkScheduler(sub(field, "scheduler"), p.Scheduler); err != nil {
			return nil, err
		}
		s := *p.Scheduler
		out.Scheduler = &s
	}
	if p.IOPriority != nil {
		if err := checkIOPriority(sub(field, "ioPriority"), p.IOPriority); err != nil {
			return nil, err
		}
		io := *p.IOPriority
		out.IOPriority = &io
	}
	if a := p.ExecCPUAffinity; a != nil {
		f := sub(field, "execCPUAffinity")
		if _, err := ParseCPUList(a.Initial); err != nil {
			return nil, wrapErr(f+".initial", err)
		}
		if _, err := ParseCPUList(a.Final); err != nil {
			return nil, wrapErr(f+".final", err)
		}
		if a.Initial != "" || a.Final != "" {
			aa := *a
			out.ExecCPUAffinity = &aa
		}
	}
	return out, nil
}

// CheckProcess checks what a process needs from its container: its user,
// group and additional groups must be mapped in the container's user
// namespace. field is as for ToProcess.
func CheckProcess(c *configs.Config, p *configs.Process, field string) error {
	if !c.HasNamespace(configs.NEWUSER) || len(c.UIDMappings) == 0 {
		return nil
	}
	if _, ok := hostID(c.UIDMappings, int64(p.UID)); !ok {
		return fieldErr(sub(field, "user.uid"), "%d is not mapped in the user namespace (linux.uidMappings)", p.UID)
	}
	if _, ok := hostID(c.GIDMappings, int64(p.GID)); !ok {
		return fieldErr(sub(field, "user.gid"), "%d is not mapped in the user namespace (linux.gidMappings)", p.GID)
	}
	for i, g := range p.AdditionalGids {
		if _, ok := hostID(c.GIDMappings, int64(g)); !ok {
			return fieldErr(idx(sub(field, "user.additionalGids"), i), "%d is not mapped in the user namespace (linux.gidMappings)", g)
		}
	}
	return nil
}

// convertEnv checks KEY=VALUE entries and removes duplicates the way
// runc's environment set-up does: a later entry replaces the value of an
// earlier one, which keeps its position.
func convertEnv(field string, env []string) ([]string, error) {
	if len(env) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(env))
	var pos map[string]int // only for large environments
	if len(env) > 32 {
		pos = make(map[string]int, len(env))
	}
	for i, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return nil, fieldErr(idx(field, i), "%q is not of the form KEY=VALUE", kv)
		case k == "":
			return nil, fieldErr(idx(field, i), "%q has an empty name", kv)
		}
		if err := noNUL(idx(field, i), kv); err != nil {
			return nil, err
		}
		j := -1
		if pos != nil {
			if v, dup := pos[k]; dup {
				j = v
			}
		} else {
			j = indexEnv(out, k)
		}
		if j >= 0 {
			out[j] = kv
			continue
		}
		if pos != nil {
			pos[k] = len(out)
		}
		out = append(out, kv)
	}
	return out, nil
}

func indexEnv(env []string, k string) int {
	for j, e := range env {
		if len(e) > len(k) && e[len(k)] == '=' && e[:len(k)] == k {
			return j
		}
	}
	return -1
}

// convertCaps turns the five capability lists into masks. Unknown names
// are errors. Capabilities the running kernel lacks are dropped with a
// warning, as runc does (the kernel would ignore them anyway). Ambient
// capabilities must also be permitted and inheritable to be raised: others
// are dropped with a warning (runc only warns when raising fails; its own
// default config has ambient capabilities without inheritable ones).
func convertCaps(field string, in *specs.LinuxCapabilities) (*configs.Capabilities, error) {
	var c configs.Capabilities
	sets := [...]struct {
		name string
		list []string
		dst  *uint64
	}{
		{"bounding", in.Bounding, &c.Bounding},
		{"effective", in.Effective, &c.Effective},
		{"inheritable", in.Inheritable, &c.Inheritable},
		{"permitted", in.Permitted, &c.Permitted},
		{"ambient", in.Ambient, &c.Ambient},
	}
	avail := capabilities.Mask(capabilities.Last())
	for _, s := range sets {
		m, err := capabilities.Parse(s.list)
		if err != nil {
			return nil, wrapErr(sub(field, s.name), err)
		}
		if drop := m &^ avail; drop != 0 {
			logrus.Warnf("%s: ignoring capabilities unknown to the kernel: %s", sub(field, s.name), strings.Join(capabilities.Names(drop), ", "))
			m &= avail
		}
		*s.dst = m
	}
	if extra := c.Effective &^ c.Permitted; extra != 0 {
		return nil, fieldErr(sub(field, "effective"), "%s not in the permitted set", strings.Join(capabilities.Names(extra), ", "))
	}
	if drop := c.Ambient &^ (c.Permitted & c.Inheritable); drop != 0 {
		logrus.Warnf("%s: ignoring ambient capabilities that are not both permitted and inheritable: %s",
			sub(field, "ambient"), strings.Join(capabilities.Names(drop), ", "))
		c.Ambient &^= drop
	}
	return &c, nil
}
