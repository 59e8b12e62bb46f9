package manager

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/windows"
)

type fixture struct {
	t     *testing.T
	m     *Manager
	store *registry.Store
	path  string
	root  Caller
	clock atomic.Int64 // Unix seconds; the supervisor's goroutine reads it too
	owner uint32
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "registry.db")}
	f.clock.Store(1_700_000_000)
	f.open()
	f.root = Caller{Client: 1, Token: security.TokenFor(0, 0, 0)}
	return f
}

func (f *fixture) open() {
	store, err := registry.Open(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { store.Close() })
	f.store = store
	f.m, err = Open(store, func() time.Time { return time.Unix(f.clock.Load(), 0) }, f.owner)
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) scm(c Caller) uint64 {
	h, err := f.m.OpenSCManager(c, "", "", windows.SC_MANAGER_ALL_ACCESS)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *fixture) create(scm uint64, name, group string, deps ...string) uint64 {
	r, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{
		Scm: scm, ServiceName: name, DesiredAccess: windows.SERVICE_ALL_ACCESS,
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START,
		ErrorControl: windows.SERVICE_ERROR_NORMAL, BinaryPathName: "/bin/true", LoadOrderGroup: group,
		Dependencies: deps,
	})
	if err != nil {
		f.t.Fatalf("create %s: %v", name, err)
	}
	return r.Handle
}

func names(r *pb.EnumServicesStatusReply) []string {
	var n []string
	for _, e := range r.Services {
		n = append(n, e.ServiceName)
	}
	return n
}

func TestEnumPagesWithResumeHandle(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	for _, n := range []string{"delta", "Alpha", "charlie", "bravo"} {
		f.create(scm, n, "")
	}
	req := &pb.EnumServicesStatusRequest{Scm: scm, ServiceType: windows.SERVICE_WIN32, ServiceState: windows.SERVICE_STATE_ALL, Ex: true}
	r, err := f.m.EnumServicesStatus(f.root, req)
	if err != nil {
		t.Fatal(err)
	}
	// An empty buffer: nothing returned, the whole size needed.
	entry := uint32(sizeEnumServiceStatusEx)
	// Each name and display name (the same here) as UTF-16 with its NUL.
	want := 4*entry + 2*2*(6+6+8+6)
	if r.Win32Error != uint32(windows.ERROR_MORE_DATA) || r.BytesNeeded != want || len(r.Services) != 0 {
		t.Fatalf("sizing call: %v", r)
	}
	// Room for two: the first two in name order, then the rest from the resume handle.
	req.BufSize = 2 * (entry + 2*2*(6+1))
	r, _ = f.m.EnumServicesStatus(f.root, req)
	if got := names(r); len(got) != 2 || got[0] != "Alpha" || got[1] != "bravo" || r.ResumeHandle != 2 {
		t.Fatalf("first page: %v resume %d", got, r.ResumeHandle)
	}
	req.ResumeHandle, req.BufSize = r.ResumeHandle, r.BytesNeeded
	r, _ = f.m.EnumServicesStatus(f.root, req)
	if got := names(r); len(got) != 2 || got[0] != "charlie" || got[1] != "delta" || r.Win32Error != 0 {
		t.Fatalf("second page: %v (%d)", got, r.Win32Error)
	}
}

func TestEnumFilters(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	f.create(scm, "a", "")
	f.create(scm, "b", "Net")
	f.create(scm, "c", "net")
	enum := func(group *string, typ, state uint32) ([]string, error) {
		r, err := f.m.EnumServicesStatus(f.root, &pb.EnumServicesStatusRequest{Scm: scm, ServiceType: typ, ServiceState: state, GroupName: group, BufSize: 1 << 20})
		if err != nil {
			return nil, err
		}
		return names(r), nil
	}
	empty, net := "", "NET"
	if got, _ := enum(nil, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL); len(got) != 3 {
		t.Errorf("all: %v", got)
	}
	if got, _ := enum(&empty, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL); len(got) != 1 || got[0] != "a" {
		t.Errorf("no group: %v", got)
	}
	if got, _ := enum(&net, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL); len(got) != 2 {
		t.Errorf("group Net: %v", got)
	}
	if got, _ := enum(nil, windows.SERVICE_WIN32, windows.SERVICE_ACTIVE); len(got) != 0 {
		t.Errorf("active: %v", got)
	}
	if got, _ := enum(nil, windows.SERVICE_DRIVER, windows.SERVICE_STATE_ALL); len(got) != 0 {
		t.Errorf("drivers: %v", got)
	}
	if _, err := enum(nil, 0, windows.SERVICE_STATE_ALL); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("type 0: %v", err)
	}
	if _, err := enum(nil, windows.SERVICE_WIN32, 4); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("state 4: %v", err)
	}
}

func TestTagsWithinGroups(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	for i, want := range []uint32{1, 2} {
		r, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{Scm: scm, ServiceName: []string{"x", "y"}[i],
			ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START, LoadOrderGroup: "G", WantTagId: true})
		if err != nil || r.TagId != want {
			t.Fatalf("tag = %v, %v; want %d", r, err, want)
		}
	}
	_, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{Scm: scm, ServiceName: "z",
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START, WantTagId: true})
	if err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("a tag without a group: %v", err)
	}
}

func TestLock(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	lock, err := f.m.LockServiceDatabase(f.root, scm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.LockServiceDatabase(f.root, scm); err != windows.ERROR_SERVICE_DATABASE_LOCKED {
		t.Errorf("second lock: %v", err)
	}
	f.clock.Add(42)
	st, _ := f.m.QueryServiceLockStatus(f.root, scm)
	if !st.IsLocked || st.LockDuration != 42 || st.LockOwner != `.\NT AUTHORITY\SYSTEM` {
		t.Errorf("lock status: %v", st)
	}
	if err := f.m.UnlockServiceDatabase(f.root, scm); err != windows.ERROR_INVALID_SERVICE_LOCK {
		t.Errorf("unlock with an SCM handle: %v", err)
	}
	// The lock goes with its client.
	f.m.ClientGone(f.root.Client)
	other := Caller{Client: 2, Token: f.root.Token}
	scm2 := f.scm(other)
	if st, _ := f.m.QueryServiceLockStatus(other, scm2); st.IsLocked {
		t.Error("lock outlived its client")
	}
	if err := f.m.UnlockServiceDatabase(other, lock); err != windows.ERROR_INVALID_SERVICE_LOCK {
		t.Errorf("unlock of a dead lock: %v", err)
	}
}

func TestHandlesBelongToTheirClient(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	h := f.create(scm, "svc", "")
	thief := Caller{Client: 99, Token: f.root.Token}
	if _, err := f.m.QueryServiceConfig(thief, h); err != windows.ERROR_INVALID_HANDLE {
		t.Errorf("another client's handle: %v", err)
	}
	if _, err := f.m.QueryServiceConfig(f.root, scm); err != windows.ERROR_INVALID_HANDLE {
		t.Errorf("an SCM handle used as a service handle: %v", err)
	}
	ro, _ := f.m.OpenService(f.root, scm, "svc", windows.SERVICE_QUERY_STATUS)
	if _, err := f.m.QueryServiceConfig(f.root, ro); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("a right the handle lacks: %v", err)
	}
}

// A delete mark is durable: if scmd stops while a handle still holds a
// deleted service, the service is gone when it starts again.
func TestDeleteMarkSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	h := f.create(scm, "doomed", "")
	if err := f.m.DeleteService(f.root, h); err != nil {
		t.Fatal(err)
	}
	f.store.Close()
	f.open()
	scm = f.scm(f.root)
	if _, err := f.m.OpenService(f.root, scm, "doomed", windows.SERVICE_QUERY_STATUS); err != windows.ERROR_SERVICE_DOES_NOT_EXIST {
		t.Errorf("after restart: %v", err)
	}
}

func TestConfig2Validation(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	h := f.create(scm, "svc", "")
	set := func(info *pb.ServiceConfig2) error { return f.m.ChangeServiceConfig2(f.root, h, info) }
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_SERVICE_SID_INFO, ServiceSidType: 2}); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("sid type 2: %v", err)
	}
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, RequiredPrivileges: []string{"SeBogus"}}); err != windows.ERROR_NO_SUCH_PRIVILEGE {
		t.Errorf("privilege: %v", err)
	}
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: 2}); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("delayed auto-start 2: %v", err)
	}
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: 1}); err != nil {
		t.Errorf("delayed auto-start on a demand-start service is accepted: %v", err)
	}
	if err := set(&pb.ServiceConfig2{InfoLevel: 77}); err != windows.ERROR_INVALID_LEVEL {
		t.Errorf("level 77: %v", err)
	}
	bad := &pb.FailureActions{ChangeActions: true, Actions: []*pb.ScAction{{Type: 9}}}
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: bad}); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("action type 9: %v", err)
	}
	// A restart action needs SERVICE_START on the handle.
	ro, _ := f.m.OpenService(f.root, scm, "svc", windows.SERVICE_CHANGE_CONFIG)
	restart := &pb.FailureActions{ChangeActions: true, Actions: []*pb.ScAction{{Type: windows.SC_ACTION_RESTART, Delay: 1000}}}
	if err := f.m.ChangeServiceConfig2(f.root, ro, &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_FAILURE_ACTIONS, FailureActions: restart}); err != windows.ERROR_ACCESS_DENIED {
		t.Errorf("restart without SERVICE_START: %v", err)
	}
	if err := set(&pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_PRESHUTDOWN_INFO, PreshutdownTimeout: 5000}); err != nil {
		t.Fatal(err)
	}
	r, _ := f.m.QueryServiceConfig2(f.root, h, windows.SERVICE_CONFIG_PRESHUTDOWN_INFO)
	if r.PreshutdownTimeout != 5000 {
		t.Errorf("preshutdown = %d", r.PreshutdownTimeout)
	}
}

// A user's own SCM runs services as that user only.
func TestPerUserSCMAccounts(t *testing.T) {
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "registry.db"), owner: 65534}
	f.open()
	nobody := Caller{Client: 1, Token: security.TokenFor(65534, 65534, 65534)}
	scm := f.scm(nobody)
	create := func(name, obj string) error {
		_, err := f.m.CreateService(nobody, &pb.CreateServiceRequest{Scm: scm, ServiceName: name,
			ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START, ServiceStartName: obj})
		return err
	}
	n := 0
	for obj, want := range map[string]error{
		"":                          nil,
		"nobody":                    nil,
		`.\nobody`:                  nil,
		"root":                      windows.ERROR_INVALID_SERVICE_ACCOUNT,
		`NT AUTHORITY\LocalService`: windows.ERROR_INVALID_SERVICE_ACCOUNT,
		`OTHERHOST\nobody`:          windows.ERROR_INVALID_SERVICE_ACCOUNT,
	} {
		n++
		if err := create(fmt.Sprintf("s%d", n), obj); err != want {
			t.Errorf("obj=%q: %v, want %v", obj, err, want)
		}
	}
}
