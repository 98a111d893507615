package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var nsFiles = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.IPCNamespace: "ipc",
	specs.UTSNamespace: "uts", specs.MountNamespace: "mnt", specs.CgroupNamespace: "cgroup",
	specs.UserNamespace: "user", specs.TimeNamespace: "time",
}

// containerNs reads /proc/self/ns/* inside a container.
func (e *env) containerNs(mut ...func(*specs.Spec)) map[string]string {
	e.t.Helper()
	out := e.output(append(mut, sh("for n in pid net ipc uts mnt cgroup user time; do echo $n $(readlink /proc/self/ns/$n); done"))...)
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			m[k] = v
		}
	}
	return m
}

func hostNs(t *testing.T, f string) string {
	t.Helper()
	l, err := os.Readlink("/proc/self/ns/" + f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// New namespaces differ from the host's; namespaces not asked for are the host's.
func TestNamespacesNewAndShared(t *testing.T) {
	e := newEnv(t)
	fresh := []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace, specs.IPCNamespace,
		specs.UTSNamespace, specs.MountNamespace, specs.CgroupNamespace}
	in := e.containerNs(withNamespace(specs.CgroupNamespace, ""))
	for _, typ := range fresh {
		f := nsFiles[typ]
		if in[f] == "" || in[f] == hostNs(t, f) {
			t.Errorf("%s namespace requested, container has %q, host %q", typ, in[f], hostNs(t, f))
		}
	}
	in = e.containerNs(withoutNamespace(specs.NetworkNamespace), withoutNamespace(specs.IPCNamespace),
		withoutNamespace(specs.UTSNamespace), withoutNamespace(specs.PIDNamespace),
		func(s *specs.Spec) { s.Hostname = "" })
	for _, f := range []string{"net", "ipc", "uts", "pid", "user", "time"} {
		if in[f] != hostNs(t, f) {
			t.Errorf("%s namespace not requested, container has %q, host %q", f, in[f], hostNs(t, f))
		}
	}
}

func TestPidNamespace(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh("echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]'"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "1" {
		t.Fatalf("pid namespace: %q, want PID 1 first", out)
	}
	if !strings.HasPrefix(lines[1], "sh -c echo $$") {
		t.Errorf("/proc/1/cmdline = %q, want the payload", lines[1])
	}
	if n, _ := strconv.Atoi(lines[2]); n < 1 || n > 4 {
		t.Errorf("/proc shows %d processes, want only the container's own", n)
	}
}

func TestUTSNamespace(t *testing.T) {
	e := newEnv(t)
	hostBefore, _ := os.ReadFile("/proc/sys/kernel/hostname")
	out := e.output(func(s *specs.Spec) { s.Hostname = "hk-host"; s.Domainname = "hk.example" },
		sh("hostname; cat /proc/sys/kernel/domainname"))
	if out != "hk-host\nhk.example\n" {
		t.Errorf("hostname/domainname inside: %q", out)
	}
	if after, _ := os.ReadFile("/proc/sys/kernel/hostname"); string(after) != string(hostBefore) {
		t.Errorf("host hostname changed from %q to %q", hostBefore, after)
	}
}

func TestNetworkNamespace(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip -o link | cut -d: -f2 | tr -d ' '"))
	if out != "lo\nlo\n" {
		t.Errorf("network namespace interfaces: %q, want only lo", out)
	}
}

func TestUserNamespace(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("shared")
	b := e.bundle(withNamespace(specs.UserNamespace, ""), withBind(hd, "/hostdir"), func(s *specs.Spec) {
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
	}, sh("cat /proc/self/uid_map /proc/self/gid_map > /hostdir/maps; id -u >> /hostdir/maps; exec sleep 1000"))
	id, _ := e.startDetached(b)
	maps := waitFile(t, hd+"/maps", "\n0\n")
	lines := strings.Split(strings.TrimSpace(maps), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "0 100000 65536" ||
		strings.Join(strings.Fields(lines[1]), " ") != "0 200000 65536" || lines[2] != "0" {
		t.Errorf("uid_map, gid_map, id -u inside: %q", maps)
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.state(id).Pid))
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(statusField(string(st), "Uid")); len(f) == 0 || f[0] != "100000" {
		t.Errorf("container root seen from the host: Uid %v, want 100000", f)
	}
	if f := strings.Fields(statusField(string(st), "Gid")); len(f) == 0 || f[0] != "200000" {
		t.Errorf("container root seen from the host: Gid %v, want 200000", f)
	}
	e.destroy(id)
}

func TestCgroupNamespace(t *testing.T) {
	e := newEnv(t)
	out := e.output(withNamespace(specs.CgroupNamespace, ""), args("cat", "/proc/self/cgroup"))
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(l, ":/") {
			t.Errorf("with a cgroup namespace, /proc/self/cgroup line %q is not the namespace root", l)
		}
	}
	out = e.output(withoutNamespace(specs.CgroupNamespace), args("cat", "/proc/self/cgroup"))
	if !strings.Contains(out, e.ids[len(e.ids)-1]) {
		t.Errorf("without a cgroup namespace, /proc/self/cgroup should show the container's cgroup:\n%s", out)
	}
}

func hostUptime(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/uptime")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	return v
}

func TestTimeNamespace(t *testing.T) {
	e := newEnv(t)
	const offset = 10 * 86400
	before := hostUptime(t)
	out := e.output(withNamespace(specs.TimeNamespace, ""), func(s *specs.Spec) {
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
			"boottime":  {Secs: offset},
			"monotonic": {Secs: offset},
		}
	}, args("cat", "/proc/uptime"))
	after := hostUptime(t)
	f := strings.Fields(out)
	if len(f) < 1 {
		t.Fatalf("/proc/uptime inside: %q", out)
	}
	in, _ := strconv.ParseFloat(f[0], 64)
	if in < before+offset-1 || in > after+offset+1 {
		t.Errorf("uptime inside %.2f, want host uptime (%.2f..%.2f) + %d", in, before, after, offset)
	}
}

// The seeds' networked container: a netns made with `ip netns add` and a
// veth pair, joined by path; the container pings the host end.
func TestJoinNetnsByPath(t *testing.T) {
	e := newEnv(t)
	sfx := randHex(3)
	ns, host, peer := "hk-it-"+sfx, "hkh"+sfx, "hkc"+sfx
	n, _ := strconv.ParseUint(sfx, 16, 32)
	net := fmt.Sprintf("10.%d.%d", 200+n%50, (n>>8)%250)
	hostIP, ctrIP := net+".1", net+".2"
	hostRun(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { hostRun(t, "ip", "netns", "del", ns) })
	hostRun(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { _ = hostRunQuiet("ip", "link", "del", host) })
	hostRun(t, "ip", "link", "set", peer, "netns", ns)
	hostRun(t, "ip", "addr", "add", hostIP+"/24", "dev", host)
	hostRun(t, "ip", "link", "set", host, "up")
	hostRun(t, "ip", "netns", "exec", ns, "ip", "addr", "add", ctrIP+"/24", "dev", peer)
	hostRun(t, "ip", "netns", "exec", ns, "ip", "link", "set", peer, "up")
	hostRun(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

	r := e.runContainer(e.bundle(withNamespace(specs.NetworkNamespace, "/var/run/netns/"+ns),
		func(s *specs.Spec) {
			// busybox ping needs a raw socket (ping_group_range is closed in a new netns)
			c := s.Process.Capabilities
			c.Bounding = append(c.Bounding, "CAP_NET_RAW")
			c.Effective = append(c.Effective, "CAP_NET_RAW")
			c.Permitted = append(c.Permitted, "CAP_NET_RAW")
		}, sh("ip -o -4 addr show dev "+peer+" | grep -o '"+ctrIP+"/24' && ping -c 1 -W 5 "+hostIP)))
	if r.Code != 0 || !strings.Contains(r.Stdout, ctrIP+"/24") || !strings.Contains(r.Stdout, "1 packets received") {
		t.Errorf("container in the joined netns could not ping the host end: %s", r)
	}
}

// Joining another container's namespaces by /proc/PID/ns path.
func TestJoinOtherContainerNamespaces(t *testing.T) {
	e := newEnv(t)
	a, _ := e.startDetached(e.bundle(func(s *specs.Spec) { s.Hostname = "hk-first" }, args("sleep", "1000")))
	pid := e.state(a).Pid
	nsOf := func(f string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, f))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	p := func(f string) string { return fmt.Sprintf("/proc/%d/ns/%s", pid, f) }
	in := e.containerNs(func(s *specs.Spec) { s.Hostname = "" },
		withNamespace(specs.UTSNamespace, p("uts")), withNamespace(specs.NetworkNamespace, p("net")),
		withNamespace(specs.IPCNamespace, p("ipc")))
	for _, f := range []string{"uts", "net", "ipc"} {
		if in[f] != nsOf(f) {
			t.Errorf("joined %s namespace: container has %q, first container %q", f, in[f], nsOf(f))
		}
	}
	if in["pid"] == nsOf("pid") || in["mnt"] == nsOf("mnt") {
		t.Errorf("pid/mount namespaces were not requested to be joined but are shared")
	}
	if out := e.output(func(s *specs.Spec) { s.Hostname = "" }, withNamespace(specs.UTSNamespace, p("uts")), args("hostname")); out != "hk-first\n" {
		t.Errorf("hostname in a joined uts namespace: %q, want hk-first", out)
	}
	e.destroy(a)
}

// hostMounts lists the mount points below dir in the runtime's (the test's)
// mount namespace.
func hostMounts(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// Without a mount namespace (as runc allows): the container shares the
// runtime's mount namespace, is chroot'ed into its rootfs with its mounts
// (made under the rootfs on the host), exec lands in the same root, and
// delete removes those mounts from the host.
func TestNoMountNamespace(t *testing.T) {
	e := newEnv(t)
	b := e.bundleRW(withoutNamespace(specs.MountNamespace), withoutNamespace(specs.PIDNamespace), func(s *specs.Spec) {
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
		s.Root.Readonly = false
	}, sh("readlink /proc/self/ns/mnt; cat /marker; cut -d' ' -f5 /proc/self/mountinfo | grep -cx /proc; sleep 1000"))
	if err := os.WriteFile(b.Rootfs+"/marker", []byte("in the rootfs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id, out := e.startDetached(b)
	got := waitFile(t, out, "\n1\n")
	if want := hostNs(t, "mnt") + "\nin the rootfs\n1\n"; got != want {
		t.Errorf("container without a mount namespace printed %q, want %q", got, want)
	}
	if len(hostMounts(t, b.Rootfs)) == 0 {
		t.Errorf("no mount of the container under %s on the host", b.Rootfs)
	}
	if r := e.mustHusk("exec", id, "cat", "/marker"); r.Stdout != "in the rootfs\n" {
		t.Errorf("exec into a container without a mount namespace: %q, want the rootfs's /marker", r.Stdout)
	}
	e.destroy(id)
	if left := hostMounts(t, b.Rootfs); len(left) > 0 {
		t.Errorf("mounts left on the host after delete: %q", left)
	}
	// A failed create removes them too.
	b.Spec.Process.Args = []string{"hk-missing-exe"}
	b.write(t)
	e.mustFail([]string{"hk-missing-exe"}, "create", "--bundle", b.Dir, e.id())
	if left := hostMounts(t, b.Rootfs); len(left) > 0 {
		t.Errorf("mounts left on the host after a failed create: %q", left)
	}
}

// What needs a mount namespace of its own is refused without one, naming
// the field.
func TestNoMountNamespaceRefused(t *testing.T) {
	e := newEnv(t)
	for field, mut := range map[string]func(*specs.Spec){
		"linux.maskedPaths":   func(s *specs.Spec) { s.Linux.ReadonlyPaths = nil },
		"linux.readonlyPaths": func(s *specs.Spec) { s.Linux.MaskedPaths = nil },
		"root.readonly":       func(s *specs.Spec) { s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil },
	} {
		b := e.bundle(withoutNamespace(specs.MountNamespace), mut)
		id := e.id()
		e.mustFail([]string{field, "needs a mount namespace of its own"}, "create", "--bundle", b.Dir, id)
		e.mustFail([]string{"does not exist"}, "state", id)
	}
}
