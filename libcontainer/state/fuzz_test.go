package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// FuzzReadState loads arbitrary state.json bytes the way every command
// does (ReadState, then LoadConfig and CurrentStatus): never a panic,
// errors not empty; and a state that loads saves back into what it
// loads again (Save's encoding is stable).
func FuzzReadState(f *testing.F) {
	seed := func(st *State) {
		if st.Config != nil {
			raw, err := marshalConfig(st.Config)
			if err != nil {
				f.Fatal(err)
			}
			st.RawConfig = raw
		}
		b, err := json.Marshal(st)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	cfg := &configs.Config{Rootfs: "/r", Namespaces: []configs.Namespace{{Type: configs.NEWPID}, {Type: configs.NEWNS}},
		Process: &configs.Process{Args: []string{"sh"}, Env: []string{"PATH=/bin"}, Cwd: "/"},
		Cgroups: &configs.Cgroup{Path: "/husk/c"}, Hooks: configs.Hooks{"poststop": {{Path: "/bin/true"}}}}
	seed(&State{ID: "c1", InitPid: os.Getpid(), InitStartTime: 1, Created: time.Unix(1700000000, 5).UTC(),
		Bundle: "/b", Rootfs: "/b/rootfs", Owner: "root",
		NamespacePaths: []NsPath{{Type: configs.NEWPID, Path: "/proc/1/ns/pid"}},
		CgroupPaths:    map[string]string{"memory": "/sys/fs/cgroup/memory/husk/c"}, Config: cfg, Hooks: cfg.Hooks,
		Annotations: map[string]string{"a": "b"}, OCIVersion: "1.3.0"})
	seed(&State{ID: "stub", Created: time.Now(), OCIVersion: "1.3.0"})
	f.Add([]byte(`{"id":"x","config":null}`))
	f.Add([]byte(`{"id":"x","init_pid":-1,"created":"2024-01-01T00:00:00+23:59","config":{"Rootfs":1}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, StateFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := ReadState(dir)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if _, err := st.LoadConfig(); err != nil && err.Error() == "" {
			t.Fatal("LoadConfig: empty error")
		}
		_ = st.CurrentStatus(dir)
		st.Config = nil // saved as loaded (RawConfig)
		b1, err := json.Marshal(st)
		if err != nil {
			// Save fails on this state: it must say why.
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var st2 State
		if err := json.Unmarshal(b1, &st2); err != nil {
			t.Fatalf("a saved state does not load: %v\n%s", err, b1)
		}
		b2, err := json.Marshal(&st2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("saved state not stable (%v):\n%s\n%s", err, b1, b2)
		}
	})
}
