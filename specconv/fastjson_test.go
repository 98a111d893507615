package specconv

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ptrTo[T any](v T) *T { return &v }

// maximalSpec sets every field reachable from specs.Spec, but the other
// platforms' sections, to a non-zero value (TestMaximalSpecIsComplete).
func maximalSpec() *specs.Spec {
	idmap := []specs.LinuxIDMapping{{ContainerID: 1, HostID: 100000, Size: 65536}}
	hook := func(p string) []specs.Hook {
		return []specs.Hook{{Path: p, Args: []string{p, "-x"}, Env: []string{"A=b"}, Timeout: ptrTo(7)}}
	}
	blk := specs.LinuxBlockIODevice{Major: 8, Minor: 16}
	thr := func(r uint64) []specs.LinuxThrottleDevice {
		return []specs.LinuxThrottleDevice{{LinuxBlockIODevice: blk, Rate: r}}
	}
	return &specs.Spec{
		Version: "1.3.0",
		Process: &specs.Process{
			Terminal:    true,
			ConsoleSize: &specs.Box{Height: 24, Width: 80},
			User: specs.User{
				UID:            1000,
				GID:            1001,
				Umask:          ptrTo(uint32(0o22)),
				AdditionalGids: []uint32{5, 6},
				Username:       "user",
			},
			Args:        []string{"sh", "-c", "true"},
			CommandLine: "sh -c true",
			Env:         []string{"PATH=/bin", "TERM=xterm"},
			Cwd:         "/work",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:    []string{"CAP_KILL"},
				Effective:   []string{"CAP_CHOWN"},
				Inheritable: []string{"CAP_SETUID"},
				Permitted:   []string{"CAP_SETGID"},
				Ambient:     []string{"CAP_NET_RAW"},
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: math.MaxUint64, Soft: 1024}},
			NoNewPrivileges: true,
			ApparmorProfile: "husk-default",
			OOMScoreAdj:     ptrTo(-1000),
			Scheduler: &specs.Scheduler{
				Policy:   specs.SchedDeadline,
				Nice:     math.MinInt32,
				Priority: math.MaxInt32,
				Flags:    []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork, specs.SchedFlagReclaim},
				Runtime:  1,
				Deadline: 2,
				Period:   math.MaxUint64,
			},
			SelinuxLabel:    "system_u:system_r:container_t:s0",
			IOPriority:      &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 7},
			ExecCPUAffinity: &specs.CPUAffinity{Initial: "0-3", Final: "1"},
		},
		Root:       &specs.Root{Path: "rootfs", Readonly: true},
		Hostname:   "host",
		Domainname: "example.org",
		Mounts: []specs.Mount{{
			Destination: "/data",
			Type:        "bind",
			Source:      "/srv/data",
			Options:     []string{"rbind", "idmap"},
			UIDMappings: idmap,
			GIDMappings: idmap,
		}},
		Hooks: &specs.Hooks{
			Prestart:        hook("/bin/prestart"),
			CreateRuntime:   hook("/bin/createRuntime"),
			CreateContainer: hook("/bin/createContainer"),
			StartContainer:  hook("/bin/startContainer"),
			Poststart:       hook("/bin/poststart"),
			Poststop:        hook("/bin/poststop"),
		},
		Annotations: map[string]string{"org.example": "x", "é": "\u2028"},
		Linux: &specs.Linux{
			UIDMappings: idmap,
			GIDMappings: idmap,
			Sysctl:      map[string]string{"net.ipv4.ip_forward": "1"},
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Major: ptrTo(int64(1)), Minor: ptrTo(int64(-1)), Access: "rwm"}},
				Memory: &specs.LinuxMemory{
					Limit:             ptrTo(int64(math.MaxInt64)),
					Reservation:       ptrTo(int64(math.MinInt64)),
					Swap:              ptrTo(int64(-1)),
					Kernel:            ptrTo(int64(1 << 30)),
					KernelTCP:         ptrTo(int64(1 << 20)),
					Swappiness:        ptrTo(uint64(60)),
					DisableOOMKiller:  ptrTo(true),
					UseHierarchy:      ptrTo(true),
					CheckBeforeUpdate: ptrTo(true),
				},
				CPU: &specs.LinuxCPU{
					Shares:          ptrTo(uint64(1024)),
					Quota:           ptrTo(int64(-1)),
					Burst:           ptrTo(uint64(1000)),
					Period:          ptrTo(uint64(100000)),
					RealtimeRuntime: ptrTo(int64(950000)),
					RealtimePeriod:  ptrTo(uint64(1000000)),
					Cpus:            "0-3",
					Mems:            "0",
					Idle:            ptrTo(int64(1)),
				},
				Pids: &specs.LinuxPids{Limit: ptrTo(int64(100))},
				BlockIO: &specs.LinuxBlockIO{
					Weight:     ptrTo(uint16(math.MaxUint16)),
					LeafWeight: ptrTo(uint16(10)),
					WeightDevice: []specs.LinuxWeightDevice{{
						LinuxBlockIODevice: blk, Weight: ptrTo(uint16(500)), LeafWeight: ptrTo(uint16(300)),
					}},
					ThrottleReadBpsDevice:   thr(1),
					ThrottleWriteBpsDevice:  thr(2),
					ThrottleReadIOPSDevice:  thr(3),
					ThrottleWriteIOPSDevice: thr(4),
				},
				HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}},
				Network: &specs.LinuxNetwork{
					ClassID:    ptrTo(uint32(math.MaxUint32)),
					Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}},
				},
				Rdma:    map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: ptrTo(uint32(3)), HcaObjects: ptrTo(uint32(10000))}},
				Unified: map[string]string{"memory.high": "max"},
			},
			CgroupsPath: "/husk/ctr",
			Namespaces:  []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}},
			Devices: []specs.LinuxDevice{{
				Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229,
				FileMode: ptrTo(os.FileMode(0o666)), UID: ptrTo(uint32(5)), GID: ptrTo(uint32(6)),
			}},
			NetDevices: map[string]specs.LinuxNetDevice{"eth1": {Name: "eth0"}},
			Seccomp: &specs.LinuxSeccomp{
				DefaultAction:    specs.ActErrno,
				DefaultErrnoRet:  ptrTo(uint(1)),
				Architectures:    []specs.Arch{specs.ArchX86_64, specs.ArchX86},
				Flags:            []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
				ListenerPath:     "/run/seccomp.sock",
				ListenerMetadata: "meta",
				Syscalls: []specs.LinuxSyscall{{
					Names:    []string{"clone", "clone3"},
					Action:   specs.ActAllow,
					ErrnoRet: ptrTo(uint(38)),
					Args:     []specs.LinuxSeccompArg{{Index: 1, Value: math.MaxUint64, ValueTwo: 2, Op: specs.OpMaskedEqual}},
				}},
			},
			RootfsPropagation: "rslave",
			MaskedPaths:       []string{"/proc/kcore"},
			ReadonlyPaths:     []string{"/proc/sys"},
			MountLabel:        "system_u:object_r:container_file_t:s0",
			IntelRdt: &specs.LinuxIntelRdt{
				ClosID:           "clos1",
				Schemata:         []string{"L3:0=ff"},
				L3CacheSchema:    "L3:0=ff",
				MemBwSchema:      "MB:0=50",
				EnableMonitoring: true,
			},
			MemoryPolicy: &specs.LinuxMemoryPolicy{
				Mode:  specs.MpolBind,
				Nodes: "0-1",
				Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes},
			},
			Personality: &specs.LinuxPersonality{
				Domain: specs.PerLinux32,
				Flags:  []specs.LinuxPersonalityFlag{"ADDR_NO_RANDOMIZE"},
			},
			TimeOffsets: map[string]specs.LinuxTimeOffset{"monotonic": {Secs: math.MinInt64, Nanosecs: math.MaxUint32}},
		},
	}
}

// TestMaximalSpecIsComplete fails when a field reachable from specs.Spec
// (but the other platforms' sections) is zero in maximalSpec: a field
// added to runtime-spec must be added there, and so to fastSpec.
func TestMaximalSpecIsComplete(t *testing.T) {
	var zero []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				zero = append(zero, path)
				return
			}
			walk(v.Elem(), path)
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if v.Type() == reflect.TypeFor[specs.Spec]() && otherPlatform(f) {
					continue
				}
				walk(v.Field(i), path+"."+f.Name)
			}
		case reflect.Slice:
			if v.Len() == 0 {
				zero = append(zero, path)
			}
			for i := range v.Len() {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Map:
			if v.Len() == 0 {
				zero = append(zero, path)
			}
			for it := v.MapRange(); it.Next(); {
				walk(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()))
			}
		default:
			if v.IsZero() {
				zero = append(zero, path)
			}
		}
	}
	walk(reflect.ValueOf(maximalSpec()), "Spec")
	if len(zero) > 0 {
		t.Errorf("zero in maximalSpec:\n%s", strings.Join(zero, "\n"))
	}
}

// otherPlatform reports whether f is a section of specs.Spec fastSpec
// leaves to encoding/json (solaris, windows, vm, zos, freebsd).
func otherPlatform(f reflect.StructField) bool {
	p := f.Tag.Get("platform")
	return p != "" && !strings.Contains(p, "linux")
}

// TestFastSpecNoUnmarshaler checks that no type fastSpec decodes has its
// own JSON or text decoding, which fastSpec would have to call.
func TestFastSpecNoUnmarshaler(t *testing.T) {
	unmarshalers := []reflect.Type{reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		for _, u := range unmarshalers {
			if typ.Implements(u) || reflect.PointerTo(typ).Implements(u) {
				t.Errorf("%v implements %v", typ, u)
			}
		}
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			walk(typ.Elem())
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				if typ == reflect.TypeFor[specs.Spec]() && otherPlatform(f) {
					continue
				}
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[specs.Spec]())
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fastOK are inputs fastSpec must decode, as encoding/json does.
func fastOK(t testing.TB) [][]byte {
	rootless := Example()
	ToRootless(rootless)
	indented, _ := json.MarshalIndent(maximalSpec(), "", "\t")
	corpus := [][]byte{
		mustMarshal(t, Example()),
		mustMarshal(t, rootless),
		mustMarshal(t, maximalSpec()),
		indented,
	}
	for _, s := range []string{
		`{}`,
		` {"ociVersion":"1.0.0"} ` + "\n\t\r",
		// null at every level
		`{"ociVersion":null,"process":null,"root":null,"hostname":null,"domainname":null,"mounts":null,
		  "hooks":null,"annotations":null,"linux":null,"solaris":null,"windows":null,"vm":null,"zos":null,"freebsd":null}`,
		`{"process":{"terminal":null,"consoleSize":null,"user":null,"args":null,"commandLine":null,"env":null,"cwd":null,
		  "capabilities":null,"rlimits":null,"noNewPrivileges":null,"apparmorProfile":null,"oomScoreAdj":null,"scheduler":null,
		  "selinuxLabel":null,"ioPriority":null,"execCPUAffinity":null}}`,
		`{"process":{"user":{"uid":null,"gid":null,"umask":null,"additionalGids":[null,7]},"args":[null,"a"],
		  "capabilities":{"bounding":null,"ambient":[null]},"rlimits":[null,{"type":null,"hard":null,"soft":null}],
		  "scheduler":{"policy":null,"nice":null,"flags":[null]},"ioPriority":{},"consoleSize":{"height":null}}}`,
		`{"mounts":[null,{"destination":null,"options":[null],"uidMappings":[null,{"size":null}]}],
		  "hooks":{"prestart":[null],"poststop":[{"path":null,"timeout":null}],"createRuntime":null},
		  "annotations":{"a":null,"b":"c"}}`,
		`{"linux":{"uidMappings":[null],"sysctl":{"x":null},"resources":{"devices":[null],"memory":{"limit":null},
		  "cpu":{"shares":null,"cpus":null},"pids":{},"blockIO":{"weight":null,"weightDevice":[null,{"major":null,"weight":null}]},
		  "hugepageLimits":[null],"network":{"priorities":[null]},"rdma":{"m":null,"n":{"hcaHandles":null}},"unified":{"a":null}},
		  "namespaces":[null],"devices":[{"fileMode":null,"uid":null}],"netDevices":{"a":null},
		  "seccomp":{"defaultErrnoRet":null,"architectures":[null],"syscalls":[null,{"names":[null],"args":[null,{"value":null}]}]},
		  "intelRdt":{"schemata":[null]},"memoryPolicy":{"flags":[null]},"personality":{"flags":[null]},"timeOffsets":{"a":null}}}`,
		// empty arrays and objects
		`{"mounts":[],"annotations":{},"process":{"args":[],"env":[],"user":{"additionalGids":[]},"capabilities":{},"rlimits":[],
		  "consoleSize":{},"scheduler":{"flags":[]}},"root":{},"hooks":{"prestart":[]},
		  "linux":{"sysctl":{},"resources":{"memory":{},"cpu":{},"blockIO":{"weightDevice":[{}]},"rdma":{"x":{}},"unified":{}},
		  "namespaces":[{}],"devices":[],"netDevices":{},"seccomp":{"syscalls":[{"args":[{}]}]},"intelRdt":{},
		  "memoryPolicy":{},"personality":{},"timeOffsets":{"b":{}},"maskedPaths":[]}}`,
		// integer limits, -0
		`{"process":{"user":{"uid":4294967295,"gid":0,"umask":0,"additionalGids":[0,4294967295]},"oomScoreAdj":-9223372036854775808,
		  "rlimits":[{"hard":18446744073709551615,"soft":0}],"consoleSize":{"height":18446744073709551615,"width":0},
		  "scheduler":{"nice":-2147483648,"priority":2147483647,"runtime":18446744073709551615},"ioPriority":{"priority":-0}},
		  "hooks":{"poststop":[{"path":"/x","timeout":9223372036854775807}]},
		  "linux":{"resources":{"memory":{"limit":-9223372036854775808,"swap":9223372036854775807,"swappiness":18446744073709551615},
		  "blockIO":{"weight":65535,"leafWeight":0,"throttleReadBpsDevice":[{"major":-9223372036854775808,"minor":-0,"rate":18446744073709551615}]},
		  "devices":[{"major":-1,"minor":-0}]},"devices":[{"fileMode":4294967295,"major":-1}],
		  "timeOffsets":{"boottime":{"secs":-9223372036854775808,"nanosecs":4294967295}},
		  "seccomp":{"defaultErrnoRet":18446744073709551615,"syscalls":[{"args":[{"index":18446744073709551615,"value":0,"valueTwo":18446744073709551615}]}]}}}`,
		// strings: escapes, unicode
		`{"ociVersion":"1.0.0","hostname":"\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r\u0000\u001F\uFFFD\u2028","domainname":"é😀€\u00E9",
		  "annotations":{"\u006b":"v","":"","a\"b":"\\"},"process":{"env":["A=\u0041"]}}`,
		`{"ociVers\u0069on":"1.0.0"}`,
		// duplicate scalar keys: the last one wins
		`{"ociVersion":"0.1","ociVersion":"1.0.0","hostname":null,"hostname":"b","process":{"terminal":true,"terminal":false,
		  "cwd":null,"cwd":"/","user":null,"user":{"uid":1}},"annotations":{"a":"1","a":"2","b":null,"b":"3"}}`,
		// unknown keys are ignored
		`{"ociVersion":"1.0.0","foo":{"bar":[1,2.5e3,{"x":null}],"Process":1},"process":{"bogus":[1],"bogus":{}},"x":"y","x":1}`,
	} {
		corpus = append(corpus, []byte(s))
	}
	return corpus
}

// fastNotOK are inputs fastSpec must leave to encoding/json.
var fastNotOK = []string{
	// not JSON, not an object, trailing data, too deep
	``, ` `, `{`, `{"a":}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":.5}`, `{"a":tru}`, `{"a":nul}`, `{"a" 1}`, `{"a":1,}`,
	`{,}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{'a':1}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\t\"}",
	`[]`, `null`, `"x"`, `1`, `true`,
	`{"ociVersion":"1.0.0"} x`, `{} {}`, `{}]`, `{}}`, `{} null`,
	`{"x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`,
	// strings encoding/json repairs into U+FFFD
	"{\"hostname\":\"\xff\"}", "{\"hostname\":\"a\xc3\"}", `{"hostname":"\ud800"}`, `{"hostname":"\udc00\ud800"}`,
	`{"hostname":"\ud800\u0041"}`, `{"x":"\ud800x"}`,
	// type mismatches
	`{"ociVersion":1}`, `{"hostname":true}`, `{"process":[]}`, `{"process":"x"}`, `{"process":1}`, `{"root":true}`,
	`{"mounts":{}}`, `{"mounts":[1]}`, `{"mounts":["/x"]}`, `{"annotations":[]}`, `{"annotations":{"a":1}}`,
	`{"annotations":{"a":{}}}`, `{"process":{"terminal":"true"}}`, `{"process":{"terminal":1}}`,
	`{"process":{"user":{"uid":"0"}}}`, `{"process":{"user":{"uid":4294967296}}}`, `{"process":{"user":{"uid":-1}}}`,
	`{"process":{"user":{"uid":1.0}}}`, `{"process":{"user":{"uid":1e2}}}`, `{"process":{"user":{"uid":-0}}}`,
	`{"process":{"user":[]}}`, `{"process":{"user":{"additionalGids":[true]}}}`, `{"process":{"user":{"additionalGids":{}}}}`,
	`{"process":{"args":"sh"}}`, `{"process":{"args":[1]}}`, `{"process":{"args":[["a"]]}}`,
	`{"process":{"oomScoreAdj":9223372036854775808}}`, `{"process":{"oomScoreAdj":"1"}}`,
	`{"process":{"scheduler":{"nice":2147483648}}}`, `{"process":{"scheduler":{"policy":1}}}`,
	`{"process":{"rlimits":[{"hard":18446744073709551616}]}}`, `{"process":{"rlimits":[{"soft":-1}]}}`,
	`{"linux":{"resources":{"blockIO":{"weight":65536}}}}`, `{"linux":{"resources":{"memory":{"disableOOMKiller":0}}}}`,
	`{"linux":{"resources":{"rdma":{"a":1}}}}`, `{"linux":{"resources":{"rdma":[]}}}`, `{"linux":{"sysctl":{"a":true}}}`,
	`{"linux":{"devices":[{"fileMode":-1}]}}`, `{"linux":{"seccomp":{"syscalls":[{"args":[{"index":-1}]}]}}}`,
	`{"linux":{"timeOffsets":{"a":{"secs":1.5}}}}`, `{"linux":{"netDevices":{"a":"eth0"}}}`,
	`{"linux":{"namespaces":{"type":"pid"}}}`, `{"linux":{"maskedPaths":[null,1]}}`,
	// keys encoding/json matches case-insensitively
	`{"ociVersion":"1.0.0","Process":{}}`, `{"OCIVERSION":"1.0.0"}`, `{"process":{"Cwd":"/"}}`,
	`{"process":{"cwd":"/","CWD":"/x"}}`, `{"linux":{"resources":{"memory":{"\u212aernel":1}}}}`,
	`{"linux":{"seccomp":{"syscalls":[{"Names":["a"]}]}}}`, `{"Windows":{}}`,
	// other platforms
	`{"windows":{}}`, `{"solaris":{"milestone":"x"}}`, `{"vm":{}}`, `{"zos":{"namespaces":[]}}`, `{"freebsd":{}}`,
	`{"windows":1}`,
	// keys given twice that encoding/json merges, or whose first value matters
	`{"root":{"path":"a"},"root":{"readonly":true}}`, `{"mounts":[{"destination":"/a","type":"x"}],"mounts":[{"destination":"/b"}]}`,
	`{"hostname":"a","hostname":null}`, `{"process":{"user":{"uid":1,"uid":2}}}`, `{"process":{"user":{"uid":"x","uid":2}}}`,
	`{"process":{"user":{"uid":1}},"process":null}`, `{"annotations":{"a":"1","a":2}}`, `{"process":{"terminal":true,"terminal":"x"}}`,
	`{"linux":{"resources":{"rdma":{"m":{"hcaHandles":1},"m":{"hcaObjects":2}}}}}`,
}

func TestFastSpecEquivalent(t *testing.T) {
	for _, data := range fastOK(t) {
		checkFast(t, data, true)
	}
}

func TestFastSpecNotOK(t *testing.T) {
	for _, s := range fastNotOK {
		if spec, ok := fastSpec([]byte(s)); ok {
			t.Errorf("fastSpec(%.200q) = %+v, want not ok", s, spec)
		}
		// parseSpec falls back to encoding/json: same result, same errors.
		var want *specs.Spec
		wantErr := decode([]byte(s), ConfigFile, &want)
		got, err := ParseSpec([]byte(s))
		switch {
		case wantErr != nil:
			if err == nil || err.Error() != wantErr.Error() {
				t.Errorf("ParseSpec(%.200q): %v, want %v", s, err, wantErr)
			}
		case err == nil && !reflect.DeepEqual(got, want):
			t.Errorf("ParseSpec(%.200q) = %+v, want %+v", s, got, want)
		}
	}
}

func TestFastSpecFallbackErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"ociVersion":"1.0.0","hostname":1}`, "parse config.json: hostname: cannot unmarshal number into string (line 1, column 34)"},
		{`{"ociVersion":"1.0.0","process":{"user":{"uid":-1}}}`,
			// The column is the value's first (jsonv2) or last (v1) byte.
			"~parse config.json: process.user.uid: cannot unmarshal number -1 into uint32 (line 1, column 4"},
		{`{"ociVersion":"1.0.0"}]`, "parse config.json: invalid character ']' after top-level value (line 1, column 23)"},
	} {
		_, err := ParseSpec([]byte(tc.in))
		if w, ok := strings.CutPrefix(tc.want, "~"); ok && err != nil && strings.HasPrefix(err.Error(), w) {
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseSpec(%q):\n got: %v\nwant: %s", tc.in, err, tc.want)
		}
	}
	// Decoded by encoding/json (ToConfig refuses the windows section).
	if s, err := ParseSpec([]byte(`{"ociVersion":"1.0.0","windows":{}}`)); err != nil || s.Windows == nil {
		t.Errorf("windows: %+v, %v", s, err)
	}
	s, err := ParseSpec([]byte(`{"ociVersion":"1.0.0","Hostname":"h","root":{"path":"a"},"root":{"readonly":true}}`))
	if err != nil || s.Hostname != "h" || *s.Root != (specs.Root{Path: "a", Readonly: true}) {
		t.Errorf("fallback: %+v, %v", s, err)
	}
}

// TestFastSpecMutations replaces each value of maximalSpec's JSON by null,
// an empty object or array, and values of other types or out of range:
// fastSpec must decode exactly what encoding/json decodes, and refuse
// what it refuses.
func TestFastSpecMutations(t *testing.T) {
	replacements := []any{nil, map[string]any{}, []any{}, "1", true, json.Number("1"), json.Number("-1"),
		json.Number("1.5"), json.Number("1e2"), json.Number("65536"), json.Number("4294967296"),
		json.Number("18446744073709551616"), json.Number("-9223372036854775809"), []any{nil}, []any{"x"},
		map[string]any{"x": nil}}
	n := eachMutation(t, mustMarshal(t, maximalSpec()), replacements, func(data []byte) {
		var want *specs.Spec
		checkFast(t, data, json.Unmarshal(data, &want) == nil)
	})
	t.Logf("%d mutations", n)
}

// eachMutation calls f with base (a JSON document) changed at one place:
// every value, at every depth, replaced by each of replacements in turn.
// It returns the number of calls.
func eachMutation(t *testing.T, base []byte, replacements []any, f func([]byte)) int {
	t.Helper()
	load := func() any {
		dec := json.NewDecoder(strings.NewReader(string(base)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		if len(path) > 0 {
			paths = append(paths, slicesClone(path))
		}
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(e, append(path, k))
			}
		case []any:
			for i, e := range v {
				walk(e, append(path, i))
			}
		}
	}
	walk(load(), nil)
	n := 0
	for _, path := range paths {
		for _, r := range replacements {
			root := load()
			v := root
			for _, step := range path[:len(path)-1] {
				switch s := step.(type) {
				case string:
					v = v.(map[string]any)[s]
				case int:
					v = v.([]any)[s]
				}
			}
			switch s := path[len(path)-1].(type) {
			case string:
				v.(map[string]any)[s] = r
			case int:
				v.([]any)[s] = r
			}
			f(mustMarshal(t, root))
			n++
		}
	}
	return n
}

func slicesClone(s []any) []any { return append([]any(nil), s...) }

// checkFast checks that fastSpec(data) decodes as json.Unmarshal does, and
// that it is ok if wantOK.
func checkFast(t *testing.T, data []byte, wantOK bool) {
	t.Helper()
	got, ok := fastSpec(data)
	var want *specs.Spec
	err := json.Unmarshal(data, &want)
	switch {
	case ok && err != nil:
		t.Errorf("fastSpec(%s) ok, json.Unmarshal: %v", data, err)
	case ok && !reflect.DeepEqual(got, want):
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("fastSpec(%s):\n got %s\nwant %s", data, g, w)
	case !ok && wantOK:
		t.Errorf("fastSpec(%s) not ok (json.Unmarshal: %v)", data, err)
	}
}

// FuzzFastSpec: whenever fastSpec decodes, encoding/json must decode the
// same.
func FuzzFastSpec(f *testing.F) {
	for _, data := range fastOK(f) {
		f.Add(data)
	}
	for _, s := range fastNotOK {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := fastSpec(data)
		if !ok {
			return
		}
		var want *specs.Spec
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("fastSpec ok, json.Unmarshal: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fastSpec:\n got %+v\nwant %+v", got, want)
		}
	})
}

func BenchmarkFastSpec(b *testing.B) {
	data := mustMarshal(b, Example())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := fastSpec(data); !ok {
			b.Fatal("not ok")
		}
	}
}
