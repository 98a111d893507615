package netdev

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// The wire forms the kernel parses: rtattrs padded to 4 bytes with the
// unpadded length in the header; ifinfomsg with the index at offset 4.
func TestEncoding(t *testing.T) {
	got := encodeAttr(attr{unix.IFLA_IFNAME, cstr("eth0")})
	want := []byte{9, 0, unix.IFLA_IFNAME, 0, 'e', 't', 'h', '0', 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("IFLA_IFNAME eth0: % x, want % x", got, want)
	}
	ifi := ifinfo(unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: 7, Flags: unix.IFF_UP, Change: unix.IFF_UP})
	if len(ifi) != unix.SizeofIfInfomsg || ifi[4] != 7 || ifi[8] != unix.IFF_UP || ifi[12] != unix.IFF_UP {
		t.Errorf("ifinfomsg: % x", ifi)
	}
	ifa := ifaddr(unix.IfAddrmsg{Family: unix.AF_INET, Prefixlen: 24, Scope: unix.RT_SCOPE_UNIVERSE, Index: 3})
	if !bytes.Equal(ifa, []byte{unix.AF_INET, 24, 0, 0, 3, 0, 0, 0}) {
		t.Errorf("ifaddrmsg: % x", ifa)
	}
	a := addr{msg: unix.IfAddrmsg{Prefixlen: 64}, attrs: []attr{{unix.IFA_ADDRESS, []byte{0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}}
	if s := addrText(a); s != "fd00:99:0:0:0:0:0:1/64" {
		t.Errorf("addrText: %s", s)
	}
}
