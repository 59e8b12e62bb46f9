package e2e

import (
	"testing"
	"unsafe"

	"github.com/openscm/scm/windows"
)

// notified is what a NotifyServiceStatusChange callback saw.
type notified struct {
	triggered, status, state uint32
	names                    string
}

// waitNotified waits alertably, as a Windows program does, until the
// callback has run.
func waitNotified(t *testing.T, got chan notified) notified {
	t.Helper()
	for i := 0; i < 200; i++ {
		select {
		case n := <-got:
			return n
		default:
		}
		windows.SleepEx(100, true)
	}
	t.Fatal("no notification")
	return notified{}
}

// TestRawNotifyServiceStatusChange drives NotifyServiceStatusChange as
// Windows programs do: register a callback, ask for a state, wait
// alertably. A service already in the state calls back at once; one that
// gets there later calls back then; the SCM's handle hears of services
// created ("/" before the name) and deleted; a service marked for deletion
// calls back with ERROR_SERVICE_MARKED_FOR_DELETE and refuses new requests.
func TestRawNotifyServiceStatusChange(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	s := installTestService(t, m, "notified")

	got := make(chan notified, 1)
	cb := windows.NewCallback(func(p *windows.SERVICE_NOTIFY) uintptr {
		got <- notified{p.NotificationTriggered, p.NotificationStatus, p.ServiceStatus.CurrentState, multiUTF16(p.ServiceNames)}
		return 0
	})
	var n windows.SERVICE_NOTIFY
	n.Version = windows.SERVICE_NOTIFY_STATUS_CHANGE
	n.NotifyCallback = cb

	if err := windows.NotifyServiceStatusChange(s.Handle, windows.SERVICE_NOTIFY_STOPPED, &n); err != nil {
		t.Fatal(err)
	}
	if r := waitNotified(t, got); r.triggered != windows.SERVICE_NOTIFY_STOPPED || r.state != windows.SERVICE_STOPPED {
		t.Errorf("already stopped: %+v", r)
	}

	if err := windows.NotifyServiceStatusChange(s.Handle, windows.SERVICE_NOTIFY_RUNNING, &n); err != nil {
		t.Fatal(err)
	}
	if windows.SleepEx(0, true) != 0 {
		t.Fatal("called back before the service ran")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if r := waitNotified(t, got); r.triggered != windows.SERVICE_NOTIFY_RUNNING || r.state != windows.SERVICE_RUNNING || r.status != 0 {
		t.Errorf("started: %+v", r)
	}

	scm, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseServiceHandle(scm)
	if err := windows.NotifyServiceStatusChange(scm, windows.SERVICE_NOTIFY_CREATED, &n); err != nil {
		t.Fatal(err)
	}
	other := installTestService(t, m, "newcomer")
	if r := waitNotified(t, got); r.triggered != windows.SERVICE_NOTIFY_CREATED || r.names != "/newcomer" {
		t.Errorf("created: %+v", r)
	}
	if err := windows.NotifyServiceStatusChange(scm, windows.SERVICE_NOTIFY_DELETED, &n); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if r := waitNotified(t, got); r.triggered != windows.SERVICE_NOTIFY_DELETED || r.names != "newcomer" {
		t.Errorf("deleted: %+v", r)
	}

	if err := windows.NotifyServiceStatusChange(s.Handle, windows.SERVICE_NOTIFY_PAUSED, &n); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(); err != nil {
		t.Fatal(err)
	}
	if r := waitNotified(t, got); r.status != uint32(windows.ERROR_SERVICE_MARKED_FOR_DELETE) {
		t.Errorf("marked for deletion: %+v", r)
	}
	if err := windows.NotifyServiceStatusChange(s.Handle, windows.SERVICE_NOTIFY_STOPPED, &n); err != windows.ERROR_SERVICE_MARKED_FOR_DELETE {
		t.Errorf("a request on a marked service: %v", err)
	}
	if err := windows.NotifyServiceStatusChange(s.Handle, windows.SERVICE_NOTIFY_STOPPED, &windows.SERVICE_NOTIFY{Version: 1, NotifyCallback: cb}); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("version 1: %v", err)
	}
}

// TestRawServiceObjectSecurity reads a service's descriptor in the
// self-relative form, sizing call first, and writes a new DACL through
// one made from SDDL.
func TestRawServiceObjectSecurity(t *testing.T) {
	m := startSCMDShortTimeouts(t)
	s := installTestService(t, m, "guarded")

	var needed uint32
	if err := windows.QueryServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, nil, 0, &needed); err != windows.ERROR_INSUFFICIENT_BUFFER || needed < 20 {
		t.Fatalf("sizing call: %v, %d bytes", err, needed)
	}
	buf := make([]uint64, (needed+7)/8)
	sd := (*windows.SECURITY_DESCRIPTOR)(unsafe.Pointer(&buf[0]))
	if err := windows.QueryServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, sd, needed, &needed); err != nil {
		t.Fatal(err)
	}
	const dflt = "D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;CCLCSWLOCRRC;;;IU)(A;;CCLCSWLOCRRC;;;SU)"
	if got := sd.String(); got != dflt {
		t.Errorf("default DACL:\n got %s\nwant %s", got, dflt)
	}
	if sd.Length() != needed || !sd.IsValid() {
		t.Errorf("Length %d of %d bytes; valid %v", sd.Length(), needed, sd.IsValid())
	}
	if c, rev, err := sd.Control(); err != nil || c&windows.SE_SELF_RELATIVE == 0 || c&windows.SE_DACL_PRESENT == 0 || rev != 1 {
		t.Errorf("Control: %#x %d %v", c, rev, err)
	}

	n, err := windows.SecurityDescriptorFromString("D:(A;;GA;;;SY)(A;;GR;;;IU)")
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, n); err != nil {
		t.Fatal(err)
	}
	windows.QueryServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, nil, 0, &needed)
	buf = make([]uint64, (needed+7)/8)
	sd = (*windows.SECURITY_DESCRIPTOR)(unsafe.Pointer(&buf[0]))
	if err := windows.QueryServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, sd, needed, &needed); err != nil {
		t.Fatal(err)
	}
	if got := sd.String(); got != "D:(A;;GA;;;SY)(A;;GR;;;IU)" {
		t.Errorf("after SetServiceObjectSecurity: %s", got)
	}
	if _, err := windows.SecurityDescriptorFromString("D:(A;;ZZ;;;SY)"); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("bad SDDL: %v", err)
	}
	if err := windows.SetServiceObjectSecurity(s.Handle, windows.DACL_SECURITY_INFORMATION, (*windows.SECURITY_DESCRIPTOR)(unsafe.Pointer(&make([]uint64, 4)[0]))); err != windows.ERROR_INVALID_SECURITY_DESCR {
		t.Errorf("a zeroed descriptor: %v", err)
	}
}

func multiUTF16(p *uint16) string {
	if p == nil {
		return ""
	}
	return windows.UTF16PtrToString(p)
}
