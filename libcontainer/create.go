package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups"
	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/hooks"
	"github.com/husk-runtime/husk/libcontainer/idmap"
	"github.com/husk-runtime/husk/libcontainer/initproc"
	"github.com/husk-runtime/husk/libcontainer/planner"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// CreateOpts are the options of create and run.
type CreateOpts struct {
	ID     string
	Bundle string
	Config *configs.Config
	// Run makes the init exec right away (husk run) instead of waiting for start.
	Run bool
	// Stdio is the caller's (nil: inherit husk's).
	Stdin, Stdout, Stderr *os.File
	ConsoleSocket         string
	PidfdSocket           string
	PidFile               string
	// PreserveFds are passed to the payload as fds 3...
	PreserveFds []*os.File
	// Foreground: husk stays and proxies the tty (run without -d).
	Foreground bool
}

// Created is a container whose init is set up.
type Created struct {
	*Container
	init *initproc.Init
	tty  *ttyProxy
	// sealed: the sealed binary of a run, kept until its payload is
	// waited for (see holdSealed).
	sealed *os.File
}

// Create sets up a container: state directory, cgroups, the init child with
// its namespaces, mounts and process; on any failure nothing is left.
func (rt *Runtime) Create(o *CreateOpts) (_ *Created, retErr error) {
	cfg := o.Config
	h, err := rt.store().Create(o.ID)
	if err != nil {
		return nil, err
	}
	st := &state.State{
		ID: o.ID, Created: time.Now().UTC(), Bundle: o.Bundle, Rootfs: cfg.Rootfs,
		Owner: owner(), Config: cfg, Hooks: cfg.Hooks, Annotations: cfg.Annotations, OCIVersion: cfg.OCIVersion,
	}
	c := &Created{Container: &Container{rt: rt, h: h, st: st}}
	var cg cgroupManager
	cgApplied := false
	var in *initproc.Init
	var hostMounts hostMountSnapshot
	hd := &createHandler{c: c, cfg: cfg}
	var saved chan error // the state written beside the init (early), or nil
	var early state.State
	defer func() {
		if retErr == nil {
			return
		}
		if in != nil {
			killWait(in)
		}
		_ = hd.waitJoin() // before the cgroups go
		if saved != nil {
			<-saved // before the state directory goes
		}
		if hostMounts != nil {
			if added, err := hostMounts.added(cfg.Rootfs); err != nil {
				logrus.Warnf("cleanup: %v", err)
			} else if err := unmountHost(added); err != nil {
				logrus.Warnf("cleanup: %v", err)
			}
		}
		if cgApplied { // never one that Apply refused: it may be another's
			if err := destroyCgroups(cg); err != nil {
				logrus.Warnf("cleanup: %v", err)
			}
		}
		if c.tty != nil {
			c.tty.close()
		}
		if c.sealed != nil {
			c.sealed.Close()
		}
		h.Remove()
	}()

	// The process as the init runs it: HOME and the capabilities are
	// settled here, the stored config keeps what config.json said (exec
	// starts from it, as runc does).
	proc := *cfg.Process
	proc.Env = append([]string(nil), cfg.Process.Env...)
	SetHome(&proc, cfg.Rootfs)
	clampCaps(&proc)
	// Idmapped mounts are made here, with the host's privileges, and
	// attached by the init (see package idmap); nothing is done without.
	var idmapped map[int]*os.File
	if idmap.Wanted(cfg) {
		if idmapped, err = idmap.Mounts(cfg); err != nil {
			return nil, err
		}
		defer func() {
			for _, f := range idmapped {
				f.Close()
			}
		}()
	}
	cg, err = newCgroupManager(cfg.Cgroups)
	if err != nil {
		return nil, err
	}
	// Create and configure the cgroups before the init exists: it is
	// born into them (see cgroupJoin).
	if err := cg.Apply(-1); err != nil {
		if !rootlessWithoutCgroup(rt, cfg, err) {
			return nil, err // Apply removed what it created
		}
		cg = cgroups.None{}
	}
	cgApplied = true
	st.CgroupPaths = cg.Paths()
	st.Rootless = rt.Rootless
	// A first record (no init yet, no configuration): if husk is killed
	// from here on, `delete --force` finds the cgroups it made.
	if err := h.SaveStub(st); err != nil {
		return nil, err
	}
	if err := cg.Set(resourcesOf(cfg)); err != nil {
		return nil, err
	}
	join, err := prepareJoin(cg)
	if err != nil {
		return nil, err
	}
	defer join.close()
	tty, err := newTTY(cfg.Process.Terminal, o.ConsoleSocket, o.Foreground)
	if err != nil {
		return nil, err
	}
	c.tty = tty

	extra := append([]*os.File(nil), o.PreserveFds...)
	popts := &planner.Options{
		Mode: planner.ModeRun, ID: o.ID, Process: &proc, PreserveFds: len(o.PreserveFds), Hooks: cfg.Hooks,
		CgroupMounts: cgroupMounts(cg), HostDevices: cfg.HasNamespace(configs.NEWUSER), LateCgroupJoin: !join.pending,
	}
	if !o.Run {
		fifo, err := makeFifo(h.FifoPath(), rootID(cfg.UIDMappings), rootID(cfg.GIDMappings))
		if err != nil {
			return nil, err
		}
		defer fifo.Close()
		popts.Mode = planner.ModeCreate
		popts.FifoFd = 3 + len(extra)
		extra = append(extra, fifo)
	}
	if popts.CgroupTasks, err = join.openTasks(&extra); err != nil {
		return nil, err
	}
	if idmapped != nil {
		popts.IDMapFds = make(map[int]int, len(idmapped))
		for i := range cfg.Mounts {
			if f, ok := idmapped[i]; ok {
				popts.IDMapFds[i] = 3 + len(extra)
				extra = append(extra, f)
			}
		}
	}
	if popts.Seccomp, err = compileSeccomp(cfg); err != nil {
		return nil, err
	}
	res, err := planner.Build(cfg, popts)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		// An unprivileged writer of gid_map must deny setgroups first.
		res.Setgroups = false
	}
	plan, err := res.Plan.Bytes()
	if err != nil {
		return nil, err
	}
	if !cfg.HasNamespace(configs.NEWNS) {
		if hostMounts, err = snapshotHostMounts(cfg.Rootfs); err != nil {
			return nil, err
		}
	}
	exe, err := rt.sealedExe()
	if err != nil {
		return nil, err
	}
	in, err = initproc.Start(&initproc.Spawn{
		Exe: exe, Cloneflags: res.Cloneflags, UidMappings: res.UidMappings,
		GidMappings: res.GidMappings, GidMappingsEnableSetgroups: res.Setgroups,
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, ExtraFiles: extra, CgroupFD: join.fd(),
	})
	if o.Run && err == nil {
		c.sealed = exe
	} else {
		exe.Close()
	}
	if err != nil {
		return nil, err
	}
	c.init = in
	logrus.Debugf("init started: pid %d, clone flags %#x, plan of %d bytes", in.Pid, res.Cloneflags, len(plan))
	if res.CgroupSync {
		// The init sets up the rootfs while husk moves it to its v1
		// cgroups (an attach may wait for an RCU grace period); it waits
		// for that (OpCgroupSync) before the process set-up and the
		// create-phase hooks wait for it too.
		if err := in.SendPlan(plan); err != nil {
			return nil, err
		}
		hd.joined = make(chan error, 1)
		go func(pid int) { hd.joined <- join.join(pid) }(in.Pid)
	} else {
		// The init blocks reading its plan: it joins its cgroups first,
		// so that everything it does (and forks) is accounted there.
		if err := join.join(in.Pid); err != nil {
			return nil, err
		}
		if err := in.SendPlan(plan); err != nil {
			return nil, err
		}
	}
	if !res.Forks && hostMounts == nil {
		// Everything the state records is known now: write it while the
		// init works (the encoding is most of a millisecond).
		early = *st
		saved = make(chan error, 1)
		go func(pid int) { saved <- saveInitState(h, &early, cfg, pid) }(in.Pid)
	}
	if err := in.Sync(hd); err != nil {
		return nil, wrapInitErr(err)
	}
	if err := hd.waitJoin(); err != nil {
		return nil, err
	}
	if o.Run {
		// The payload is being exec'd: EOF on the pipe says it was.
		if err := in.WaitExec(hd); err != nil {
			return nil, wrapInitErr(err)
		}
	}
	in.Close()
	if saved != nil {
		err := <-saved
		saved = nil
		if err != nil {
			return nil, err
		}
		*st = early
	} else {
		if hostMounts != nil {
			if st.HostMounts, err = hostMounts.added(cfg.Rootfs); err != nil {
				return nil, err
			}
		}
		if err := saveInitState(h, st, cfg, in.Pid); err != nil {
			return nil, err
		}
	}
	logrus.Debugf("container %s: init pid %d, status %s", o.ID, in.Pid, map[bool]string{true: "running", false: "created"}[o.Run])
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, in.Pid); err != nil {
			return nil, err
		}
	}
	if o.PidfdSocket != "" {
		if err := sendPidfd(o.PidfdSocket, in.Pid); err != nil {
			return nil, err
		}
	}
	if o.Run {
		if err := c.postStart(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Process returns the payload for a foreground wait (run without -d).
func (c *Created) Process() *Process {
	return &Process{Pid: c.st.InitPid, tty: c.tty, sealed: c.sealed}
}

// wrapInitErr words an error of the init child as runc does.
func wrapInitErr(err error) error {
	var ce *initproc.ChildError
	if errors.As(err, &ce) {
		return fmt.Errorf("unable to start container process: %w", err)
	}
	return err
}

// createHandler answers the init's requests during create.
type createHandler struct {
	c       *Created
	cfg     *configs.Config
	joined  chan error // the cgroup join running beside the init, or nil
	joinErr error
}

// waitJoin waits for the cgroup join started beside the init, if any.
func (hd *createHandler) waitJoin() error {
	if hd.joined != nil {
		hd.joinErr = <-hd.joined
		hd.joined = nil
	}
	return hd.joinErr
}

func (hd *createHandler) Cgroup() error { return hd.waitJoin() }

func (hd *createHandler) Pid(pid int) error { return nil }

func (hd *createHandler) Usermap(pid int) error {
	if pid == 0 {
		pid = hd.c.init.Pid
	}
	return writeIDMaps(pid, hd.cfg)
}

func (hd *createHandler) Hooks(pid int) ([]byte, error) {
	// Hooks see the container's process in its cgroups, and the network
	// devices in its namespace.
	if err := hd.waitJoin(); err != nil {
		return nil, err
	}
	if err := moveNetDevices(pid, hd.cfg.NetDevices); err != nil {
		return nil, err
	}
	st := hd.c.st
	s := hookState(st, "creating", pid)
	if err := hooks.Run(configs.Prestart, hd.cfg.Hooks[configs.Prestart], s); err != nil {
		return nil, err
	}
	if err := hooks.Run(configs.CreateRuntime, hd.cfg.Hooks[configs.CreateRuntime], s); err != nil {
		return nil, err
	}
	if len(hd.cfg.Hooks[configs.StartContainer]) == 0 {
		return s, nil
	}
	// startContainer hooks run after `start`: the container is created.
	out := append(s, 0)
	return append(out, hookState(st, "created", pid)...), nil
}

func (hd *createHandler) Console(master *os.File) error { return hd.c.tty.setMaster(master) }

func (hd *createHandler) Seccomp(fd *os.File) error {
	defer fd.Close()
	return sendSeccompListener(hd.cfg, hd.c.st, specs.StateCreating, hd.c.init.Pid, hd.c.init.Pid, fd)
}

func (hd *createHandler) Log(level, msg string) { logChild(level, msg) }

func logChild(level, msg string) {
	switch level {
	case "debug":
		logrus.Debug(msg)
	case "warning", "warn":
		logrus.Warn(msg)
	case "error":
		logrus.Error(msg)
	default:
		logrus.Info(msg)
	}
}

// makeFifo creates the exec fifo, owned by the container's root, and
// opens it O_PATH for the init.
func makeFifo(path string, uid, gid int) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o622); err != nil {
		return nil, fmt.Errorf("create exec fifo %s: %w", path, err)
	}
	if err := unix.Chmod(path, 0o622); err != nil {
		return nil, fmt.Errorf("chmod exec fifo: %w", err)
	}
	if err := unix.Chown(path, uid, gid); err != nil {
		return nil, fmt.Errorf("chown exec fifo: %w", err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open exec fifo %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

func namespacePaths(cfg *configs.Config, pid int) []state.NsPath {
	names := map[configs.NamespaceType]string{
		configs.NEWUSER: "user", configs.NEWIPC: "ipc", configs.NEWUTS: "uts", configs.NEWNET: "net",
		configs.NEWPID: "pid", configs.NEWNS: "mnt", configs.NEWCGROUP: "cgroup", configs.NEWTIME: "time",
	}
	var out []state.NsPath
	for _, ns := range cfg.Namespaces {
		out = append(out, state.NsPath{Type: ns.Type, Path: "/proc/" + strconv.Itoa(pid) + "/ns/" + names[ns.Type]})
	}
	return out
}

// saveInitState records the init in the state and writes it.
func saveInitState(h *state.Handle, st *state.State, cfg *configs.Config, pid int) error {
	ps, err := state.ReadProcStat(pid)
	if err != nil {
		return fmt.Errorf("read init process stat: %w", err)
	}
	st.InitPid, st.InitStartTime = pid, ps.StartTime
	st.NamespacePaths = namespacePaths(cfg, pid)
	return h.Save(st)
}

// writePidFile writes the pid atomically, relative to the caller's cwd.
func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

// killWait kills a half-created init and reaps it.
func killWait(in *initproc.Init) { in.Kill() }

// rootID is the host id of the container's root (0 without a mapping).
func rootID(m []configs.IDMap) int {
	for _, x := range m {
		if x.ContainerID == 0 {
			return int(x.HostID)
		}
	}
	return 0
}
