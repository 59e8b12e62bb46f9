package mgr_test

import (
	"reflect"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/mgr"
)

func connect(t *testing.T) *mgr.Mgr {
	t.Helper()
	m, err := mgr.Connect()
	if err != nil {
		t.Fatalf("SCM connection failed: %s", err)
	}
	t.Cleanup(func() { m.Disconnect() })
	return m
}

func install(t *testing.T, m *mgr.Mgr, name, exepath string, c mgr.Config) *mgr.Service {
	t.Helper()
	s, err := m.CreateService(name, exepath, c)
	if err != nil {
		t.Fatalf("CreateService(%s) failed: %v", name, err)
	}
	return s
}

func testConfig(t *testing.T, s *mgr.Service, should mgr.Config) mgr.Config {
	t.Helper()
	is, err := s.Config()
	if err != nil {
		t.Fatalf("Config failed: %s", err)
	}
	if should.DelayedAutoStart != is.DelayedAutoStart {
		t.Fatalf("config mismatch: DelayedAutoStart is %v, but should have %v", is.DelayedAutoStart, should.DelayedAutoStart)
	}
	if should.DisplayName != is.DisplayName {
		t.Fatalf("config mismatch: DisplayName is %q, but should have %q", is.DisplayName, should.DisplayName)
	}
	if should.StartType != is.StartType {
		t.Fatalf("config mismatch: StartType is %v, but should have %v", is.StartType, should.StartType)
	}
	if should.Description != is.Description {
		t.Fatalf("config mismatch: Description is %q, but should have %q", is.Description, should.Description)
	}
	if !reflect.DeepEqual(should.Dependencies, is.Dependencies) {
		t.Fatalf("config mismatch: Dependencies is %v, but should have %v", is.Dependencies, should.Dependencies)
	}
	if should.BinaryPathName != "" && should.BinaryPathName != is.BinaryPathName {
		t.Fatalf("config mismatch: BinaryPathName is %q, but should have %q", is.BinaryPathName, should.BinaryPathName)
	}
	return is
}

// TestMyService follows upstream's test of the same name: every Config field
// round trips through UpdateConfig and Config, and the recovery settings
// through their setters.
func TestMyService(t *testing.T) {
	scmtest.Start(t)
	m := connect(t)
	const name = "mgrtestservice"
	c := mgr.Config{
		StartType:    mgr.StartDisabled,
		DisplayName:  "x-sys mgr test service",
		Description:  "x-sys mgr test service is just a test",
		Dependencies: []string{"LanmanServer", "W32Time"}, // neither exists here, as Windows allows
	}
	exepath := "/opt/my service/bin/svc"
	install(t, m, name, exepath, c).Close()

	s, err := m.OpenService(name)
	if err != nil {
		t.Fatalf("service %s is not installed", name)
	}
	defer s.Close()

	c.BinaryPathName = `"/opt/my service/bin/svc"`
	c = testConfig(t, s, c)

	c.StartType = mgr.StartManual
	if err := s.UpdateConfig(c); err != nil {
		t.Fatalf("UpdateConfig failed: %v", err)
	}
	testConfig(t, s, c)

	c.StartType = mgr.StartAutomatic
	c.DelayedAutoStart = true
	c.SidType = windows.SERVICE_SID_TYPE_UNRESTRICTED
	c.Description = "changed"
	c.DisplayName = "changed display"
	c.Dependencies = []string{"Other", "+Group"}
	c.LoadOrderGroup = "MyGroup"
	c.ErrorControl = mgr.ErrorSevere
	if err := s.UpdateConfig(c); err != nil {
		t.Fatalf("UpdateConfig failed: %v", err)
	}
	got := testConfig(t, s, c)
	if got.SidType != c.SidType || got.LoadOrderGroup != "MyGroup" || got.ErrorControl != mgr.ErrorSevere {
		t.Fatalf("config mismatch: %+v", got)
	}
	if got.ServiceStartName != "LocalSystem" || got.ServiceType != windows.SERVICE_WIN32_OWN_PROCESS {
		t.Fatalf("defaults: %+v", got)
	}

	names, err := m.ListServices()
	if err != nil {
		t.Fatalf("ListServices failed: %v", err)
	}
	if !contains(names, name) {
		t.Errorf("ListServices failed to find %q service in %v", name, names)
	}

	testRecovery(t, s)

	st, err := s.Query()
	if err != nil {
		t.Fatal(err)
	}
	if st.State != svc.Stopped || st.Win32ExitCode != uint32(windows.ERROR_SERVICE_NEVER_STARTED) {
		t.Errorf("status of a never started service: %+v", st)
	}

	if err := s.Delete(); err != nil {
		t.Fatalf("Delete failed: %s", err)
	}
	if err := s.Delete(); err != windows.ERROR_SERVICE_MARKED_FOR_DELETE {
		t.Fatalf("second Delete: got %v, want ERROR_SERVICE_MARKED_FOR_DELETE", err)
	}
	if err := s.UpdateConfig(c); err != windows.ERROR_SERVICE_MARKED_FOR_DELETE {
		t.Fatalf("UpdateConfig of a deleted service: %v", err)
	}
	s.Close()
	if _, err := m.OpenService(name); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Fatalf("OpenService after delete and close: got %v, want ERROR_SERVICE_DOES_NOT_EXIST", err)
	}
}

func testRecovery(t *testing.T, s *mgr.Service) {
	if err := s.SetRecoveryActions(nil, 0); err == nil || err.Error() != "recoveryActions cannot be nil" {
		t.Fatalf("SetRecoveryActions(nil): %v", err)
	}
	actions := []mgr.RecoveryAction{
		{Type: mgr.ComputerReboot, Delay: 60 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 4 * time.Minute},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.RunCommand, Delay: 4000 * time.Millisecond},
		{Type: mgr.NoAction},
	}
	if err := s.SetRecoveryActions(actions, uint32(10000)); err != nil {
		t.Fatalf("SetRecoveryActions failed: %v", err)
	}
	got, err := s.RecoveryActions()
	if err != nil || !reflect.DeepEqual(got, actions) {
		t.Fatalf("RecoveryActions = %v, %v; want %v", got, err, actions)
	}
	if p, err := s.ResetPeriod(); err != nil || p != 10000 {
		t.Fatalf("ResetPeriod = %d, %v", p, err)
	}

	// Each setter changes its own field only.
	if err := s.SetRebootMessage("mgrtestservice failed"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecoveryCommand("sc query mgrtestservice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		t.Fatal(err)
	}
	if msg, _ := s.RebootMessage(); msg != "mgrtestservice failed" {
		t.Errorf("RebootMessage = %q", msg)
	}
	if cmd, _ := s.RecoveryCommand(); cmd != "sc query mgrtestservice" {
		t.Errorf("RecoveryCommand = %q", cmd)
	}
	if flag, _ := s.RecoveryActionsOnNonCrashFailures(); !flag {
		t.Error("RecoveryActionsOnNonCrashFailures = false")
	}
	if got, _ := s.RecoveryActions(); !reflect.DeepEqual(got, actions) {
		t.Errorf("actions changed by the other setters: %v", got)
	}

	// Empty strings delete.
	s.SetRebootMessage("")
	s.SetRecoveryCommand("")
	if msg, _ := s.RebootMessage(); msg != "" {
		t.Errorf("RebootMessage after delete = %q", msg)
	}
	if cmd, _ := s.RecoveryCommand(); cmd != "" {
		t.Errorf("RecoveryCommand after delete = %q", cmd)
	}

	if err := s.ResetRecoveryActions(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RecoveryActions(); err != nil || got != nil {
		t.Errorf("RecoveryActions after reset = %v, %v", got, err)
	}
	if p, _ := s.ResetPeriod(); p != 0 {
		t.Errorf("ResetPeriod after reset = %d", p)
	}
}

func TestListDependentServices(t *testing.T) {
	scmtest.Start(t)
	m := connect(t)
	base := install(t, m, "testservice1", "", mgr.Config{})
	defer base.Close()
	dep := install(t, m, "testservice2", "", mgr.Config{Dependencies: []string{"testservice1"}})
	defer dep.Close()
	deeper := install(t, m, "testservice3", "", mgr.Config{Dependencies: []string{"testservice2"}})
	defer deeper.Close()

	got, err := base.ListDependentServices(svc.AnyActivity)
	if err != nil {
		t.Fatalf("ListDependentServices failed: %v", err)
	}
	// Stop order: the deepest dependent first.
	if want := []string{"testservice3", "testservice2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dependents = %v, want %v", got, want)
	}
	if got, _ := base.ListDependentServices(svc.Active); len(got) != 0 {
		t.Errorf("active dependents of stopped services: %v", got)
	}
	if got, _ := deeper.ListDependentServices(svc.AnyActivity); len(got) != 0 {
		t.Errorf("found %v, where no service should be listed", got)
	}
}

func TestErrors(t *testing.T) {
	scmtest.Start(t)
	m := connect(t)
	install(t, m, "one", "/bin/true", mgr.Config{DisplayName: "One"}).Close()
	cases := []struct {
		name string
		c    mgr.Config
		want error
	}{
		{"one", mgr.Config{}, windows.ERROR_SERVICE_EXISTS},
		{"ONE", mgr.Config{}, windows.ERROR_SERVICE_EXISTS},
		{"two", mgr.Config{DisplayName: "one"}, windows.ERROR_DUPLICATE_SERVICE_NAME},
		{"a\\b", mgr.Config{}, windows.ERROR_INVALID_NAME},
		{"", mgr.Config{}, windows.ERROR_INVALID_NAME},
		{"three", mgr.Config{StartType: windows.SERVICE_SYSTEM_START}, windows.ERROR_INVALID_PARAMETER},
		{"four", mgr.Config{ErrorControl: 9}, windows.ERROR_INVALID_PARAMETER},
		{"five", mgr.Config{Dependencies: []string{"five"}}, windows.ERROR_CIRCULAR_DEPENDENCY},
		{"six", mgr.Config{SidType: 7}, windows.ERROR_INVALID_PARAMETER},
	}
	for _, tc := range cases {
		_, err := m.CreateService(tc.name, "/bin/true", tc.c)
		if err != tc.want {
			t.Errorf("CreateService(%q, %+v) = %v, want %v", tc.name, tc.c, err, tc.want)
		}
	}
	// A failed optional setting undoes the create, as upstream does.
	if _, err := m.OpenService("six"); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("service left behind after a failed CreateService: %v", err)
	}
	if _, err := m.OpenService("nosuch"); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("OpenService(nosuch) = %v", err)
	}
	if _, err := mgr.ConnectRemote(`\\elsewhere`); err != windows.RPC_S_SERVER_UNAVAILABLE {
		t.Errorf("ConnectRemote = %v", err)
	}
	if st, err := m.LockStatus(); err != nil || st.IsLocked {
		t.Errorf("LockStatus = %+v, %v", st, err)
	}
	// An Errno is syscall's, as in x/sys: programs type-assert it so.
	// Windows' text comes from FormatMessage.
	_, err := m.OpenService("nosuch")
	if errno, ok := err.(syscall.Errno); !ok || errno != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("OpenService(nosuch) = %#v, want syscall.Errno 1060", err)
	}
	buf := make([]uint16, 300)
	n, ferr := windows.FormatMessage(windows.FORMAT_MESSAGE_FROM_SYSTEM|windows.FORMAT_MESSAGE_IGNORE_INSERTS, 0, uint32(windows.ERROR_SERVICE_DOES_NOT_EXIST), 0, buf, nil)
	if got := string(utf16.Decode(buf[:n])); ferr != nil || got != "The specified service does not exist as an installed service.\r\n" {
		t.Errorf("FormatMessage(1060) = %q, %v", got, ferr)
	}
}

// A handle is the process's, as on Windows: one windows.OpenSCManager or
// windows.OpenService returned serves mgr.Mgr{Handle: h} and
// mgr.Service{Handle: h}, and a service marked for delete goes when its
// last handle, opened either way, is closed.
func TestRawHandles(t *testing.T) {
	scmtest.Start(t)
	m := connect(t)
	s := install(t, m, "held", "/bin/true", mgr.Config{})
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT|windows.SC_MANAGER_ENUMERATE_SERVICE)
	if err != nil {
		t.Fatal(err)
	}
	raw := &mgr.Mgr{Handle: h}
	defer raw.Disconnect()
	sh, err := windows.OpenService(raw.Handle, windows.StringToUTF16Ptr("held"), windows.SERVICE_QUERY_STATUS|windows.SERVICE_START|windows.SERVICE_STOP)
	if err != nil {
		t.Fatal(err)
	}
	rs := &mgr.Service{Handle: sh, Name: "held"}
	if st, err := rs.Query(); err != nil || st.State != svc.Stopped {
		t.Errorf("Query through a raw handle = %+v, %v", st, err)
	}
	if _, err := windows.OpenService(h, windows.StringToUTF16Ptr("nosuch"), windows.SERVICE_QUERY_STATUS); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("OpenService(nosuch) = %v", err)
	}
	if names, err := raw.ListServices(); err != nil || !contains(names, "held") {
		t.Errorf("ListServices through a raw handle = %v, %v", names, err)
	}
	if err := s.Delete(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if names, _ := m.ListServices(); !contains(names, "held") {
		t.Errorf("held went while a raw handle still had it open: %v", names)
	}
	if _, err := m.CreateService("held", "/bin/true", mgr.Config{}); err != windows.ERROR_SERVICE_MARKED_FOR_DELETE {
		t.Fatalf("CreateService over a service marked for delete = %v", err)
	}
	rs.Close()
	if names, _ := m.ListServices(); contains(names, "held") {
		t.Errorf("held still listed after its last handle closed: %v", names)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ListServicesStatus is EnumServicesStatusEx through mgr: display names
// and status, filtered by state and by load-order group.
func TestListServicesStatus(t *testing.T) {
	scmtest.Start(t)
	m := connect(t)
	for _, c := range []struct{ name, group string }{{"grouped1", "net"}, {"grouped2", "net"}, {"loner", ""}} {
		s := install(t, m, c.name, "", mgr.Config{DisplayName: "Display " + c.name, LoadOrderGroup: c.group})
		s.Close()
	}
	names := func(list []mgr.ServiceEntry) (out []string) {
		for _, e := range list {
			out = append(out, e.Name)
		}
		return out
	}
	net, none := "net", ""
	for _, c := range []struct {
		group *string
		want  []string
	}{{&net, []string{"grouped1", "grouped2"}}, {&none, []string{"loner"}}, {nil, []string{"grouped1", "grouped2", "loner"}}} {
		list, err := m.ListServicesStatus(windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL, c.group)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(list); !reflect.DeepEqual(got, c.want) {
			t.Errorf("group %v: %v, want %v", c.group, got, c.want)
		}
		for _, e := range list {
			if e.DisplayName != "Display "+e.Name || e.Status.State != svc.Stopped || e.ServiceType != windows.SERVICE_WIN32_OWN_PROCESS {
				t.Errorf("%+v", e)
			}
		}
	}
	if list, err := m.ListServicesStatus(windows.SERVICE_WIN32, windows.SERVICE_ACTIVE, nil); err != nil || len(list) != 0 {
		t.Errorf("active: %v, %v", names(list), err)
	}
	if _, err := m.ListServicesStatus(windows.SERVICE_WIN32, 0, nil); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("state 0: %v", err)
	}
}
