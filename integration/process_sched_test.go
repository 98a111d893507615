package integration

import (
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// process.scheduler: the policy and nice value the payload runs with
// (/proc/self/stat fields 19 (nice) and 41 (policy)).
func TestProcessScheduler(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 7}
	}, sh(`awk '{print "nice=" $19; print "policy=" $41}' /proc/self/stat`))
	if !strings.Contains(out, "nice=7") || !strings.Contains(out, "policy=3") {
		t.Errorf("scheduler SCHED_BATCH nice 7: %q, want nice=7 policy=3 (SCHED_BATCH)", out)
	}
}

// process.ioPriority, read back with ioprio_get(IOPRIO_WHO_PROCESS, 0).
func TestProcessIOPriority(t *testing.T) {
	e := newEnv(t)
	out := e.output(probe(t, "252:1:0"), func(s *specs.Spec) {
		s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
	})
	want := fmt.Sprintf("252 ok %d", 2<<13|6) // IOPRIO_PRIO_VALUE(BE, 6)
	if !strings.Contains(out, want) {
		t.Errorf("ioPriority BE/6: %q, want %q", out, want)
	}
}

// process.execCPUAffinity: the payload runs on the final CPUs; exec too.
func TestProcessExecCPUAffinity(t *testing.T) {
	e := newEnv(t)
	aff := func(s *specs.Spec) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "1"} }
	out := e.output(aff, sh(`grep Cpus_allowed_list /proc/self/status`))
	if !strings.Contains(out, "Cpus_allowed_list:\t1\n") {
		t.Errorf("execCPUAffinity final 1: %q", out)
	}
	b := e.bundle(args("sleep", "30"))
	id, _ := e.startDetached(b)
	defer e.destroy(id)
	proc := `{"args":["grep","Cpus_allowed_list","/proc/self/status"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0},"execCPUAffinity":{"final":"0"}}`
	pf := e.tempFile("process.json")
	pf.WriteString(proc)
	pf.Close()
	r := e.mustHusk("exec", "-p", pf.Name(), id)
	if !strings.Contains(r.Stdout, "Cpus_allowed_list:\t0\n") {
		t.Errorf("exec -p with execCPUAffinity final 0: %q", r.Stdout)
	}
	e.mustFail([]string{"execCPUAffinity"}, "run", "--bundle", e.bundle(func(s *specs.Spec) {
		s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "1-x"}
	}).Dir, e.id())
}

// linux.personality LINUX32: uname reports a 32-bit machine.
func TestPersonality(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	}, args("uname", "-m"))
	if strings.TrimSpace(out) != "i686" {
		t.Errorf("personality LINUX32: uname -m %q, want i686", out)
	}
}

// linux.memoryPolicy: the payload's task policy, as /proc/self/numa_maps
// shows it for mappings without their own (this machine has NUMA node 0);
// exec'd processes get it too. Bad policies are named before anything is
// made; one the kernel refuses (a node that does not exist) fails in the
// init with the field in the error.
func TestMemoryPolicy(t *testing.T) {
	e := newEnv(t)
	policy := func(mp specs.LinuxMemoryPolicy) func(*specs.Spec) {
		return func(s *specs.Spec) { s.Linux.MemoryPolicy = &mp }
	}
	firstPolicy := sh(`awk '{print $2; exit}' /proc/self/numa_maps`)
	for _, c := range []struct {
		mp   specs.LinuxMemoryPolicy
		want string
	}{
		{specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0"}, "interleave:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, "bind=static:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred, Nodes: "0"}, "prefer:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, "local"},
	} {
		if out := strings.TrimSpace(e.output(policy(c.mp), firstPolicy)); out != c.want {
			t.Errorf("memoryPolicy %+v: numa_maps policy %q, want %q", c.mp, out, c.want)
		}
	}
	if out := strings.TrimSpace(e.output(firstPolicy)); out != "default" {
		t.Errorf("no memoryPolicy: numa_maps policy %q, want default", out)
	}

	b := e.bundle(policy(specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0"}), args("sleep", "30"))
	id, _ := e.startDetached(b)
	defer e.destroy(id)
	r := e.mustHusk("exec", id, "awk", "{print $2; exit}", "/proc/self/numa_maps")
	if strings.TrimSpace(r.Stdout) != "interleave:0" {
		t.Errorf("exec: numa_maps policy %q, want the container's interleave:0", r.Stdout)
	}

	for _, c := range []struct {
		mp   specs.LinuxMemoryPolicy
		want []string
	}{
		{specs.LinuxMemoryPolicy{Mode: "MPOL_NEAR"}, []string{"linux.memoryPolicy.mode", "unknown mode", "MPOL_NEAR"}},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"}, []string{"linux.memoryPolicy.nodes", "must be empty"}},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind}, []string{"linux.memoryPolicy.nodes", "required for MPOL_BIND"}},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0-x"}, []string{"linux.memoryPolicy.nodes", "invalid node list"}},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_FAST"}},
			[]string{"linux.memoryPolicy.flags[0]", "MPOL_F_FAST"}},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "63"}, []string{"set_mempolicy (linux.memoryPolicy)", "invalid argument"}},
	} {
		e.mustFail(c.want, "run", "--bundle", e.bundle(policy(c.mp), args("true")).Dir, e.id())
	}
}
