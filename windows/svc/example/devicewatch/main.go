// Command devicewatch is seed 001's pattern, "Win32 services interacting
// with devices", for tap network interfaces: the service is trigger-started
// when a tap interface arrives, registers for the interface class, lists
// the taps already present, watches each one, and stops itself (STOP_PENDING,
// then STOPPED) when the last one is removed. Asked whether a tap may be
// removed (DBT_DEVICEQUERYREMOVE), it says no while the tap's link is up:
// the interface is in use.
//
//	devicewatch install NAME   create the demand-start service and its trigger
//	devicewatch remove NAME
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openscm/scm/windows"
	"github.com/openscm/scm/windows/svc"
	"github.com/openscm/scm/windows/svc/eventlog"
	"github.com/openscm/scm/windows/svc/mgr"
	"github.com/openscm/scm/windows/svc/trigger"
)

// The interface class and hardware ID the service is about.
const (
	classNet = "cac88484-7515-4c03-82e6-71a87abac361" // GUID_DEVINTERFACE_NET
	tapID    = `VIRTUAL\NET\TAP`
)

func main() {
	if in, _ := svc.IsWindowsService(); in {
		svc.Run("", &watcher{})
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: devicewatch install|remove NAME")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "install":
		err = install(os.Args[2])
	case "remove":
		err = remove(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devicewatch:", err)
		os.Exit(1)
	}
}

// install creates the service demand-start with a device interface arrival
// trigger for taps, as seed 001's INF does with AddTrigger.
func install(name string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	exe, _ = filepath.Abs(exe)
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.CreateService(name, exe, mgr.Config{StartType: mgr.StartManual, DisplayName: "Tap device watcher"})
	if err != nil {
		return err
	}
	defer s.Close()
	err = trigger.Set(name, []trigger.Trigger{{
		Type:    windows.SERVICE_TRIGGER_TYPE_DEVICE_INTERFACE_ARRIVAL,
		Action:  windows.SERVICE_TRIGGER_ACTION_SERVICE_START,
		SubType: classNet,
		Data:    []trigger.Data{trigger.String(tapID)},
	}})
	if err != nil {
		s.Delete()
		return err
	}
	return eventlog.InstallAsEventCreate(name, eventlog.Error|eventlog.Warning|eventlog.Info)
}

func remove(name string) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return err
	}
	defer s.Close()
	eventlog.Remove(name)
	return s.Delete()
}

type watcher struct{}

func isTap(d svc.DeviceInterface) bool {
	for _, id := range d.HardwareIDs {
		if strings.EqualFold(id, tapID) {
			return true
		}
	}
	return false
}

// AnswerControl vetoes the removal of a tap whose link is up, as a Windows
// HandlerEx returns BROADCAST_QUERY_DENY for a device it still uses.
func (*watcher) AnswerControl(c svc.ChangeRequest) uint32 {
	if c.Cmd != svc.DeviceEvent || c.EventType != svc.DBT_DEVICEQUERYREMOVE {
		return 0
	}
	if _, name, ok := svc.DeviceEventInterface(c); ok && linkUp(name) {
		return svc.BROADCAST_QUERY_DENY
	}
	return 0
}

// linkUp reports whether a network interface, named by its sysfs path, is
// administratively up (IFF_UP).
func linkUp(sysPath string) bool {
	b, err := os.ReadFile(filepath.Join(sysPath, "flags"))
	if err != nil {
		return false
	}
	flags, err := strconv.ParseUint(strings.TrimSpace(string(b)), 0, 32)
	return err == nil && flags&1 != 0
}

func (*watcher) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	elog, err := eventlog.Open(args[0])
	if err != nil {
		return false, uint32(windows.ERROR_ACCESS_DENIED)
	}
	defer elog.Close()
	s <- svc.Status{State: svc.StartPending, WaitHint: 3000}

	// Register first, then list: an interface arriving in between is seen
	// twice, never missed.
	if err := svc.RegisterDeviceInterfaceNotification(classNet); err != nil {
		elog.Error(1, "registering for device notifications: "+err.Error())
		return false, uint32(windows.ERROR_NOT_SUPPORTED)
	}
	watched := map[string]bool{}
	watch := func(name string) {
		if !watched[name] {
			watched[name] = true
			svc.RegisterDeviceHandleNotification(name)
			elog.Info(1, "watching "+name)
		}
	}
	present, err := svc.DeviceInterfaces(classNet)
	if err != nil {
		elog.Error(1, "listing interfaces: "+err.Error())
	}
	for _, d := range present {
		if isTap(d) {
			watch(d.Name)
		}
	}
	if len(watched) == 0 {
		elog.Info(1, "no tap interface present; stopping")
		return false, 0
	}
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	s <- svc.Status{State: svc.Running, Accepts: accepts}
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			s <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			s <- svc.Status{State: svc.StopPending}
			elog.Info(1, "stopped with taps still present")
			return false, 0
		case svc.DeviceEvent:
			_, name, ok := svc.DeviceEventInterface(c)
			if !ok {
				continue
			}
			switch c.EventType {
			case svc.DBT_DEVICEREMOVEPENDING:
				// It is going: a service holding the device closes it here.
				elog.Info(1, "releasing "+name)
			case svc.DBT_DEVICEARRIVAL:
				present, _ := svc.DeviceInterfaces(classNet)
				for _, d := range present {
					if d.Name == name && isTap(d) {
						watch(name)
					}
				}
			case svc.DBT_DEVICEREMOVECOMPLETE:
				if watched[name] {
					delete(watched, name)
					elog.Info(1, "removed "+name)
				}
				if len(watched) == 0 {
					// The last interface is gone: stop, as seed 001 says.
					s <- svc.Status{State: svc.StopPending, CheckPoint: 1, WaitHint: 1000}
					elog.Info(1, "last tap interface removed; stopping")
					return false, 0
				}
			}
		}
	}
	return false, 0
}
