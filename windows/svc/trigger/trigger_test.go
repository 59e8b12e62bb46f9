package trigger_test

import (
	"reflect"
	"testing"

	"github.com/openscm/scm/internal/scmtest"
	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc/mgr"
	"github.com/openscm/scm/windows/svc/trigger"
)

func TestSetGet(t *testing.T) {
	scmtest.Start(t)
	m, err := mgr.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Disconnect()
	s, err := m.CreateService("trig", "/bin/true", mgr.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	want := []trigger.Trigger{
		{Type: windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL, Action: windows.SERVICE_TRIGGER_ACTION_SERVICE_START,
			SubType: trigger.DeviceInterfaceNet, Data: []trigger.Data{trigger.String(`VIRTUAL\NET\TAP`)}},
		{Type: windows.SERVICE_TRIGGER_TYPE_IP_ADDRESS_AVAILABILITY, Action: windows.SERVICE_TRIGGER_ACTION_SERVICE_STOP,
			SubType: trigger.LastIPAddressRemoval},
	}
	if err := trigger.Set("trig", want); err != nil {
		t.Fatal(err)
	}
	got, err := trigger.Get("trig")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	bad := []trigger.Trigger{{Type: 99, Action: 1, SubType: trigger.DeviceInterfaceNet}}
	if err := trigger.Set("trig", bad); err != windows.ERROR_INVALID_PARAMETER {
		t.Errorf("type 99: %v", err)
	}
	if err := trigger.Set("trig", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := trigger.Get("trig"); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}
