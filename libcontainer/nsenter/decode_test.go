package nsenter

import (
	"strings"
	"testing"

	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// Tests of the C decoder (plan_decode, through validatePlan): no root needed.

// everyOp has one op of each code with the args documented in ops.go.
func everyOp() *initplan.Plan {
	S, I, L := initplan.S, initplan.I, initplan.L
	p := initplan.New()
	p.Add(initplan.OpSetns, I(0x40000000), S("/proc/1/ns/net"))
	p.Add(initplan.OpUnshare, I(0x20000))
	p.Add(initplan.OpUsernsSync)
	p.Add(initplan.OpTimeOffsets, S("monotonic 1 0\n"))
	p.Add(initplan.OpFork)
	p.Add(initplan.OpSetsid)
	p.Add(initplan.OpDumpable, I(0))
	p.Add(initplan.OpHostname, S("h"))
	p.Add(initplan.OpDomainname, S(""))
	p.Add(initplan.OpPrepareRoot, S("/rootfs"), I(0))
	p.Add(initplan.OpMount, S("proc"), S("/proc"), S("proc"), I(0), S(""), I(0),
		initplan.U64s([]uint64{1 << 18}), I(0), I(0), I(-1), I(0))
	p.Add(initplan.OpMknod, S("/dev/null"), I(0o20666), I(0x103), I(0), I(0))
	p.Add(initplan.OpBindDev, S("/dev/null"), S("/dev/null"))
	p.Add(initplan.OpSymlink, S("pts/ptmx"), S("/dev/ptmx"))
	p.Add(initplan.OpSyncHooks)
	p.Add(initplan.OpHook, S("createContainer"), I(0), S("/bin/true"), L([]string{"true"}), L(nil), I(0))
	p.Add(initplan.OpPivotRoot)
	p.Add(initplan.OpChrootMove)
	p.Add(initplan.OpRootHostNs, S("/rootfs"))
	p.Add(initplan.OpChroot, S(""))
	p.Add(initplan.OpCgroupSync)
	p.Add(initplan.OpMask, S("/proc/kcore"))
	p.Add(initplan.OpReadonly, S("/proc/sys"))
	p.Add(initplan.OpSysctl, S("net.ipv4.ip_forward"), S("1"))
	p.Add(initplan.OpRemount, S("/"), I(1))
	p.Add(initplan.OpMkdir, S("/work"), I(0o755))
	p.Add(initplan.OpConsole, I(24), I(80), I(0), I(0), I(1))
	p.Add(initplan.OpProcWrite, S("/proc/self/oom_score_adj"), S("0"))
	p.Add(initplan.OpChdirRoot)
	p.Add(initplan.OpRlimit, I(7), I(1024), I(-1))
	p.Add(initplan.OpPersonality, I(8))
	p.Add(initplan.OpScheduler, I(0), I(0), I(0), I(0), I(0), I(0), I(0))
	p.Add(initplan.OpIOPrio, I(2), I(4))
	p.Add(initplan.OpAffinity, initplan.B([]byte{1}))
	p.Add(initplan.OpMemPolicy, I(3), initplan.U64s([]uint64{1}))
	p.Add(initplan.OpCgroupJoin, I(3), S("/sys/fs/cgroup/pids/x/tasks"))
	p.Add(initplan.OpUmask, I(0o22))
	p.Add(initplan.OpNoNewPrivs)
	p.Add(initplan.OpCapBounding, I(-1))
	p.Add(initplan.OpUser, I(0), I(0), initplan.U32s([]uint32{1, 2}), I(1))
	p.Add(initplan.OpCaps, I(1), I(1), I(0), I(0))
	p.Add(initplan.OpSeccomp, initplan.B(make([]byte, 8)), I(0), I(0))
	p.Add(initplan.OpChdir, S("/"))
	p.Add(initplan.OpLookup, S("sh"), S("/bin"))
	p.Add(initplan.OpCloseFds, I(3))
	p.Add(initplan.OpReady)
	p.Add(initplan.OpWaitStart, I(3))
	p.Add(initplan.OpLabel, S("exec"), S("x"))
	p.Add(initplan.OpKeyring, S("_ses.x"))
	p.Add(initplan.OpOOMScoreAdj, I(-500))
	p.Add(initplan.OpDupStdio, I(3))
	p.Add(initplan.OpExec, L([]string{"sh"}), L([]string{"A=1", "B=2"}))
	return p
}

// TestDecodeAcceptsEveryOp: the C decoder accepts every op as ops.go
// documents it (the planner's contract with the init), and covers every
// code but the reserved one.
func TestDecodeAcceptsEveryOp(t *testing.T) {
	p := everyOp()
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := validatePlan(b); err != nil {
		t.Fatal(err)
	}
	for code := range initplan.OpNames {
		if code != initplan.OpNetnsFd && !p.Has(code) {
			t.Errorf("op %s not covered", initplan.OpNames[code])
		}
	}
}

// TestDecodeRejects: each malformation gets its own error.
func TestDecodeRejects(t *testing.T) {
	S, I := initplan.S, initplan.I
	plan := func(code uint32, args ...initplan.Arg) []byte {
		p := initplan.New()
		p.Add(code, args...)
		b, _ := p.Bytes()
		return b
	}
	good := plan(initplan.OpHostname, S("x"))
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"empty":          {nil, "short header (0 bytes)"},
		"short header":   {good[:12], "short header (12 bytes)"},
		"length":         {good[:len(good)-4], "length 36, have 32 bytes"},
		"trailing":       {append(append([]byte{}, good...), 0, 0, 0, 0), "length 36, have 40 bytes"},
		"unknown op":     {plan(99), "op 0: unknown code 99"},
		"gap op":         {plan(10), "op 0: unknown code 10"},
		"reserved":       {plan(initplan.OpNetnsFd, I(3)), "op 0 (netns-fd): not implemented"},
		"arg count":      {plan(initplan.OpHostname), "op 0 (hostname): 0 args, want 1"},
		"int for string": {plan(initplan.OpHostname, I(1)), "op 0 (hostname) arg 0: kind 1, want bytes"},
		"string for int": {plan(initplan.OpUmask, S("1")), "op 0 (umask) arg 0: kind 2, want int"},
		"no NUL":         {plan(initplan.OpHostname, initplan.B([]byte("abc"))), "string not NUL-terminated"},
		"NUL inside":     {plan(initplan.OpHostname, initplan.B([]byte("a\x00b\x00"))), "string with a NUL inside"},
		"empty argv":     {plan(initplan.OpExec, initplan.L(nil), initplan.L(nil)), "op 0 (exec) arg 0: empty list"},
		"list no NUL":    {plan(initplan.OpExec, initplan.B([]byte("sh")), initplan.L(nil)), "list not NUL-terminated"},
		"u64 list":       {plan(initplan.OpMount, S(""), S("/"), S(""), I(0), S(""), I(0), initplan.B(make([]byte, 7)), I(0), I(0), I(-1), I(0)), "not a list of u64"},
		"u32 list":       {plan(initplan.OpUser, I(0), I(0), initplan.B(make([]byte, 5)), I(0)), "not a list of u32"},
		"bpf":            {plan(initplan.OpSeccomp, initplan.B(make([]byte, 12)), I(0), I(0)), "not a BPF program"},
		"too many args": {func() []byte {
			b := plan(initplan.OpSetsid)
			b[20] = 17
			return b
		}(), "op 0: 17 args"},
		"bad kind": {func() []byte {
			b := plan(initplan.OpUmask, I(1))
			b[24] = 7
			return b
		}(), "op 0 (umask) arg 0: kind 7, want int"},
		"int size": {func() []byte {
			b := plan(initplan.OpUmask, I(1))
			b[28] = 4
			return b
		}(), "op 0 arg 0: int of 4 bytes"},
		"past the end": {func() []byte {
			b := plan(initplan.OpHostname, S("abc"))
			b[28] = 200
			return b
		}(), "op 0 arg 0: length 200 past the end"},
		"op count": {func() []byte {
			b := append([]byte{}, good...)
			b[12] = 2
			return b
		}(), "op 1 truncated"},
	} {
		err := validatePlan(c.b)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "malformed init plan: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, want %q", name, err, c.want)
		}
	}
}

// FuzzPlanDecode: the C decoder never crashes, and never accepts what the
// Go decoder (the same wire format, without per-op signatures) refuses.
func FuzzPlanDecode(f *testing.F) {
	b, _ := everyOp().Bytes()
	f.Add(b)
	p := initplan.New()
	p.Add(initplan.OpExec, initplan.L([]string{"/bin/sh", "-c", "true"}), initplan.L(nil))
	b, _ = p.Bytes()
	f.Add(b)
	f.Add([]byte("HUSK\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"))
	for _, b := range plannedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cerr := validatePlan(data)
		_, gerr := initplan.Decode(data)
		if cerr == nil && gerr != nil {
			t.Fatalf("C decoder accepted a plan Go refuses (%v)", gerr)
		}
		if cerr != nil && !strings.HasPrefix(cerr.Error(), "malformed init plan: ") {
			t.Fatalf("error %q", cerr)
		}
	})
}
