// Command scm-sessionmsg shows WTSSendMessage's message box in a graphical
// session, as a desktop notification: scmd runs it as the session's user,
// on the session's bus (a session bus admits its own user alone), with the
// message on its standard input as JSON. It prints the answer: the button
// the user chose (IDOK, IDYES, ...), IDTIMEOUT when the timeout passed,
// IDASYNC at once when nobody waits for one.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/openscm/scm/windows"
)

// buttons are each MB_ style's, in order, with their labels.
var buttons = [][]struct {
	id    int
	label string
}{
	{{windows.IDOK, "OK"}},                               // MB_OK
	{{windows.IDOK, "OK"}, {windows.IDCANCEL, "Cancel"}}, // MB_OKCANCEL
	{{windows.IDABORT, "Abort"}, {windows.IDRETRY, "Retry"}, {windows.IDIGNORE, "Ignore"}},              // MB_ABORTRETRYIGNORE
	{{windows.IDYES, "Yes"}, {windows.IDNO, "No"}, {windows.IDCANCEL, "Cancel"}},                        // MB_YESNOCANCEL
	{{windows.IDYES, "Yes"}, {windows.IDNO, "No"}},                                                      // MB_YESNO
	{{windows.IDRETRY, "Retry"}, {windows.IDCANCEL, "Cancel"}},                                          // MB_RETRYCANCEL
	{{windows.IDCANCEL, "Cancel"}, {windows.IDTRYAGAIN, "Try Again"}, {windows.IDCONTINUE, "Continue"}}, // MB_CANCELTRYCONTINUE
}

type request struct {
	Title   string
	Message string
	Style   uint32
	Timeout uint32 // seconds; 0: no limit
	Wait    bool
}

func main() {
	answer, err := run(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scm-sessionmsg:", err)
		os.Exit(1)
	}
	fmt.Println(answer)
}

func run(in io.Reader) (int, error) {
	var r request
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&r); err != nil {
		return 0, err
	}
	kind := int(r.Style & 0xF)
	if kind >= len(buttons) {
		kind = 0
	}
	set := buttons[kind]
	def := int(r.Style>>8) & 0xF // MB_DEFBUTTON2 is 0x100, ...
	if def >= len(set) {
		def = 0
	}
	// The default action ("default", the notification clicked) is the
	// default button; each button is an action keyed by its answer.
	actions := []string{"default", set[def].label}
	for _, b := range set {
		actions = append(actions, strconv.Itoa(b.id), b.label)
	}
	icon, urgency := "", byte(1)
	switch r.Style & 0xF0 {
	case 0x10: // MB_ICONERROR
		icon, urgency = "dialog-error", 2
	case 0x20:
		icon = "dialog-question"
	case 0x30:
		icon = "dialog-warning"
	case 0x40:
		icon = "dialog-information"
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.Notifications")); err != nil {
		return 0, err
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	expire := int32(-1)
	if r.Timeout > 0 {
		expire = int32(min(r.Timeout, 1<<20) * 1000)
	}
	var id uint32
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	err = obj.Call("org.freedesktop.Notifications.Notify", 0, "Service Control Manager", uint32(0), icon, r.Title, r.Message,
		actions, map[string]dbus.Variant{"urgency": dbus.MakeVariant(urgency)}, expire).Store(&id)
	if err != nil {
		return 0, err
	}
	if !r.Wait {
		return windows.IDASYNC, nil
	}
	var timeout <-chan time.Time
	if r.Timeout > 0 {
		timeout = time.After(time.Duration(r.Timeout) * time.Second)
	}
	for {
		select {
		case sig := <-signals:
			if len(sig.Body) < 2 {
				continue
			}
			if n, _ := sig.Body[0].(uint32); n != id {
				continue
			}
			switch sig.Name {
			case "org.freedesktop.Notifications.ActionInvoked":
				// Answered: the box goes, as a message box does once a
				// button is pressed (a server may keep it on show).
				obj.Call("org.freedesktop.Notifications.CloseNotification", 0, id)
				key, _ := sig.Body[1].(string)
				if key == "default" {
					return set[def].id, nil
				}
				for _, b := range set { // a key not of the box's buttons is no answer
					if strconv.Itoa(b.id) == key {
						return b.id, nil
					}
				}
			case "org.freedesktop.Notifications.NotificationClosed":
				if reason, _ := sig.Body[1].(uint32); reason == 1 { // expired
					return windows.IDTIMEOUT, nil
				}
				return dismissed(set), nil
			}
		case <-timeout:
			obj.Call("org.freedesktop.Notifications.CloseNotification", 0, id)
			return windows.IDTIMEOUT, nil
		}
	}
}

// dismissed is the answer of a box closed without a button: Cancel where
// there is one, as Escape gives; else the only button, or No.
func dismissed(set []struct {
	id    int
	label string
}) int {
	for _, b := range set {
		if b.id == windows.IDCANCEL {
			return windows.IDCANCEL
		}
	}
	for _, b := range set {
		if b.id == windows.IDNO {
			return windows.IDNO
		}
	}
	return set[0].id
}
