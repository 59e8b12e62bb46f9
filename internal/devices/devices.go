// Package devices is the SCM's view of the machine's devices: kernel
// uevents as they come (NETLINK_KOBJECT_UEVENT), what sysfs says is present,
// and the Windows names for both, the device interface class GUIDs and
// hardware IDs that triggers and device notifications use. docs/devices.md
// gives the mapping.
package devices

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Device interface classes, with Windows' GUIDs.
const (
	ClassNet       = "cac88484-7515-4c03-82e6-71a87abac361" // GUID_DEVINTERFACE_NET
	ClassDisk      = "53f56307-b6bf-11d0-94f2-00a0c91efb8b" // GUID_DEVINTERFACE_DISK
	ClassVolume    = "53f5630d-b6bf-11d0-94f2-00a0c91efb8b" // GUID_DEVINTERFACE_VOLUME
	ClassComPort   = "86e0d1e0-8089-11d0-9ce4-08003e301f73" // GUID_DEVINTERFACE_COMPORT
	ClassHID       = "4d1e55b2-f16f-11cf-88cb-001111000030" // GUID_DEVINTERFACE_HID
	ClassUSBDevice = "a5dcbf10-6530-11d2-901f-00c04fb951ed" // GUID_DEVINTERFACE_USB_DEVICE
)

// Device is one device interface.
type Device struct {
	Class       string   // interface class GUID, lower case
	Name        string   // the interface's name: \\?\ style path Windows would give, here the sysfs path
	HardwareIDs []string // most specific first
}

// Event is a uevent: a device came, went, or changed.
type Event struct {
	Action    string // add, remove, change, move, bind, unbind
	DevPath   string
	Subsystem string
	Env       map[string]string
}

// Mapping names the devices of a Linux subsystem the mapping above does
// not know (or names them differently): their interface class, and the
// prefix of their hardware ID, PREFIX\<NAME>. The registry keeps these
// under HKLM\SYSTEM\CurrentControlSet\Control\DeviceClasses\Linux.
type Mapping struct {
	Class  string
	Prefix string
}

// Mappings are the registry's mappings, by subsystem; set by scmd.
type Mappings map[string]Mapping

// FromEvent names the device interface a uevent is about, if it is one of
// the classes mapped: by the registry's mapping for its subsystem if there
// is one, else by the built-in one.
func (ms Mappings) FromEvent(ev Event) (Device, bool) {
	if m, ok := ms[ev.Subsystem]; ok {
		name := ev.Env["DEVNAME"]
		if name == "" {
			name = filepath.Base(ev.DevPath)
		}
		prefix := m.Prefix
		if prefix == "" {
			prefix = strings.ToUpper(ev.Subsystem)
		}
		return Device{Class: strings.ToLower(m.Class), Name: "/sys" + ev.DevPath, HardwareIDs: []string{prefix + `\` + strings.ToUpper(filepath.Base(name))}}, true
	}
	return FromEvent(ev)
}

// FromEvent names the device interface a uevent is about, if it is one of
// the classes mapped.
func FromEvent(ev Event) (Device, bool) {
	env := ev.Env
	sys := "/sys" + ev.DevPath
	switch ev.Subsystem {
	case "net":
		name := env["INTERFACE"]
		if name == "" {
			name = filepath.Base(ev.DevPath)
		}
		return Device{Class: ClassNet, Name: sys, HardwareIDs: netIDs(name, ev.DevPath, env)}, true
	case "block":
		name := env["DEVNAME"]
		if name == "" {
			name = filepath.Base(ev.DevPath)
		}
		if env["DEVTYPE"] == "partition" {
			return Device{Class: ClassVolume, Name: sys, HardwareIDs: []string{`STORAGE\VOLUME\` + strings.ToUpper(name)}}, true
		}
		ids := []string{`BLOCK\` + strings.ToUpper(name)}
		if strings.HasPrefix(name, "loop") {
			ids = append([]string{`VIRTUAL\BLOCK\` + strings.ToUpper(name)}, `VIRTUAL\BLOCK\LOOP`)
		}
		return Device{Class: ClassDisk, Name: sys, HardwareIDs: ids}, true
	case "usb":
		if env["DEVTYPE"] != "usb_device" {
			return Device{}, false
		}
		return Device{Class: ClassUSBDevice, Name: sys, HardwareIDs: usbIDs(env["PRODUCT"])}, true
	case "tty":
		name := filepath.Base(ev.DevPath)
		if strings.HasPrefix(name, "ttyS") || strings.HasPrefix(name, "ttyUSB") || strings.HasPrefix(name, "ttyACM") {
			return Device{Class: ClassComPort, Name: sys, HardwareIDs: []string{`SERIAL\` + strings.ToUpper(name)}}, true
		}
	case "hidraw":
		return Device{Class: ClassHID, Name: sys, HardwareIDs: []string{`HID\` + strings.ToUpper(filepath.Base(ev.DevPath))}}, true
	}
	return Device{}, false
}

// netIDs are a network interface's hardware IDs. Physical ones are named
// by their bus (the PCI or USB IDs sysfs gives); virtual ones, which have
// none, as VIRTUAL\NET\<KIND>\<NAME> and VIRTUAL\NET\<KIND>, the kind being
// TAP, TUN, DUMMY, VETH, BRIDGE, LOOPBACK or the DEVTYPE the kernel reports.
func netIDs(name, devpath string, env map[string]string) []string {
	if strings.HasPrefix(devpath, "/devices/virtual/") {
		kind := virtualKind(name, env)
		return []string{`VIRTUAL\NET\` + kind + `\` + strings.ToUpper(name), `VIRTUAL\NET\` + kind}
	}
	var ids []string
	dev := filepath.Join("/sys/class/net", name, "device")
	if b, err := os.ReadFile(filepath.Join(dev, "uevent")); err == nil {
		denv := parseEnv(string(b))
		if id := denv["PCI_ID"]; id != "" {
			v, d, _ := strings.Cut(id, ":")
			ids = append(ids, fmt.Sprintf(`PCI\VEN_%s&DEV_%s`, strings.ToUpper(v), strings.ToUpper(d)))
		}
		if p := denv["PRODUCT"]; p != "" {
			ids = append(ids, usbIDs(p)...)
		}
	}
	return append(ids, `NET\`+strings.ToUpper(name))
}

func virtualKind(name string, env map[string]string) string {
	base := filepath.Join("/sys/class/net", name)
	if b, err := os.ReadFile(filepath.Join(base, "tun_flags")); err == nil {
		var flags uint32
		fmt.Sscanf(strings.TrimSpace(string(b)), "0x%x", &flags)
		if flags&0x0002 != 0 { // IFF_TAP
			return "TAP"
		}
		return "TUN"
	}
	if t := env["DEVTYPE"]; t != "" {
		return strings.ToUpper(t)
	}
	if _, err := os.Stat(filepath.Join(base, "bridge")); err == nil {
		return "BRIDGE"
	}
	if name == "lo" {
		return "LOOPBACK"
	}
	if link, err := os.Readlink(filepath.Join(base, "device", "driver")); err == nil {
		return strings.ToUpper(filepath.Base(link))
	}
	// dummy and veth report nothing in sysfs that names them; their
	// driver name is in ethtool's, which sysfs does not show.
	return "VIRTUAL"
}

// usbIDs turns a uevent PRODUCT (vid/pid/bcd, hex) into Windows' USB IDs.
func usbIDs(product string) []string {
	parts := strings.Split(product, "/")
	if len(parts) < 2 {
		return nil
	}
	var vid, pid, rev uint64
	fmt.Sscanf(parts[0], "%x", &vid)
	fmt.Sscanf(parts[1], "%x", &pid)
	ids := []string{}
	if len(parts) > 2 {
		fmt.Sscanf(parts[2], "%x", &rev)
		ids = append(ids, fmt.Sprintf(`USB\VID_%04X&PID_%04X&REV_%04X`, vid, pid, rev))
	}
	return append(ids, fmt.Sprintf(`USB\VID_%04X&PID_%04X`, vid, pid))
}

func parseEnv(s string) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Present lists the devices sysfs shows now, as "add" events would.
func Present() []Device { return Mappings(nil).Present() }

// Present lists the devices sysfs shows now, mapped with ms too.
func (ms Mappings) Present() []Device {
	var out []Device
	patterns := []string{"/sys/class/net/*", "/sys/block/*", "/sys/bus/usb/devices/*", "/sys/class/tty/tty*", "/sys/class/hidraw/*"}
	for sub := range ms {
		patterns = append(patterns, "/sys/class/"+sub+"/*")
	}
	seen := map[string]bool{}
	for _, pattern := range patterns {
		paths, _ := filepath.Glob(pattern)
		sort.Strings(paths)
		for _, p := range paths {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join(real, "uevent"))
			if err != nil {
				continue
			}
			sub, _ := os.Readlink(filepath.Join(real, "subsystem"))
			ev := Event{Action: "add", DevPath: strings.TrimPrefix(real, "/sys"), Subsystem: filepath.Base(sub), Env: parseEnv(string(b))}
			if d, ok := ms.FromEvent(ev); ok && !seen[d.Name] {
				seen[d.Name] = true
				out = append(out, d)
			}
		}
	}
	return out
}
