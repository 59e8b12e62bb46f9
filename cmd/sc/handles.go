package main

import (
	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
)

// openSCM opens the SCM with the access a verb needs; on failure it has
// printed sc.exe's message and returns the exit code.
func (s *session) openSCM(access uint32) (uint64, int) {
	r, err := client.Call(s.conn.OpenSCManager, &pb.OpenSCManagerRequest{Machine: s.machine, DesiredAccess: access})
	if err != nil {
		return 0, s.failed("OpenSCManager", err)
	}
	return r.Handle, 0
}

// openService opens a service; prefix names the sc.exe step in messages
// (sc query says "EnumQueryServicesStatus:OpenService").
func (s *session) openService(name string, access uint32, prefix string) (uint64, int) {
	scm, code := s.openSCM(0)
	if code != 0 {
		return 0, code
	}
	r, err := client.Call(s.conn.OpenService, &pb.OpenServiceRequest{Scm: scm, ServiceName: name, DesiredAccess: access})
	s.close(scm)
	if err != nil {
		return 0, s.failed(prefix+"OpenService", err)
	}
	return r.Handle, 0
}

// close is where sc.exe calls CloseServiceHandle. sc runs one verb and
// closes its connection, and with it every handle it opened: a round trip
// per handle on the way would only delay the answer.
func (s *session) close(h uint64) {}
