package manager

import (
	"strings"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/sddl"
	"github.com/openscm/scm/windows"
)

// Every string and count a call carries is held to Windows' limit; past it
// the call fails with Windows' code and nothing is stored.
func TestOversizedInputRefused(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	svc := f.create(scm, "Sized", "")
	long := func(n int) string { return strings.Repeat("x", n) }
	ptr := func(s string) *string { return &s }
	const guid = "bc90d167-9470-4139-a9ba-be0bbbf5b74d"
	trigger := func(items, size int) *pb.Trigger {
		tr := &pb.Trigger{Type: windows.SERVICE_TRIGGER_TYPE_CUSTOM, Action: windows.SERVICE_TRIGGER_ACTION_SERVICE_START, Subtype: guid}
		for i := 0; i < items; i++ {
			tr.Data = append(tr.Data, &pb.TriggerData{Type: windows.SERVICE_TRIGGER_DATA_TYPE_BINARY, Data: make([]byte, size)})
		}
		return tr
	}
	triggers := func(n int) []*pb.Trigger {
		var ts []*pb.Trigger
		for i := 0; i < n; i++ {
			ts = append(ts, trigger(1, 4))
		}
		return ts
	}
	create := func(name, path string, deps ...string) error {
		_, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{
			Scm: scm, ServiceName: name, DesiredAccess: windows.SERVICE_ALL_ACCESS,
			ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START,
			BinaryPathName: path, Dependencies: deps,
		})
		return err
	}
	manyDeps := func(total int) []string { // UTF-16 bytes of the list, about
		var d []string
		for n := 2; n < total; n += 2 * 11 {
			d = append(d, long(10))
		}
		return d
	}
	manyArgs := func(n int) []string { return strings.Split(long(n-1)+"x", "")[:n] }

	cases := []struct {
		name string
		call func() error
		want windows.Errno
	}{
		{"description of 8,193 characters", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DESCRIPTION, Description: ptr(long(8193))})
		}, windows.ERROR_INVALID_PARAMETER},
		{"failure command of 8,193 characters", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: &pb.FailureActions{Command: ptr(long(8193))}})
		}, windows.ERROR_INVALID_PARAMETER},
		{"reboot message of 8,193 characters", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: &pb.FailureActions{RebootMsg: ptr(long(8193))}})
		}, windows.ERROR_INVALID_PARAMETER},
		{"65 triggers", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO, Triggers: triggers(65)})
		}, windows.ERROR_INVALID_PARAMETER},
		{"65 trigger data items", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO, Triggers: []*pb.Trigger{trigger(65, 4)}})
		}, windows.ERROR_INVALID_PARAMETER},
		{"trigger data item of 1,025 bytes", func() error {
			return f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO, Triggers: []*pb.Trigger{trigger(1, 1025)}})
		}, windows.ERROR_INVALID_PARAMETER},
		{"binary path of 32,768 characters", func() error {
			return create("LongPath", "/"+long(32767))
		}, windows.ERROR_INVALID_PARAMETER},
		{"dependencies over 4,096 bytes", func() error {
			return create("ManyDeps", "/bin/true", manyDeps(4200)...)
		}, windows.ERROR_INVALID_PARAMETER},
		{"binary path change of 32,768 characters", func() error {
			_, err := f.m.ChangeServiceConfig(f.root, &pb.ChangeServiceConfigRequest{Handle: svc, BinaryPathName: ptr("/" + long(32767))})
			return err
		}, windows.ERROR_INVALID_PARAMETER},
		{"1,025 start arguments", func() error {
			return f.m.StartService(f.root, svc, manyArgs(1025))
		}, windows.ERROR_INVALID_PARAMETER},
		{"start argument of 1,024 characters", func() error {
			return f.m.StartService(f.root, svc, []string{long(1024)})
		}, windows.ERROR_INVALID_PARAMETER},
		{"registry value of 1 MiB and a byte", func() error {
			return f.m.RegSetValue(f.root, `HKLM\SOFTWARE\Sized`, &pb.RegValue{Name: "big", Type: 3, Data: make([]byte, 1<<20+1)})
		}, windows.ERROR_INVALID_PARAMETER},
		{"registry key 513 levels deep", func() error {
			return f.m.RegCreateKey(f.root, `HKLM\SOFTWARE`+strings.Repeat(`\k`, 512))
		}, windows.ERROR_INVALID_PARAMETER},
		{"SDDL of 65,537 characters", func() error {
			return f.m.SetServiceObjectSecurity(f.root, svc, sddl.DACLSecurityInformation, "D:"+strings.Repeat("(A;;GA;;;SY)", 65536/12+1))
		}, windows.ERROR_INVALID_SECURITY_DESCR},
		{"control with 64 KiB and a byte of event data", func() error {
			_, err := f.m.ControlService(f.root, &pb.ControlServiceRequest{Handle: svc, Control: 128, EventData: make([]byte, 64<<10+1)})
			return err
		}, windows.ERROR_INVALID_PARAMETER},
		{"custom trigger with 65 data items", func() error {
			return f.m.FireCustom(f.root, guid, strings.Split(long(65), ""))
		}, windows.ERROR_INVALID_PARAMETER},
	}
	for _, c := range cases {
		if err := c.call(); err != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}

	// Nothing was stored.
	cfg2, err := f.m.QueryServiceConfig2(f.root, svc, windows.SERVICE_CONFIG_DESCRIPTION)
	if err != nil || cfg2.GetDescription() != "" {
		t.Errorf("description stored: %q, %v", cfg2.GetDescription(), err)
	}
	for _, name := range []string{"LongPath", "ManyDeps"} {
		if _, err := f.m.OpenService(f.root, scm, name, windows.SERVICE_QUERY_STATUS); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
			t.Errorf("service %s: got %v, want it not created", name, err)
		}
	}
	if k, err := f.m.RegQueryKey(f.root, `HKLM\SOFTWARE\Sized`, false); err == nil && len(k.Values) > 0 {
		t.Errorf("registry value stored")
	}

	// At the limits, the same calls succeed.
	if err := f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DESCRIPTION, Description: ptr(long(8192))}); err != nil {
		t.Errorf("description of 8,192 characters: %v", err)
	}
	if err := f.m.ChangeServiceConfig2(f.root, svc, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_TRIGGER_INFO, Triggers: append(triggers(63), trigger(64, 1024))}); err != nil {
		t.Errorf("64 triggers, 64 data items of 1,024 bytes: %v", err)
	}
	if err := f.m.RegSetValue(f.root, `HKLM\SOFTWARE\Sized`, &pb.RegValue{Name: "big", Type: 3, Data: make([]byte, 1<<20)}); err != nil {
		t.Errorf("registry value of 1 MiB: %v", err)
	}
	if err := create("MaxPath", "/"+long(32766)); err != nil {
		t.Errorf("binary path of 32,767 characters: %v", err)
	}
	if err := f.m.StartService(f.root, svc, append(manyArgs(1023), long(1023))); err == windows.ERROR_INVALID_PARAMETER {
		t.Errorf("1,024 arguments, the last of 1,023 characters: %v", err)
	}
}

// A client's handles are capped; when it goes, everything it held goes.
func TestClientGoneFreesEverything(t *testing.T) {
	f := newFixture(t)
	c := Caller{Client: 7, Token: f.root.Token}
	scm := f.scm(f.root)
	svc := f.create(scm, "Held", "")
	_ = svc
	for i := 0; i < MaxHandlesPerClient; i++ {
		if _, err := f.m.OpenSCManager(c, "", "", windows.SC_MANAGER_CONNECT); err != nil {
			t.Fatalf("handle %d: %v", i+1, err)
		}
	}
	if _, err := f.m.OpenSCManager(c, "", "", windows.SC_MANAGER_CONNECT); err != windows.ERROR_NO_SYSTEM_RESOURCES {
		t.Fatalf("past the cap: got %v, want %v", err, windows.ERROR_NO_SYSTEM_RESOURCES)
	}
	if _, err := f.m.OpenService(c, scm, "Held", windows.SERVICE_QUERY_STATUS); err != windows.ERROR_INVALID_HANDLE {
		// scm is another client's handle: still invalid for c, whatever the cap.
		t.Fatalf("a foreign handle: got %v", err)
	}
	if n := f.m.ClientGone(c.Client); n != MaxHandlesPerClient {
		t.Errorf("ClientGone closed %d handles, want %d", n, MaxHandlesPerClient)
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if len(f.m.byClient) != 1 || len(f.m.byClient[c.Client]) != 0 {
		t.Errorf("per-client index holds %d clients after the client went, want only root's", len(f.m.byClient))
	}
	for id, h := range f.m.handles {
		if h.client == c.Client {
			t.Fatalf("handle %#x of the gone client is still open", id)
		}
	}
	if len(f.m.handles) != 2 || f.m.peak > 2 {
		t.Errorf("after the client went: %d handles, table sized for %d; want 2 and 2", len(f.m.handles), f.m.peak)
	}
}
