package client

import (
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"

	"github.com/openscm/scm/internal/api/scmmsg"
)

// A process reaches other machines' SCMs with the same calls and handles
// it uses for its own, as on Windows, where a handle from
// OpenSCManager(\\host) carries its RPC binding with it. On the process's
// shared connection, a request that names another machine goes to that
// machine's SCM (over DialRemote), and the handles it returns carry that
// machine in their top byte; a request made with such a handle goes to
// the same machine, with the handle as that SCM knows it.
const (
	hostShift = 56
	hostMask  = 0xff << hostShift
	maxHosts  = 255
)

var errInvalidHandle = syscall.Errno(6) // ERROR_INVALID_HANDLE

// remotes are the process's connections to other machines, by tag.
var remotes struct {
	mu     sync.Mutex
	conns  []*Conn // conns[tag-1]
	byHost map[string]uint64
}

// remoteTag is the tag of host's connection, made on first use.
func remoteTag(host string) (uint64, error) {
	key := strings.ToLower(host)
	remotes.mu.Lock()
	defer remotes.mu.Unlock()
	if tag, ok := remotes.byHost[key]; ok {
		return tag, nil
	}
	if len(remotes.conns) == maxHosts {
		return 0, syscall.Errno(1450) // ERROR_NO_SYSTEM_RESOURCES
	}
	if remotes.byHost == nil {
		remotes.byHost = map[string]uint64{}
	}
	remotes.conns = append(remotes.conns, DialRemote(host))
	tag := uint64(len(remotes.conns))
	remotes.byHost[key] = tag
	return tag, nil
}

// remoteConn is the connection of a tag, nil if no connection has it.
func remoteConn(tag uint64) *Conn {
	remotes.mu.Lock()
	defer remotes.mu.Unlock()
	if tag > uint64(len(remotes.conns)) {
		return nil
	}
	return remotes.conns[tag-1]
}

// Remote is the process's connection to host's SCM, made on first use
// and kept, as Shared is for this machine's: calls that name the machine
// by path rather than by handle (the registry's) go through it.
func Remote(host string) (*Conn, error) {
	tag, err := remoteTag(host)
	if err != nil {
		return nil, err
	}
	return remoteConn(tag), nil
}

// IsLocalMachine reports whether a machine name ("", ".", "localhost", this
// host's name, with or without the leading backslashes) is this machine.
func IsLocalMachine(machine string) bool {
	name := strings.TrimPrefix(machine, `\\`)
	if name == "" || name == "." || strings.EqualFold(name, "localhost") {
		return true
	}
	host, _ := os.Hostname()
	return strings.EqualFold(name, host)
}

// routed is what a request's type holds that routing reads: the index of
// its Machine field, and of its handle fields (Handle, Scm); -1 for none.
type routed struct {
	machine int
	handles []int
}

var routedTypes sync.Map // reflect.Type → *routed

func routingOf(t reflect.Type) *routed {
	if r, ok := routedTypes.Load(t); ok {
		return r.(*routed)
	}
	r := &routed{machine: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch {
		case f.Name == "Machine" && f.Type.Kind() == reflect.String:
			r.machine = i
		case (f.Name == "Handle" || f.Name == "Scm") && f.Type.Kind() == reflect.Uint64:
			r.handles = append(r.handles, i)
		}
	}
	routedTypes.Store(t, r)
	return r
}

// route finds the SCM a request of the shared connection is for. It
// returns the connection and tag to use and the request as that SCM must
// see it; tag 0 is this machine's SCM, and req as it came.
func route(req scmmsg.Message) (*Conn, uint64, scmmsg.Message, error) {
	v := reflect.ValueOf(req).Elem()
	r := routingOf(v.Type())
	var tag uint64
	if r.machine >= 0 {
		if m := v.Field(r.machine).String(); !IsLocalMachine(m) {
			t, err := remoteTag(strings.TrimPrefix(m, `\\`))
			if err != nil {
				return nil, 0, nil, err
			}
			tag = t
		}
	}
	for _, i := range r.handles {
		h := v.Field(i).Uint()
		if h == 0 {
			continue
		}
		switch t := h >> hostShift; {
		case tag == 0:
			tag = t
		case t != tag:
			return nil, 0, nil, errInvalidHandle // handles of two machines in one call
		}
	}
	if tag == 0 {
		return nil, 0, req, nil
	}
	rc := remoteConn(tag)
	if rc == nil {
		return nil, 0, nil, errInvalidHandle
	}
	// The remote SCM gets a copy: the machine is itself, the handles its
	// own.
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	if r.machine >= 0 {
		c.Elem().Field(r.machine).SetString("")
	}
	for _, i := range r.handles {
		f := c.Elem().Field(i)
		f.SetUint(f.Uint() &^ hostMask)
	}
	return rc, tag, c.Interface().(scmmsg.Message), nil
}

// tagReply marks the handle a remote SCM returned as that machine's.
func tagReply(res scmmsg.Message, tag uint64) {
	v := reflect.ValueOf(res).Elem()
	if f := v.FieldByName("Handle"); f.IsValid() && f.Kind() == reflect.Uint64 && f.Uint() != 0 {
		f.SetUint(f.Uint() | tag<<hostShift)
	}
}
