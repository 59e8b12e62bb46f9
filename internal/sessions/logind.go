package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

const (
	logindName      = "org.freedesktop.login1"
	logindPath      = "/org/freedesktop/login1"
	logindManager   = "org.freedesktop.login1.Manager"
	logindSession   = "org.freedesktop.login1.Session"
	propertiesIface = "org.freedesktop.DBus.Properties"
)

// ErrNoLogind reports a system bus without logind.
var ErrNoLogind = errors.New("sessions: systemd-logind is not on the system bus")

// logindWatch is a subscription to logind's session changes.
type logindWatch struct {
	conn    *dbus.Conn
	signals chan *dbus.Signal
	ctx     context.Context
	owner   string // logind's unique name on the bus
	first   []Login
}

// openLogind subscribes to logind's session signals: a session new or
// removed, one's properties (Active, LockedHint) changed.
func openLogind(ctx context.Context) (*logindWatch, error) {
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("sessions: system bus: %w", err)
	}
	fail := func(err error) (*logindWatch, error) {
		conn.Close()
		return nil, err
	}
	// Signals are believed only from logind's own connection: anyone on
	// the system bus may send a signal, to scmd directly even.
	var owner string
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, logindName).Store(&owner); err != nil {
		return fail(ErrNoLogind)
	}
	for _, match := range [][]dbus.MatchOption{
		{dbus.WithMatchSender(logindName), dbus.WithMatchInterface(logindManager), dbus.WithMatchMember("SessionNew"), dbus.WithMatchObjectPath(logindPath)},
		{dbus.WithMatchSender(logindName), dbus.WithMatchInterface(logindManager), dbus.WithMatchMember("SessionRemoved"), dbus.WithMatchObjectPath(logindPath)},
		{dbus.WithMatchSender(logindName), dbus.WithMatchInterface(propertiesIface), dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchPathNamespace(logindPath + "/session")},
		{dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, logindName)},
	} {
		if err := conn.AddMatchSignal(match...); err != nil {
			return fail(fmt.Errorf("sessions: subscribing to logind: %w", err))
		}
	}
	w := &logindWatch{conn: conn, signals: make(chan *dbus.Signal, 1024), ctx: ctx, owner: owner}
	conn.Signal(w.signals)
	context.AfterFunc(ctx, func() { conn.Close() })
	return w, nil
}

// run reports logind's user sessions to update after every change logind
// signals, from the list Start read, until the context ends (nil) or the
// bus goes.
func (w *logindWatch) run(update func([]Login)) error {
	defer w.conn.Close()
	current := w.first
	list := func() error {
		logins, err := listLogind(w.conn)
		if err != nil {
			return err
		}
		current = logins
		update(logins)
		return nil
	}
	for sig := range w.signals {
		if sig.Name == "org.freedesktop.DBus.NameOwnerChanged" && sig.Sender == "org.freedesktop.DBus" {
			if len(sig.Body) == 3 {
				w.owner, _ = sig.Body[2].(string) // logind restarted: its new connection speaks for it
			}
			if w.owner == "" {
				continue // gone for now; its sessions stand until it is back
			}
			if err := list(); err != nil {
				return err
			}
			continue
		}
		if sig.Sender != w.owner {
			continue // not logind's
		}
		// A change of a session's Active or LockedHint is applied as
		// the signal says it, each in turn, so that a lock and an unlock
		// in quick succession are both told; anything else reads the
		// list again.
		if next, ok := applyChange(current, sig); ok {
			current = next
			update(next)
			continue
		}
		if err := list(); err != nil {
			return err
		}
	}
	if w.ctx.Err() != nil {
		return nil
	}
	return errors.New("sessions: the system bus connection closed")
}

// applyChange applies a PropertiesChanged of a session's Active or
// LockedHint to a copy of the logins; false if the signal is anything
// else, or names a session the logins do not have.
func applyChange(logins []Login, sig *dbus.Signal) ([]Login, bool) {
	if sig.Name != propertiesIface+".PropertiesChanged" || len(sig.Body) < 2 {
		return nil, false
	}
	changed, ok := sig.Body[1].(map[string]dbus.Variant)
	if !ok || len(changed) == 0 {
		return nil, false
	}
	for k := range changed {
		if k != "Active" && k != "LockedHint" {
			return nil, false
		}
	}
	path := string(sig.Path)
	for i, l := range logins {
		if l.path != path {
			continue
		}
		next := append([]Login(nil), logins...)
		if v, ok := changed["Active"]; ok && !l.Remote {
			next[i].Active = boolean(v)
		}
		if v, ok := changed["LockedHint"]; ok {
			next[i].Locked = boolean(v)
		}
		return next, true
	}
	return nil, false
}

// listLogind reads logind's sessions of class user: a greeter, a lock
// screen or a background session is nobody's logon.
func listLogind(conn *dbus.Conn) ([]Login, error) {
	var entries []struct {
		ID   string
		UID  uint32
		User string
		Seat string
		Path dbus.ObjectPath
	}
	if err := conn.Object(logindName, logindPath).Call(logindManager+".ListSessions", 0).Store(&entries); err != nil {
		return nil, fmt.Errorf("sessions: ListSessions: %w", err)
	}
	var logins []Login
	for _, e := range entries {
		var props map[string]dbus.Variant
		if err := conn.Object(logindName, e.Path).Call(propertiesIface+".GetAll", 0, logindSession).Store(&props); err != nil {
			continue // gone since the list
		}
		if class := str(props["Class"]); class != "" && class != "user" {
			continue
		}
		if state := str(props["State"]); state == "closing" {
			continue // logged off, its processes not all gone yet
		}
		l := Login{Key: "logind:" + e.ID, path: string(e.Path), User: e.User, UID: e.UID, Seat: e.Seat,
			Remote: boolean(props["Remote"]), Active: boolean(props["Active"]), Locked: boolean(props["LockedHint"]),
			TTY: str(props["TTY"]), Display: str(props["Display"]), Host: str(props["RemoteHost"])}
		if v, ok := props["Leader"].Value().(uint32); ok {
			l.Leader = v
		}
		if l.Remote {
			l.Active = true // a network session is connected while it lives
		}
		logins = append(logins, l)
	}
	return logins, nil
}

func str(v dbus.Variant) string {
	s, _ := v.Value().(string)
	return s
}

func boolean(v dbus.Variant) bool {
	b, _ := v.Value().(bool)
	return b
}
