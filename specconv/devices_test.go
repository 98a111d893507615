package specconv

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestDeviceErrors(t *testing.T) {
	dev := func(d specs.LinuxDevice) func(*specs.Spec, string) {
		return func(s *specs.Spec, _ string) {
			s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: "/dev/ok", Type: "c", Major: 1, Minor: 1}, d)
		}
	}
	mode := os.FileMode(0o1000666) // os.ModeDevice-like high bit
	runErrCases(t, []errCase{
		{"type", Options{}, dev(specs.LinuxDevice{Path: "/dev/x", Type: "x"}),
			`linux.devices[1].type: unknown device type "x" (want c, u, b or p)`},
		{"no type", Options{}, dev(specs.LinuxDevice{Path: "/dev/x"}),
			`linux.devices[1].type: unknown device type "" (want c, u, b or p)`},
		{"relative", Options{}, dev(specs.LinuxDevice{Path: "dev/x", Type: "c"}),
			`linux.devices[1].path: "dev/x" is not an absolute path`},
		{"outside dev", Options{}, dev(specs.LinuxDevice{Path: "/dev/../etc/x", Type: "c"}),
			`linux.devices[1].path: "/dev/../etc/x" is not under /dev`},
		{"dev itself", Options{}, dev(specs.LinuxDevice{Path: "/dev", Type: "c"}),
			`linux.devices[1].path: "/dev" is not under /dev`},
		{"duplicate", Options{}, dev(specs.LinuxDevice{Path: "/dev//ok", Type: "b"}),
			"linux.devices[1].path: duplicate of linux.devices[0].path"},
		{"major", Options{}, dev(specs.LinuxDevice{Path: "/dev/x", Type: "c", Major: 4096}),
			"linux.devices[1].major: 4096 is out of range [0, 4095]"},
		{"minor", Options{}, dev(specs.LinuxDevice{Path: "/dev/x", Type: "b", Minor: -1}),
			"linux.devices[1].minor: -1 is out of range [0, 1048575]"},
		{"mode", Options{}, dev(specs.LinuxDevice{Path: "/dev/x", Type: "p", FileMode: &mode}),
			"linux.devices[1].fileMode: 01000666 has bits other than the permission bits"},
	})
}

func TestDevices(t *testing.T) {
	s := baseSpec()
	uid, gid := uint32(5), uint32(6)
	s.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
		{Path: "/dev/sda", Type: "b", Major: 8, UID: &uid, GID: &gid},
		{Path: "/dev/fifo", Type: "p"},
	}
	c, err := ToConfig(s, Options{Bundle: newBundle(t)})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Devices
	if len(d) != 3 || d[0].Type != 'c' || d[0].FileMode != 0o666 || d[0].Major != 10 || d[0].Minor != 229 ||
		d[1].Type != 'b' || d[1].UID != 5 || d[1].GID != 6 || d[2].Type != 'p' {
		for _, x := range d {
			t.Logf("%+v", *x)
		}
		t.Fatal("devices differ")
	}
}

func TestCleanCgroupPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/":                "/",
		"/a/b":             "/a/b",
		"/a/../../b":       "/b",
		"a/b/../c":         "a/c",
		"../../a":          "a",
		"a//b/./":          "a/b",
		"/machine.slice/x": "/machine.slice/x",
	} {
		if got := cleanCgroupPath(in); got != want {
			t.Errorf("cleanCgroupPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCPUList(t *testing.T) {
	m, err := ParseCPUList("0-2, 5,64")
	if err != nil || len(m) != 2 || m[0] != 0b100111 || m[1] != 1 {
		t.Fatalf("%x %v", m, err)
	}
	for _, bad := range []string{",", "1-", "-1", "a", "+1", "8192", "0-8192", "2-1"} {
		if _, err := ParseCPUList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
