// Package eventlog implements access to the event log, as
// golang.org/x/sys/windows/svc/eventlog does: register a source, write
// events, remove the source.
package eventlog

import (
	"errors"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/windows"
)

const (
	// Log levels.
	Info    = windows.EVENTLOG_INFORMATION_TYPE
	Warning = windows.EVENTLOG_WARNING_TYPE
	Error   = windows.EVENTLOG_ERROR_TYPE
)

const addKeyName = `SYSTEM\CurrentControlSet\Services\EventLog\Application`

// Install modifies PC registry to allow logging with an event source src.
// It adds all required keys and values to the event log registry key.
// Install uses msgFile as the event message file. If useExpandKey is true,
// the event message file is installed as REG_EXPAND_SZ value, otherwise as
// REG_SZ. Use bitwise of log.Error, log.Warning and log.Info to specify
// events supported by the new event source.
func Install(src, msgFile string, useExpandKey bool, eventsSupported uint32) error {
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	key := `HKLM\` + addKeyName + `\` + src
	if _, err := client.Call(conn.RegQueryKey, &pb.RegKeyRequest{Path: key}); err == nil {
		return errors.New(addKeyName + `\` + src + " registry key already exists")
	} else if err != windows.ERROR_FILE_NOT_FOUND {
		return err
	}
	msg := regdata.StringValue("EventMessageFile", msgFile)
	if useExpandKey {
		msg = regdata.ExpandStringValue("EventMessageFile", msgFile)
	}
	for _, v := range []regdata.Value{
		regdata.DWordValue("CustomSource", 1),
		msg,
		regdata.DWordValue("TypesSupported", eventsSupported),
	} {
		if _, err := client.Call(conn.RegSetValue, &pb.RegSetValueRequest{Path: key, Value: &pb.RegValue{Name: v.Name, Type: uint32(v.Type), Data: v.Data}}); err != nil {
			return err
		}
	}
	return nil
}

// InstallAsEventCreate is the same as Install, but uses
// %SystemRoot%\System32\EventCreate.exe as the event message file.
func InstallAsEventCreate(src string, eventsSupported uint32) error {
	return Install(src, "%SystemRoot%\\System32\\EventCreate.exe", true, eventsSupported)
}

// Remove deletes all registry elements installed by the correspondent
// Install.
func Remove(src string) error {
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	_, err := client.Call(conn.RegDeleteKey, &pb.RegKeyRequest{Path: `HKLM\` + addKeyName + `\` + src})
	return err
}
