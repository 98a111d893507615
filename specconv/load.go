package specconv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// ConfigFile is the name of the spec file in a bundle.
const ConfigFile = "config.json"

// LoadSpec reads and parses <bundle>/config.json. It checks the syntax and
// ociVersion only; ToConfig validates the content.
func LoadSpec(bundle string) (*specs.Spec, error) {
	path := filepath.Join(bundle, ConfigFile)
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseSpec(data, ConfigFile)
}

// ParseSpec parses the content of a config.json (see LoadSpec).
func ParseSpec(data []byte) (*specs.Spec, error) {
	return parseSpec(data, ConfigFile)
}

func parseSpec(data []byte, name string) (*specs.Spec, error) {
	// fastSpec spares the reflection caches of encoding/json (see
	// fastjson.go); what it does not decode, or refuses, goes the slow way,
	// which makes the errors.
	spec, ok := fastSpec(data)
	if !ok {
		if err := decode(data, name, &spec); err != nil {
			return nil, err
		}
	}
	if spec == nil {
		return nil, fmt.Errorf("parse %s: the configuration is null", name)
	}
	if err := checkVersion(spec.Version, true); err != nil {
		return nil, err
	}
	return spec, nil
}

// LoadProcess reads a process.json (husk exec --process): a JSON
// specs.Process. Convert it with ToProcess.
func LoadProcess(path string) (*specs.Process, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseProcess(data, filepath.Base(path))
}

// ParseProcess parses a JSON specs.Process; name is used in errors.
func ParseProcess(data []byte, name string) (*specs.Process, error) {
	var p *specs.Process
	if err := decode(data, name, &p); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("parse %s: the process is null", name)
	}
	return p, nil
}

// readFile reads path; errors read "<path>: no such file or directory".
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %w", path, pe.Err)
		}
		return nil, err
	}
	return data, nil
}

// decode unmarshals data into v and turns encoding/json errors into
// "parse <name>: <field>: <problem> (line L, column C)".
func decode(data []byte, name string, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		return fmt.Errorf("parse %s: %s%s", name, msg, position(data, syn.Offset))
	case errors.As(err, &typ):
		what := "cannot unmarshal " + typ.Value + " into " + typ.Type.String()
		if typ.Field != "" {
			what = typ.Field + ": " + what
		}
		return fmt.Errorf("parse %s: %s%s", name, what, position(data, typ.Offset))
	}
	return fmt.Errorf("parse %s: %s", name, strings.TrimPrefix(err.Error(), "json: "))
}

// position renders the place of an encoding/json error as
// " (line L, column C)" ("" when it is the end of the input). The
// offset's meaning depends on the implementation: encoding/json counts the
// bytes read when the error was detected (the byte at fault, or the last
// byte of a mistyped value, is the one before); the json/v2-based one
// (GOEXPERIMENT=jsonv2) points at the byte at fault or the value's start.
func position(data []byte, off int64) string {
	i := off - offsetBias()
	if i < 0 || i >= int64(len(data)) {
		return ""
	}
	before := data[:i]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := int(i) - bytes.LastIndexByte(before, '\n')
	return " (line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ")"
}

// offsetBias measures, on the error path only, how far past the byte at
// fault encoding/json's offsets point.
func offsetBias() int64 {
	var v any
	var syn *json.SyntaxError
	if err := json.Unmarshal([]byte(" x"), &v); errors.As(err, &syn) && syn.Offset >= 1 && syn.Offset <= 2 {
		return syn.Offset - 1
	}
	return 1
}

// checkVersion accepts any 1.x ociVersion (SemVer, pre-release and build
// suffixes allowed). runc does not look at the version at all; husk
// requires it (the spec marks it REQUIRED) and refuses other major
// versions, whose semantics it cannot know. Minor versions newer than the
// one husk was built against are accepted with a warning: unknown
// properties are ignored, as the spec requires.
func checkVersion(v string, warn bool) error {
	if v == "" {
		return fieldErr("ociVersion", "must be set")
	}
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return fieldErr("ociVersion", "%q is not a version (want 1.x.y)", v)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p[0] == '+' {
			return fieldErr("ociVersion", "%q is not a version (want 1.x.y)", v)
		}
		nums[i] = n
	}
	if nums[0] != specs.VersionMajor {
		return fieldErr("ociVersion", "unsupported version %q (husk supports 1.x)", v)
	}
	if warn && nums[1] > specs.VersionMinor {
		logrus.Warnf("config.json has ociVersion %s, newer than the %d.%d husk implements: fields unknown to husk are ignored",
			v, specs.VersionMajor, specs.VersionMinor)
	}
	return nil
}
