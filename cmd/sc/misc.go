package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/sddl"
	"github.com/openscm/scm/windows"
)

func runGetKeyName(s *session, name string, args []string) int {
	return getName(s, "getkeyname", "GetServiceKeyName", s.conn.GetServiceKeyName, name, args)
}

func runGetDisplayName(s *session, name string, args []string) int {
	return getName(s, "getdisplayname", "GetServiceDisplayName", s.conn.GetServiceDisplayName, name, args)
}

func getName(s *session, verb, call string, fn func(*pb.GetNameRequest) (*pb.GetNameReply, error), name string, args []string) int {
	size, sized, ok := bufSize(args)
	if name == "" || !ok {
		return s.usage(verb)
	}
	if !sized {
		size = 4096
	}
	scm, code := s.openSCM(0)
	if code != 0 {
		return code
	}
	defer s.close(scm)
	r, err := client.Call(fn, &pb.GetNameRequest{Scm: scm, Name: name, BufChars: size})
	if err != nil {
		return s.failed(call, err)
	}
	if r.Win32Error != 0 {
		code := s.failed(call, windows.Errno(r.Win32Error))
		fmt.Fprintf(s.out, "[SC] %s needs %d bytes\n", call, r.CharsNeeded)
		return code
	}
	fmt.Fprintf(s.out, "[SC] %s SUCCESS\nName = %s\n", call, r.Name)
	return 0
}

// runLock takes the database lock and holds it until the user types u (or
// stdin ends), as sc.exe's lock does.
func runLock(s *session, name string, args []string) int {
	if name != "" {
		return s.usage("lock")
	}
	scm, code := s.openSCM(windows.SC_MANAGER_LOCK)
	if code != 0 {
		return code
	}
	defer s.close(scm)
	r, err := client.Call(s.conn.LockServiceDatabase, &pb.HandleRequest{Handle: scm})
	if err != nil {
		return s.failed("LockServiceDatabase", err)
	}
	fmt.Fprint(s.out, "\nActive LOCK on database\nIf you want to release the lock, type \"u\"\n")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if strings.EqualFold(strings.TrimSpace(in.Text()), "u") {
			break
		}
	}
	if _, err := client.Call(s.conn.UnlockServiceDatabase, &pb.HandleRequest{Handle: r.Handle}); err != nil {
		return s.failed("UnlockServiceDatabase", err)
	}
	fmt.Fprint(s.out, "[SC] UnlockServiceDatabase SUCCESS\n")
	return 0
}

func runQueryLock(s *session, name string, args []string) int {
	if name != "" {
		return s.usage("querylock")
	}
	scm, code := s.openSCM(windows.SC_MANAGER_QUERY_LOCK_STATUS)
	if code != 0 {
		return code
	}
	defer s.close(scm)
	r, err := client.Call(s.conn.QueryServiceLockStatus, &pb.HandleRequest{Handle: scm})
	if err != nil {
		return s.failed("QueryServiceLockStatus", err)
	}
	locked := "FALSE"
	if r.IsLocked {
		locked = "TRUE"
	}
	fmt.Fprintf(s.out, "[SC] QueryServiceLockStatus - Success\n        IsLocked      : %s\n        LockOwner     : %s\n        LockDuration  : %s (seconds since acquired)\n\n",
		locked, r.LockOwner, strconv.FormatUint(uint64(r.LockDuration), 10))
	return 0
}

// runSdShow shows the DACL and, for an administrator, the SACL too.
func runSdShow(s *session, name string, args []string) int {
	if name == "" || len(args) != 0 {
		return s.usage("sdshow")
	}
	info := uint32(sddl.DACLSecurityInformation | sddl.SACLSecurityInformation)
	access := uint32(windows.READ_CONTROL | windows.ACCESS_SYSTEM_SECURITY)
	out := s.out
	s.out = io.Discard // the first try is quiet: without the SACL right, retry without it
	h, code := s.openServiceOrSCM(name, access)
	s.out = out
	if code == int(windows.ERROR_ACCESS_DENIED) {
		info, access = sddl.DACLSecurityInformation, windows.READ_CONTROL
		h, code = s.openServiceOrSCM(name, access)
	} else if code != 0 {
		h, code = s.openServiceOrSCM(name, access)
	}
	if code != 0 {
		return code
	}
	defer s.close(h)
	r, err := client.Call(s.conn.QueryServiceObjectSecurity, &pb.SecurityRequest{Handle: h, SecurityInformation: info})
	if err != nil {
		return s.failed("QueryServiceObjectSecurity", err)
	}
	fmt.Fprintf(s.out, "\n%s\n\n", r.Sddl)
	return 0
}

func runSdSet(s *session, name string, args []string) int {
	if name == "" || len(args) != 1 {
		return s.usage("sdset")
	}
	d, err := sddl.Parse(args[0])
	if err != nil {
		return s.failed("SetServiceObjectSecurity", windows.ERROR_INVALID_SECURITY_DESCR)
	}
	var info, access uint32
	if d.DACLSet {
		info |= sddl.DACLSecurityInformation
		access |= windows.WRITE_DAC
	}
	if d.SACLSet {
		info |= sddl.SACLSecurityInformation
		access |= windows.ACCESS_SYSTEM_SECURITY
	}
	if d.Owner != "" || d.Group != "" {
		info |= sddl.OwnerSecurityInformation | sddl.GroupSecurityInformation
		access |= windows.WRITE_OWNER
	}
	h, code := s.openServiceOrSCM(name, access)
	if code != 0 {
		return code
	}
	defer s.close(h)
	if _, err := client.Call(s.conn.SetServiceObjectSecurity, &pb.SetSecurityRequest{Handle: h, SecurityInformation: info, Sddl: args[0]}); err != nil {
		return s.failed("SetServiceObjectSecurity", err)
	}
	fmt.Fprint(s.out, "[SC] SetServiceObjectSecurity SUCCESS\n")
	return 0
}

// openServiceOrSCM opens a service, or the SCM itself for the name
// "scmanager", as sc.exe's sdshow and sdset do.
func (s *session) openServiceOrSCM(name string, access uint32) (uint64, int) {
	if strings.EqualFold(name, "scmanager") {
		return s.openSCM(access)
	}
	return s.openService(name, access, "")
}
