package manager

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

func TestHostPrivileges(t *testing.T) {
	const shared = windows.SERVICE_WIN32_SHARE_PROCESS
	m := &Manager{services: map[string]*service{}}
	add := func(name string, typ uint32, image string, sid uint32, privs ...string) {
		m.services[strings.ToLower(name)] = &service{cfg: &services.Config{
			Name: name, Type: typ, ImagePath: image, ServiceSidType: sid, RequiredPrivileges: privs,
		}}
	}
	add("own", windows.SERVICE_WIN32_OWN_PROCESS, "/bin/host", 0, "SeBackupPrivilege")
	add("a", shared, "/bin/host", 0, "SeBackupPrivilege")
	add("b", shared, "/bin/host", 0, "SeShutdownPrivilege", "sebackupprivilege")
	add("other", shared, "/bin/other", windows.SERVICE_SID_TYPE_RESTRICTED, "SeDebugPrivilege")
	add("all", shared, "/bin/all", 0)
	add("allB", shared, "/bin/all", 0, "SeShutdownPrivilege")
	add("r", shared, "/bin/r", windows.SERVICE_SID_TYPE_RESTRICTED, "SeShutdownPrivilege")
	add("r2", shared, "/bin/r", windows.SERVICE_SID_TYPE_UNRESTRICTED, "SeShutdownPrivilege")

	cases := []struct {
		launch     core.Launch
		want       []string
		restricted bool
	}{
		{core.Launch{Service: "own", Image: "/bin/host"}, []string{"SeBackupPrivilege"}, false},
		{core.Launch{Service: "a", Image: "/bin/host", Shared: true}, []string{"SeBackupPrivilege", "SeShutdownPrivilege"}, false},
		{core.Launch{Service: "all", Image: "/bin/all", Shared: true}, nil, false},
		{core.Launch{Service: "allB", Image: "/bin/all", Shared: true}, nil, false},
		{core.Launch{Service: "r2", Image: "/bin/r", Shared: true}, []string{"SeShutdownPrivilege"}, true},
	}
	for _, c := range cases {
		got, restricted := m.hostPrivileges(c.launch)
		if !reflect.DeepEqual(got, c.want) || restricted != c.restricted {
			t.Errorf("%s: %q restricted %v; want %q restricted %v", c.launch.Service, got, restricted, c.want, c.restricted)
		}
	}
}
