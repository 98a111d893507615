package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initproc"
	"github.com/husk-runtime/husk/libcontainer/planner"
	"github.com/husk-runtime/husk/libcontainer/state"
)

// ExecOpts are the options of exec.
type ExecOpts struct {
	Process       *configs.Process
	Detach        bool
	ConsoleSocket string
	PidfdSocket   string
	PidFile       string
	PreserveFds   []*os.File
	// Cgroup is --cgroup: a sub-cgroup to join ("path" or "ctrl[,ctrl]:path").
	Cgroup       string
	IgnorePaused bool
}

// Config is the container's resolved configuration.
func (c *Container) Config() (*configs.Config, error) { return c.st.LoadConfig() }

// InitPid is the host pid of the container's init.
func (c *Container) InitPid() int { return c.st.InitPid }

// Exec starts a process in the container's namespaces and cgroups. The
// returned process is husk's child; the caller waits for it unless detached.
func (c *Container) Exec(o *ExecOpts) (_ *Process, retErr error) {
	switch s := c.Status(); s {
	case state.Stopped:
		return nil, fmt.Errorf("cannot exec in a stopped container")
	case state.Paused:
		if !o.IgnorePaused {
			return nil, fmt.Errorf("cannot exec in a paused container (use --ignore-paused to override)")
		}
	}
	// Into a paused container the process joins the frozen cgroup last,
	// after its set-up, and husk returns then: it runs once resumed.
	frozen := c.Status() == state.Paused
	cfg, err := c.st.LoadConfig()
	if err != nil {
		return nil, err
	}
	SetHome(o.Process, "/proc/"+strconv.Itoa(c.st.InitPid)+"/root")
	clampCaps(o.Process)
	tty, err := newTTY(o.Process.Terminal, o.ConsoleSocket, !o.Detach)
	if err != nil {
		return nil, err
	}
	cg, err := loadCgroupManager(c.st.CgroupPaths)
	if err != nil {
		return nil, err
	}
	ns := make([]planner.NsPath, 0, len(c.st.NamespacePaths))
	for _, n := range c.st.NamespacePaths {
		ns = append(ns, planner.NsPath{Type: n.Type, Path: n.Path})
	}
	popts := &planner.Options{
		Mode: planner.ModeExec, ID: c.st.ID, Process: o.Process, PreserveFds: len(o.PreserveFds), NsPaths: ns,
		LateCgroupJoin: frozen,
	}
	if !cfg.HasNamespace(configs.NEWNS) {
		popts.ExecRoot = "/proc/" + strconv.Itoa(c.st.InitPid) + "/root"
	}
	if popts.Seccomp, err = compileSeccomp(cfg); err != nil {
		return nil, err
	}
	join, err := prepareJoin(cg)
	if err != nil {
		return nil, err
	}
	defer join.close()
	extra := o.PreserveFds
	if o.Cgroup == "" && !frozen {
		// The process joins the v1 hierarchies itself, first thing.
		extra = append([]*os.File(nil), o.PreserveFds...)
		if popts.CgroupTasks, err = join.openTasks(&extra); err != nil {
			return nil, err
		}
	}
	res, err := planner.Build(cfg, popts)
	if err != nil {
		return nil, err
	}
	plan, err := res.Plan.Bytes()
	if err != nil {
		return nil, err
	}
	cgroupFD := join.fd()
	if o.Cgroup != "" || frozen {
		cgroupFD = -1
	}
	exe, err := c.rt.sealedExe()
	if err != nil {
		return nil, err
	}
	in, err := initproc.Start(&initproc.Spawn{Exe: exe, ExtraFiles: extra, CgroupFD: cgroupFD})
	if err != nil || o.Detach {
		exe.Close()
		exe = nil
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			killWait(in)
			tty.close()
			if exe != nil {
				exe.Close()
			}
		}
	}()
	joinTo := func(pid int) error {
		if o.Cgroup != "" || frozen {
			// Not born in it (CLONE_INTO_CGROUP): joined by pid.
			return cg.Join(pid, o.Cgroup)
		}
		return join.join(pid)
	}
	hd := &execHandler{tty: tty, cfg: cfg, st: c.st, pid: in.Child}
	if frozen {
		hd.join = joinTo
	} else if err := joinTo(in.Child); err != nil { // a forked payload inherits
		return nil, err
	}
	if err := in.SendPlan(plan); err != nil {
		return nil, err
	}
	err = in.Sync(hd)
	switch {
	case errors.Is(err, initproc.ErrDetach):
		// Frozen until the container is resumed: nothing more to wait for.
	case err != nil:
		return nil, wrapInitErr(err)
	default:
		if err := in.WaitExec(hd); err != nil {
			return nil, wrapInitErr(err)
		}
	}
	in.Close()
	logrus.Debugf("exec in container %s: pid %d", c.st.ID, in.Pid)
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
	return &Process{Pid: in.Pid, tty: tty, sealed: exe}, nil
}

type execHandler struct {
	tty  *ttyProxy
	cfg  *configs.Config
	st   *state.State
	pid  int             // the payload (the forked child once it forked)
	join func(int) error // the late join into a frozen cgroup, or nil
}

func (h *execHandler) Pid(pid int) error { h.pid = pid; return nil }

// Cgroup joins the payload to the paused container's frozen cgroups: it
// freezes there, so the sync ends (initproc.ErrDetach).
func (h *execHandler) Cgroup() error {
	if h.join == nil {
		return nil
	}
	if err := h.join(h.pid); err != nil {
		return err
	}
	return initproc.ErrDetach
}
func (h *execHandler) Usermap(int) error             { return fmt.Errorf("exec cannot create a user namespace") }
func (h *execHandler) Hooks(int) ([]byte, error)     { return nil, nil }
func (h *execHandler) Console(master *os.File) error { return h.tty.setMaster(master) }
func (h *execHandler) Seccomp(fd *os.File) error {
	defer fd.Close()
	return sendSeccompListener(h.cfg, h.st, specs.StateRunning, h.pid, h.st.InitPid, fd)
}
func (h *execHandler) Log(level, msg string) { logChild(level, msg) }
