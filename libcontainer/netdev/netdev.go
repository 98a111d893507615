// Package netdev moves host network devices into a container's network
// namespace (linux.netDevices) over rtnetlink: move and rename in one
// RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME, so a "%d" template is the
// kernel's), then, inside the namespace, the device's permanent global
// addresses put back and the link set up, as runtime-spec 1.3 asks.
package netdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Device is one entry of linux.netDevices: the host's name and the name
// inside the container (empty: the same).
type Device struct {
	HostName, Name string
}

// addr is one address to carry over, as the kernel reported it.
type addr struct {
	msg   unix.IfAddrmsg
	attrs []attr
}

type attr struct {
	typ uint16
	val []byte
}

// Move moves each device into the network namespace netns (an fd on it).
// The host side of every step runs in the caller's network namespace.
func Move(netns int, devs []Device) error {
	host, err := open()
	if err != nil {
		return err
	}
	defer host.close()
	inner, err := openIn(netns)
	if err != nil {
		return err
	}
	defer inner.close()
	for _, d := range devs {
		if err := move(host, inner, netns, d); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", d.HostName, err)
		}
	}
	return nil
}

func move(host, inner *conn, netns int, d Device) error {
	idx, err := host.index(d.HostName, "the host's network namespace")
	if err != nil {
		return err
	}
	addrs, err := host.addrs(idx)
	if err != nil {
		return err
	}
	name := d.Name
	if name == "" {
		name = d.HostName
	}
	// Checked before the move: this kernel moves the device first and
	// then fails the rename (EEXIST), leaving it in the container.
	if !strings.Contains(name, "%d") {
		if _, err := inner.index(name, "the container"); err == nil {
			return fmt.Errorf("move into the container as %q: a device of that name exists there", name)
		}
	}
	fd := make([]byte, 4)
	binary.NativeEndian.PutUint32(fd, uint32(netns))
	ifi := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(idx)}
	if err := host.do(unix.RTM_NEWLINK, 0, ifinfo(ifi), attr{unix.IFLA_NET_NS_FD, fd}, attr{unix.IFLA_IFNAME, cstr(name)}); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("move into the container as %q: a device of that name exists there: %w", name, err)
		}
		return fmt.Errorf("move into the container as %q: %w", name, err)
	}
	// With a "%d" template, the kernel chose the name: find the device by
	// the index it kept, else by the exact name.
	newIdx, err := inner.indexOf(idx, name)
	if err != nil {
		return fmt.Errorf("find the moved device in the container: %w", err)
	}
	for _, a := range addrs {
		a.msg.Index = uint32(newIdx)
		if err := inner.do(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, ifaddr(a.msg), a.attrs...); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("restore address %s in the container: %w", addrText(a), err)
		}
	}
	up := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(newIdx), Flags: unix.IFF_UP, Change: unix.IFF_UP}
	if err := inner.do(unix.RTM_NEWLINK, 0, ifinfo(up)); err != nil {
		return fmt.Errorf("set the device up in the container: %w", err)
	}
	return nil
}

// conn is a NETLINK_ROUTE socket.
type conn struct {
	fd  int
	seq uint32
}

func open() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &conn{fd: fd}, nil
}

// openIn opens a netlink socket in the network namespace netns: a socket
// belongs to the namespace of the thread that creates it.
func openIn(netns int) (*conn, error) {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	if err := unix.Setns(netns, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter the container's network namespace: %w", err)
	}
	c, cerr := open()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked, so that it dies with the goroutine
		// instead of serving others in the wrong namespace.
		if c != nil {
			c.close()
		}
		return nil, fmt.Errorf("return to husk's network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return c, cerr
}

func (c *conn) close() { unix.Close(c.fd) }

// do sends one request and waits for its acknowledgement.
func (c *conn) do(typ uint16, flags uint16, body []byte, attrs ...attr) error {
	_, err := c.request(typ, flags|unix.NLM_F_ACK, body, attrs...)
	return err
}

// request sends one message and collects the replies until the ack, the
// error or the end of a dump.
func (c *conn) request(typ uint16, flags uint16, body []byte, attrs ...attr) ([]syscall.NetlinkMessage, error) {
	c.seq++
	msg := body
	for _, a := range attrs {
		msg = append(msg, encodeAttr(a)...)
	}
	hdr := make([]byte, unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(hdr[0:], uint32(unix.SizeofNlMsghdr+len(msg)))
	binary.NativeEndian.PutUint16(hdr[4:], typ)
	binary.NativeEndian.PutUint16(hdr[6:], flags|unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(hdr[8:], c.seq)
	if err := unix.Sendto(c.fd, append(hdr, msg...), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	var out []syscall.NetlinkMessage
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink reply: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != c.seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("netlink: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
					return nil, unix.Errno(-e)
				}
				return out, nil
			}
			out = append(out, m)
			if m.Header.Flags&unix.NLM_F_MULTI == 0 && flags&unix.NLM_F_ACK == 0 {
				return out, nil
			}
		}
	}
}

// index finds a device by name (ENODEV names the cause).
func (c *conn) index(name, where string) (int, error) {
	ifi := unix.IfInfomsg{Family: unix.AF_UNSPEC}
	msgs, err := c.request(unix.RTM_GETLINK, 0, ifinfo(ifi), attr{unix.IFLA_IFNAME, cstr(name)})
	if errors.Is(err, unix.ENODEV) {
		return 0, fmt.Errorf("no network device %q in %s: %w", name, where, err)
	}
	if err != nil {
		return 0, fmt.Errorf("look up network device %q: %w", name, err)
	}
	for _, m := range msgs {
		if m.Header.Type == unix.RTM_NEWLINK && len(m.Data) >= unix.SizeofIfInfomsg {
			return int(int32(binary.NativeEndian.Uint32(m.Data[4:8]))), nil
		}
	}
	return 0, fmt.Errorf("look up network device %q: no reply", name)
}

// indexOf finds the moved device: by name, or for a "%d" template by the
// index the kernel keeps when it is free in the namespace, checked
// against the template.
func (c *conn) indexOf(idx int, name string) (int, error) {
	pre, post, template := strings.Cut(name, "%d")
	if !template {
		return c.index(name, "the container")
	}
	ifi := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(idx)}
	msgs, err := c.request(unix.RTM_GETLINK, 0, ifinfo(ifi))
	if err == nil {
		for _, m := range msgs {
			got := linkName(&m)
			mid, ok := strings.CutPrefix(got, pre)
			if mid, ok2 := strings.CutSuffix(mid, post); ok && ok2 && mid != "" && strings.Trim(mid, "0123456789") == "" {
				return idx, nil
			}
		}
	}
	return 0, fmt.Errorf("the device moved as %q got a new index; cannot tell which it is", name)
}

// linkName is the IFLA_IFNAME of an RTM_NEWLINK message.
func linkName(m *syscall.NetlinkMessage) string {
	ras, err := syscall.ParseNetlinkRouteAttr(m)
	if err != nil {
		return ""
	}
	for _, ra := range ras {
		if ra.Attr.Type == unix.IFLA_IFNAME {
			return strings.TrimRight(string(ra.Value), "\x00")
		}
	}
	return ""
}

// addrs lists the permanent addresses of global scope of device idx.
func (c *conn) addrs(idx int) ([]addr, error) {
	msgs, err := c.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, ifaddr(unix.IfAddrmsg{Family: unix.AF_UNSPEC}))
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	var out []addr
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		a := addr{msg: unix.IfAddrmsg{Family: m.Data[0], Prefixlen: m.Data[1], Flags: m.Data[2], Scope: m.Data[3],
			Index: binary.NativeEndian.Uint32(m.Data[4:8])}}
		if int(a.msg.Index) != idx || a.msg.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		ras, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			return nil, fmt.Errorf("parse address: %w", err)
		}
		flags := uint32(a.msg.Flags)
		for _, ra := range ras {
			switch ra.Attr.Type {
			case unix.IFA_FLAGS:
				if len(ra.Value) >= 4 {
					flags = binary.NativeEndian.Uint32(ra.Value)
				}
			case unix.IFA_ADDRESS, unix.IFA_LOCAL, unix.IFA_BROADCAST:
				a.attrs = append(a.attrs, attr{ra.Attr.Type, append([]byte(nil), ra.Value...)})
			}
		}
		if flags&unix.IFA_F_PERMANENT != 0 {
			out = append(out, a)
		}
	}
	return out, nil
}

func ifinfo(m unix.IfInfomsg) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = m.Family
	binary.NativeEndian.PutUint16(b[2:], m.Type)
	binary.NativeEndian.PutUint32(b[4:], uint32(m.Index))
	binary.NativeEndian.PutUint32(b[8:], m.Flags)
	binary.NativeEndian.PutUint32(b[12:], m.Change)
	return b
}

func ifaddr(m unix.IfAddrmsg) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1], b[2], b[3] = m.Family, m.Prefixlen, m.Flags, m.Scope
	binary.NativeEndian.PutUint32(b[4:], m.Index)
	return b
}

func encodeAttr(a attr) []byte {
	l := unix.SizeofRtAttr + len(a.val)
	b := make([]byte, (l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1))
	binary.NativeEndian.PutUint16(b[0:], uint16(l))
	binary.NativeEndian.PutUint16(b[2:], a.typ)
	copy(b[unix.SizeofRtAttr:], a.val)
	return b
}

func cstr(s string) []byte { return append([]byte(s), 0) }

func addrText(a addr) string {
	for _, at := range a.attrs {
		if at.typ == unix.IFA_LOCAL || at.typ == unix.IFA_ADDRESS {
			if len(at.val) == 4 || len(at.val) == 16 {
				return fmt.Sprintf("%s/%d", ipText(at.val), a.msg.Prefixlen)
			}
		}
	}
	return "?"
}

func ipText(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	s := ""
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			s += ":"
		}
		s += fmt.Sprintf("%x", binary.BigEndian.Uint16(b[i:]))
	}
	return s
}
