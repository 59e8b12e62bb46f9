package manager

import (
	"testing"

	"github.com/openscm/scm/internal/registry"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// A boot that runs into the shutdown (scmd stopped during the adoption
// grace or during a long boot) sees its starts refused with
// ERROR_SHUTDOWN_IN_PROGRESS: that is no Severe service failing, and the
// services database stays as it is.
func TestBootStoppedByShutdownKeepsTheDatabase(t *testing.T) {
	f := newFixture(t)
	scm := f.scm(f.root)
	_, err := f.m.CreateService(f.root, &pb.CreateServiceRequest{
		Scm: scm, ServiceName: "crit", DesiredAccess: windows.SERVICE_ALL_ACCESS,
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_AUTO_START,
		ErrorControl: windows.SERVICE_ERROR_SEVERE, BinaryPathName: "/bin/true",
	})
	if err != nil {
		t.Fatal(err)
	}
	f.m.saveLastKnownGood() // an earlier boot went well
	f.m.CloseServiceHandle(f.root, f.create(scm, "addedlater", ""))
	f.m.Logf = t.Logf
	f.m.Shutdown()
	f.m.Boot(nil)
	if _, err := f.m.OpenService(f.root, scm, "addedlater", windows.SERVICE_QUERY_STATUS); err != nil {
		t.Errorf("service created after the last good boot is gone after a stop during boot: %v", err)
	}
	f.store.View(func(tx *registry.Tx) error {
		if _, err := tx.OpenKey(serviceKey("addedlater")); err != nil {
			t.Errorf("registry: %v", err)
		}
		if k, err := tx.OpenKey(selectKey); err == nil {
			if v, err := k.Value("Failed"); err == nil {
				t.Errorf("Select\\Failed set: %v", v)
			}
		}
		return nil
	})
}
