package specconv

// The process part of fastSpec (see fastjson.go).

import specs "github.com/opencontainers/runtime-spec/specs-go"

func fastProcess(d *fastDec, v any, p *specs.Process) {
	o := d.open(v)
	defer o.close()
	get(o, "terminal", &p.Terminal, toBool)
	getPtr(o, "consoleSize", &p.ConsoleSize, fastBox)
	get(o, "user", &p.User, fastUser)
	getSlice(o, "args", &p.Args, toStr)
	get(o, "commandLine", &p.CommandLine, toStr)
	getSlice(o, "env", &p.Env, toStr)
	get(o, "cwd", &p.Cwd, toStr)
	getPtr(o, "capabilities", &p.Capabilities, fastCapabilities)
	getSlice(o, "rlimits", &p.Rlimits, fastRlimit)
	get(o, "noNewPrivileges", &p.NoNewPrivileges, toBool)
	get(o, "apparmorProfile", &p.ApparmorProfile, toStr)
	getPtr(o, "oomScoreAdj", &p.OOMScoreAdj, toNum)
	getPtr(o, "scheduler", &p.Scheduler, fastScheduler)
	get(o, "selinuxLabel", &p.SelinuxLabel, toStr)
	getPtr(o, "ioPriority", &p.IOPriority, fastIOPriority)
	getPtr(o, "execCPUAffinity", &p.ExecCPUAffinity, fastCPUAffinity)
}

func fastScheduler(d *fastDec, v any, s *specs.Scheduler) {
	o := d.open(v)
	defer o.close()
	get(o, "policy", &s.Policy, toStr)
	get(o, "nice", &s.Nice, toNum)
	get(o, "priority", &s.Priority, toNum)
	getSlice(o, "flags", &s.Flags, toStr)
	get(o, "runtime", &s.Runtime, toNum)
	get(o, "deadline", &s.Deadline, toNum)
	get(o, "period", &s.Period, toNum)
}

func fastCapabilities(d *fastDec, v any, c *specs.LinuxCapabilities) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "bounding", &c.Bounding, toStr)
	getSlice(o, "effective", &c.Effective, toStr)
	getSlice(o, "inheritable", &c.Inheritable, toStr)
	getSlice(o, "permitted", &c.Permitted, toStr)
	getSlice(o, "ambient", &c.Ambient, toStr)
}

func fastIOPriority(d *fastDec, v any, p *specs.LinuxIOPriority) {
	o := d.open(v)
	defer o.close()
	get(o, "class", &p.Class, toStr)
	get(o, "priority", &p.Priority, toNum)
}

func fastCPUAffinity(d *fastDec, v any, a *specs.CPUAffinity) {
	o := d.open(v)
	defer o.close()
	get(o, "initial", &a.Initial, toStr)
	get(o, "final", &a.Final, toStr)
}

func fastBox(d *fastDec, v any, b *specs.Box) {
	o := d.open(v)
	defer o.close()
	get(o, "height", &b.Height, toNum)
	get(o, "width", &b.Width, toNum)
}

func fastUser(d *fastDec, v any, u *specs.User) {
	o := d.open(v)
	defer o.close()
	get(o, "uid", &u.UID, toNum)
	get(o, "gid", &u.GID, toNum)
	getPtr(o, "umask", &u.Umask, toNum)
	getSlice(o, "additionalGids", &u.AdditionalGids, toNum)
	get(o, "username", &u.Username, toStr)
}

func fastRlimit(d *fastDec, v any, r *specs.POSIXRlimit) {
	o := d.open(v)
	defer o.close()
	get(o, "type", &r.Type, toStr)
	get(o, "hard", &r.Hard, toNum)
	get(o, "soft", &r.Soft, toNum)
}
