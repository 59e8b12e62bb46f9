package devices

import (
	"net"

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

// WatchAddresses calls changed with the new availability each time the
// first address arrives or the last one goes, as rtnetlink reports address
// changes. It returns when the socket fails.
func WatchAddresses(changed func(up bool)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK,
		Groups: unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR | unix.RTMGRP_LINK}); err != nil {
		return err
	}
	up := HasAddress()
	buf := make([]byte, 64<<10)
	for {
		if _, _, err := unix.Recvfrom(fd, buf, 0); err != nil {
			if err == unix.EINTR || err == unix.ENOBUFS {
				continue
			}
			return err
		}
		if now := HasAddress(); now != up {
			up = now
			changed(up)
		}
	}
}
