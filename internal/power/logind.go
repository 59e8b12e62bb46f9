// Package power tells scmd when the machine suspends and resumes, so that
// services which accept SERVICE_CONTROL_POWEREVENT hear of it as they do on
// Windows. The source is systemd-logind on the system bus: its
// PrepareForSleep signal, and a delay inhibitor lock that holds the suspend
// back until the services have answered.
package power

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// PBT_* event types of SERVICE_CONTROL_POWEREVENT (WM_POWERBROADCAST's).
const (
	PBT_APMSUSPEND         = 0x4
	PBT_APMRESUMESUSPEND   = 0x7
	PBT_APMRESUMEAUTOMATIC = 0x12
)

const (
	logindName      = "org.freedesktop.login1"
	logindPath      = "/org/freedesktop/login1"
	logindInterface = "org.freedesktop.login1.Manager"
)

// ErrNoLogind reports a system bus without logind: nothing reports
// suspend and resume, and no POWEREVENT is sent.
var ErrNoLogind = errors.New("power: systemd-logind is not on the system bus")

// Watch follows suspends and resumes until ctx is done (it returns nil) or
// the bus connection ends. Before
// a suspend it calls suspend and waits for it to return (the services'
// answers) before letting the machine sleep; after a resume it calls
// resume. The system bus is the one DBUS_SYSTEM_BUS_ADDRESS names, or the
// default one.
func Watch(ctx context.Context, suspend, resume func()) error {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("power: system bus: %w", err)
	}
	defer conn.Close()
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, logindName).Store(&has); err != nil {
		return fmt.Errorf("power: system bus: %w", err)
	}
	if !has {
		return ErrNoLogind
	}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(logindInterface), dbus.WithMatchMember("PrepareForSleep"),
		dbus.WithMatchObjectPath(logindPath)); err != nil {
		return fmt.Errorf("power: subscribing to PrepareForSleep: %w", err)
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	logind := conn.Object(logindName, logindPath)
	lock, err := inhibit(logind)
	if err != nil {
		return err
	}
	for sig := range signals {
		if sig.Name != logindInterface+".PrepareForSleep" || len(sig.Body) != 1 {
			continue
		}
		start, _ := sig.Body[0].(bool)
		if start {
			suspend()
			if lock != nil {
				lock.Close() // the services have answered: sleep may go on
				lock = nil
			}
			continue
		}
		resume()
		if lock == nil {
			if lock, err = inhibit(logind); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("power: the system bus connection closed")
}

// inhibit takes a delay lock on sleep: logind waits for it to be released
// (up to its InhibitDelayMaxSec) before it suspends.
func inhibit(logind dbus.BusObject) (*os.File, error) {
	var fd dbus.UnixFD
	err := logind.Call(logindInterface+".Inhibit", 0, "sleep", "scmd",
		"Services are told of the suspend first", "delay").Store(&fd)
	if err != nil {
		return nil, fmt.Errorf("power: taking a sleep inhibitor lock: %w", err)
	}
	return os.NewFile(uintptr(fd), "logind-inhibitor"), nil
}
