// Package remote holds what scmd and its clients share to reach an SCM on
// another machine: the TLS 1.3 configurations of both ends, where each
// finds its certificates, and the certificates a small setup needs.
//
// Windows reaches a remote SCM over authenticated RPC; here the API scmd
// serves on its unix socket is served on a TCP port as well, inside TLS
// with a client certificate on both sides (mutual TLS). The certificate
// names an account on the server, and from there a remote caller is
// checked as a local one is, with Windows' NETWORK group in place of
// INTERACTIVE.
//
// The command-line tools and the windows/... mirror do not link this
// package: a remote connection is made by scm-remote, a bridge process
// (internal/client), so that a local `sc query` does not pay for the TLS
// stack at start.
package remote

import (
	"net"
	"strconv"
	"strings"
)

// DefaultPort is where scmd listens for remote callers when --listen names
// no port, and where clients call when a host names none.
const DefaultPort = 5990

// Address is host with DefaultPort if it names no port. IPv6 literals may
// come bare ("fe80::1") or bracketed ("[fe80::1]:5990").
func Address(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.JoinHostPort(h, strconv.Itoa(DefaultPort))
}

// ServerName is the name a client checks the server's certificate
// against: the host without its port or brackets.
func ServerName(address string) string {
	h, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	return h
}
