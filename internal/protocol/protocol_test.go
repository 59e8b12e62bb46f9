package protocol

import (
	"github.com/openscm/scm/windows"
	"reflect"
	"testing"
)

var samples = []any{
	&Register{Services: []string{"one", "två"}},
	&Status{Service: "one", SERVICE_STATUS: windows.SERVICE_STATUS{ServiceType: 16, CurrentState: 4, ControlsAccepted: 1, CheckPoint: 3, WaitHint: 3000}},
	&ControlReply{Seq: 7, Result: 120},
	&NotifyReply{Seq: 9, Result: 87},
	&DeviceNotify{Seq: 9, Service: "one", Kind: NotifyInterfaceClass, Filter: "cac88484-7515-4c03-82e6-71a87abac361"},
	&Start{Service: "one", Reason: 1, Args: []string{"one", "a b", ""}, Token: []byte{9, 8}},
	&Reattach{Services: []Running{{Token: []byte{1}, Status: Status{Service: "one", SERVICE_STATUS: windows.SERVICE_STATUS{CurrentState: 4}}}}},
	&Control{Seq: 9, Service: "one", Code: 200, EventType: 1, EventData: []byte{1, 2, 3}},
	&DeviceQuery{Seq: 3, Class: "cac88484-7515-4c03-82e6-71a87abac361"},
	&DeviceList{Seq: 3, Interfaces: []DeviceInterface{{Name: "tap0", Class: "cac88484-7515-4c03-82e6-71a87abac361", HardwareIDs: []string{"LINUX\\net"}}}},
	&DeviceList{Seq: 4, Result: 87},
}

func TestRoundTrip(t *testing.T) {
	for _, m := range samples {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("got %#v, want %#v", got, m)
		}
	}
}

func TestRejects(t *testing.T) {
	good, _ := Encode(&Status{Service: "x"})
	cases := map[string][]byte{
		"empty":         nil,
		"version":       {2, TypeStatus},
		"type":          {Version, 0x7f},
		"short":         good[:len(good)-1],
		"trailing":      append(append([]byte(nil), good...), 0),
		"huge strings":  {Version, TypeRegister, 0xff, 0xff},
		"huge bytes":    {Version, TypeControl, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff},
		"invalid utf-8": {Version, TypeRegister, 1, 0, 1, 0, 0xff},
		"huge list":     {Version, TypeDeviceList, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range samples {
		b, _ := Encode(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		m2, err := Decode(again)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %#v vs %#v (%v)", m, m2, err)
		}
	})
}
