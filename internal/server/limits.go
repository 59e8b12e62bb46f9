package server

import (
	"time"

	"golang.org/x/sys/unix"
)

// The bounds of the API server. scmd is a root daemon that every local user
// reaches through a 0666 socket, so nothing a client sends may make it hold
// more than these, and no ordinary user can deny service to root: Windows'
// services.exe is an RPC server with the same duty (RPC's MaxRpcSize and its
// per-call limits), and these are its counterparts here.
const (
	// MaxRequestBytes is the largest request body scmd reads. The biggest
	// legitimate request, a service configuration at Windows' own string
	// limits (a 32 KiB path, 4 KiB of dependencies, 8 KiB descriptions, a
	// 1 MB registry value), fits with room to spare. A bigger request is
	// refused with Connect's resource_exhausted error before more than this
	// is buffered.
	MaxRequestBytes = 4 << 20

	// MaxHeaderBytes bounds a request's headers (HTTP/1.1) or header list
	// (HTTP/2). Clients send a handful of short headers.
	MaxHeaderBytes = 64 << 10

	// ReadHeaderTimeout is how long a new HTTP/1.1 connection, or the next
	// request on a kept-alive one, may take to send its headers (the
	// HTTP/2 preface goes through the same reading). A half-sent request
	// is dropped after it.
	ReadHeaderTimeout = 5 * time.Second

	// RequestReadTimeout is how long a request may take to send its body,
	// counted from when its handler starts. A stalled body is dropped
	// after it, on HTTP/1.1 and per stream on HTTP/2.
	RequestReadTimeout = 10 * time.Second

	// IdleTimeout closes a connection that has held no handle and had no
	// call in flight for this long. A connection that holds handles is
	// never closed for idleness: its handles live as long as the client,
	// as a process's do on Windows.
	IdleTimeout = 60 * time.Second

	// MaxConnsPerUser is how many connections one ordinary user (one uid)
	// may hold at once. Administrators (root, and the owner of a per-user
	// SCM) are not counted against it. A connection past it is closed at
	// accept, before anything is read from it.
	MaxConnsPerUser = 256

	// MaxStreamsPerConn bounds the calls one connection may have in flight
	// at once (HTTP/2 concurrent streams). A status notification
	// (NotifyServiceStatusChange) holds its stream for as long as it
	// waits, and one client may watch many services while it starts them:
	// the bound is well above that, and MaxCallsPerUser is what holds an
	// ordinary user's total.
	MaxStreamsPerConn = 1000

	// MaxCallsPerUser is how many calls one ordinary user may have in
	// flight across all its connections; one more is refused at once (the
	// server is busy) rather than queued.
	MaxCallsPerUser = 1024

	// MaxBodiesPerUser is how many request bodies of one ordinary user
	// scmd receives at once; the others wait, within the same
	// RequestReadTimeout. With MaxRequestBytes it bounds the memory one
	// user's requests can hold while they arrive: 4 bodies of at most
	// 4 MiB, in buffers of at most twice that.
	MaxBodiesPerUser = 4

	// MaxLargeRepliesPerUser is how many calls whose reply grows with
	// what scmd holds (reading a whole event log, enumerating every
	// service) one ordinary user may have in flight; the others wait
	// their turn. A log's reply is at most its MaxSize and its text.
	MaxLargeRepliesPerUser = 2

	// AdminReserve is how many of the connection slots only administrators
	// may take: when ordinary users together hold all the others, root
	// (LocalSystem, Administrators) is still served.
	AdminReserve = 64

	// minFreeDescriptors is how many descriptors are kept away from client
	// connections at least, for the registry and event log files, the
	// listening socket and the services' control channels and pipes.
	minFreeDescriptors = 256
)

// connectionBudget raises the soft RLIMIT_NOFILE to the hard limit, as a
// daemon that serves many clients should, and returns how many client
// connections scmd accepts in all: half the descriptors, the other half left
// to services, the registry, the event log and everything else scmd opens.
func connectionBudget() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 512
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	n := lim.Cur
	if n > 1<<20 {
		n = 1 << 20
	}
	budget := int(n / 2)
	if int(n)-budget < minFreeDescriptors {
		budget = int(n) - minFreeDescriptors
	}
	if budget < 2*AdminReserve {
		budget = 2 * AdminReserve // too few descriptors to run well: keep the reserve meaningful
	}
	return budget
}
