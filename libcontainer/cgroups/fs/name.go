package fs

import (
	"fmt"
	"strings"
)

// The named "name=systemd" hierarchy (and misc, which has no resources in
// the OCI spec) are only joined, and failures doing so are ignored, as
// runc does: they carry no limits.
var (
	systemdController = controller{name: "name=systemd", optional: true}
	miscController    = controller{name: "misc", optional: true}
)

// errMalformed reports unexpected content of a cgroup file.
func errMalformed(content string) error {
	return fmt.Errorf("malformed content %q", strings.TrimSpace(content))
}
