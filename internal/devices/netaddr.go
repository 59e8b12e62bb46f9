package devices

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// HasAddress reports whether the machine (its network namespace) has an IP
// address other than loopback and IPv6 link-local ones: what Windows calls
// IP address availability.
func HasAddress() bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		return true
	}
	return false
}

// Link events, as the SERVICE_CONTROL_NETBIND* controls name them.
const (
	LinkAdded    = 7  // SERVICE_CONTROL_NETBINDADD
	LinkRemoved  = 8  // SERVICE_CONTROL_NETBINDREMOVE
	LinkEnabled  = 9  // SERVICE_CONTROL_NETBINDENABLE
	LinkDisabled = 10 // SERVICE_CONTROL_NETBINDDISABLE
)

// WatchNetwork follows rtnetlink: changed is called with the new
// availability each time the first address arrives or the last one goes;
// link with a NETBIND* control code each time an interface comes, goes, is
// brought up or down. It returns nil when ctx is done, or the error that
// ended the socket.
func WatchNetwork(ctx context.Context, changed func(up bool), link func(code uint32, index int32)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK,
		Groups: unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR | unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return err
	}
	f, err := pollable(fd, "rtnetlink")
	if err != nil {
		return err
	}
	defer f.Close()
	defer closeWhenDone(ctx, f)()
	up := HasAddress()
	links := map[int32]bool{} // index → up
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			links[int32(i.Index)] = i.Flags&net.FlagUp != 0
		}
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if errors.Is(err, unix.ENOBUFS) {
				continue // the kernel dropped events; the next ones still count
			}
			if stopped(ctx, err) {
				return nil
			}
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err == nil {
			for _, m := range msgs {
				if (m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK) || len(m.Data) < unix.SizeofIfInfomsg {
					continue
				}
				index := int32(binary.LittleEndian.Uint32(m.Data[4:8]))
				isUp := binary.LittleEndian.Uint32(m.Data[8:12])&unix.IFF_UP != 0
				was, known := links[index]
				switch {
				case m.Header.Type == unix.RTM_DELLINK:
					delete(links, index)
					if known {
						link(LinkRemoved, index)
					}
				case !known:
					links[index] = isUp
					link(LinkAdded, index)
					if isUp {
						link(LinkEnabled, index)
					}
				case was != isUp:
					links[index] = isUp
					if isUp {
						link(LinkEnabled, index)
					} else {
						link(LinkDisabled, index)
					}
				}
			}
		}
		if now := HasAddress(); now != up {
			up = now
			changed(up)
		}
	}
}
