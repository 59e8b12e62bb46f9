package devices

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Remove takes a device away, as an eject does: a network interface is
// deleted (RTM_DELLINK), a device with a sysfs "remove" switch is removed
// with it. Anything else cannot be removed this way.
func Remove(d Device) error {
	if d.Class == ClassNet {
		name := filepath.Base(d.Name)
		iface, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		return delLink(iface.Index)
	}
	sw := filepath.Join(d.Name, "remove")
	if _, err := os.Stat(sw); err == nil && strings.HasPrefix(d.Name, "/sys/") {
		return os.WriteFile(sw, []byte("1"), 0)
	}
	return errors.New("this device cannot be removed")
}

// delLink deletes a network interface by index over rtnetlink.
func delLink(index int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	msg := make([]byte, unix.SizeofNlMsghdr+unix.SizeofIfInfomsg)
	binary.LittleEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.LittleEndian.PutUint16(msg[4:], unix.RTM_DELLINK)
	binary.LittleEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.LittleEndian.PutUint32(msg[8:], 1)
	binary.LittleEndian.PutUint32(msg[unix.SizeofNlMsghdr+4:], uint32(index))
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n >= unix.SizeofNlMsghdr+4 && binary.LittleEndian.Uint16(buf[4:]) == unix.NLMSG_ERROR {
		if code := int32(binary.LittleEndian.Uint32(buf[unix.SizeofNlMsghdr:])); code != 0 {
			return unix.Errno(-code)
		}
	}
	return nil
}
