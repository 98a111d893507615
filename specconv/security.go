package specconv

import (
	"bytes"
	"os"

	"golang.org/x/sys/unix"
)

// These are variables so that tests can simulate hosts with and without
// the LSMs.
var (
	appArmorEnabled = hostAppArmorEnabled
	seLinuxEnabled  = hostSELinuxEnabled
)

// hostAppArmorEnabled is runc's test: the securityfs directory exists and
// the module parameter says "Y".
func hostAppArmorEnabled() bool {
	if _, err := os.Stat("/sys/kernel/security/apparmor"); err != nil {
		return false
	}
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && bytes.HasPrefix(b, []byte("Y"))
}

// hostSELinuxEnabled follows go-selinux: selinuxfs is mounted at
// /sys/fs/selinux and the process has a label other than "kernel".
func hostSELinuxEnabled() bool {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/selinux", &st) != nil || uint32(st.Type) != unix.SELINUX_MAGIC {
		return false
	}
	b, err := os.ReadFile("/proc/self/attr/current")
	if err != nil {
		return false
	}
	return string(bytes.TrimRight(b, "\x00\n")) != "kernel"
}

func checkAppArmor(field, profile string) error {
	if err := noNUL(field, profile); err != nil {
		return err
	}
	if !appArmorEnabled() {
		return fieldErr(field, "AppArmor is not enabled on this host")
	}
	return nil
}

func checkSELinux(field, label string) error {
	if err := noNUL(field, label); err != nil {
		return err
	}
	if !seLinuxEnabled() {
		return fieldErr(field, "SELinux is not enabled on this host")
	}
	return nil
}

// CheckAppArmor and CheckSELinux validate a profile or label given outside
// config.json (exec --apparmor, --process-label); field names the flag.
func CheckAppArmor(field, profile string) error { return checkAppArmor(field, profile) }
func CheckSELinux(field, label string) error    { return checkSELinux(field, label) }
