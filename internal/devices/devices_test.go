package devices

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseUevent(t *testing.T) {
	ev, ok := ParseUevent([]byte("add@/devices/virtual/net/tap9\x00ACTION=add\x00DEVPATH=/devices/virtual/net/tap9\x00SUBSYSTEM=net\x00INTERFACE=tap9\x00IFINDEX=9\x00"))
	if !ok || ev.Action != "add" || ev.Subsystem != "net" || ev.Env["INTERFACE"] != "tap9" {
		t.Fatalf("%+v", ev)
	}
	if _, ok := ParseUevent([]byte("libudev\x00junk")); ok {
		t.Error("udev's message taken for the kernel's")
	}
	if ids := usbIDs("46d/c52b/1211"); ids[0] != `USB\VID_046D&PID_C52B&REV_1211` || ids[1] != `USB\VID_046D&PID_C52B` {
		t.Errorf("usb ids %v", ids)
	}
}

// A real tap device: its uevent arrives and maps to the network class with
// a TAP hardware ID; removing it sends "remove".
func TestTapDeviceUevents(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making a tap device takes root")
	}
	u, err := ListenUevents()
	if err != nil {
		t.Skip("no uevents here:", err)
	}
	defer u.Close()
	name := "scmdev" + strings.TrimPrefix(t.Name(), "Test")[:3]
	if out, err := exec.Command("ip", "tuntap", "add", "dev", name, "mode", "tap").CombinedOutput(); err != nil {
		t.Skipf("ip tuntap: %v %s", err, out)
	}
	defer exec.Command("ip", "tuntap", "del", "dev", name, "mode", "tap").Run()
	want := func(action string) Device {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			ev, err := u.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.Action == action && ev.Subsystem == "net" && ev.Env["INTERFACE"] == name {
				d, ok := FromEvent(ev)
				if !ok {
					t.Fatal("not mapped")
				}
				return d
			}
		}
		t.Fatalf("no %s uevent for %s", action, name)
		return Device{}
	}
	d := want("add")
	if d.Class != ClassNet || d.HardwareIDs[0] != `VIRTUAL\NET\TAP\`+strings.ToUpper(name) || d.HardwareIDs[1] != `VIRTUAL\NET\TAP` {
		t.Errorf("device %+v", d)
	}
	found := false
	for _, p := range Present() {
		if p.Name == d.Name {
			found = true
		}
	}
	if !found {
		t.Error("a present tap device not listed by Present")
	}
	exec.Command("ip", "tuntap", "del", "dev", name, "mode", "tap").Run()
	want("remove")
}

func TestRegistryMapping(t *testing.T) {
	ms := Mappings{"sound": {Class: "E6327CAD-DCEC-4949-AE8A-991E976A79D2", Prefix: `AUDIO`}}
	d, ok := ms.FromEvent(Event{Action: "add", DevPath: "/devices/pci0000:00/sound/card0", Subsystem: "sound", Env: map[string]string{}})
	if !ok || d.Class != "e6327cad-dcec-4949-ae8a-991e976a79d2" || d.HardwareIDs[0] != `AUDIO\CARD0` {
		t.Errorf("%+v %v", d, ok)
	}
	if _, ok := ms.FromEvent(Event{Action: "add", DevPath: "/devices/x", Subsystem: "input", Env: map[string]string{}}); ok {
		t.Error("an unmapped subsystem mapped")
	}
}
