package specconv

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// runcSpec runs `runc spec` (runc 1.1.5 is the reference) and returns its
// config.json decoded generically, without ociVersion.
func runcSpec(t *testing.T, rootless bool) map[string]any {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/runc"); err != nil {
			t.Skip("runc is not installed")
		}
		runc = "/usr/sbin/runc"
	}
	dir := t.TempDir()
	args := []string{"spec", "--bundle", dir}
	if rootless {
		args = append(args, "--rootless")
	}
	if out, err := exec.Command(runc, args...).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return generic(t, data)
}

func generic(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "ociVersion")
	return m
}

func TestExampleMatchesRunc(t *testing.T) {
	for _, rootless := range []bool{false, true} {
		want := runcSpec(t, rootless)
		// runc 1.1.5 also lists the caps as ambient, which the kernel
		// refuses without inheritable ones; runc >= 1.2 dropped them.
		if p, ok := want["process"].(map[string]any); ok {
			if c, ok := p["capabilities"].(map[string]any); ok {
				delete(c, "ambient")
			}
		}
		s := Example()
		if rootless {
			ToRootless(s)
		}
		if s.Version != specs.Version {
			t.Errorf("version %q", s.Version)
		}
		data, err := json.MarshalIndent(s, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		got := generic(t, data)
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				g, _ := json.MarshalIndent(got[k], "", " ")
				w, _ := json.MarshalIndent(want[k], "", " ")
				t.Errorf("rootless=%v: %q differs:\nhusk: %s\nrunc: %s", rootless, k, g, w)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("rootless=%v: husk has %q, runc does not", rootless, k)
			}
		}
	}
}
