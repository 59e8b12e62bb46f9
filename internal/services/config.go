// Package services is the services database: each service's configuration
// as Windows keeps it under HKLM\SYSTEM\CurrentControlSet\Services\<name>,
// and the rules a configuration must satisfy.
package services

import (
	"encoding/binary"
	"strings"

	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/triggerspec"
	"github.com/openscm/scm/windows"
)

// Registry paths of the services database and the SCM's own settings.
const (
	ServicesKey = `HKLM\SYSTEM\CurrentControlSet\Services`
	ControlKey  = `HKLM\SYSTEM\CurrentControlSet\Control`
	EventLogKey = ServicesKey + `\EventLog`
)

// Windows' defaults for values a service key may lack.
const (
	DefaultPreshutdownTimeout = 180000 // milliseconds
	LocalSystemAccount        = "LocalSystem"
)

// Action is one SC_ACTION: what to do on a failure and after what delay.
type Action struct {
	Type  uint32
	Delay uint32 // milliseconds
}

// Config is one service's configuration, with Windows' value names.
type Config struct {
	Name                             string // the key's name, case preserved
	Type                             uint32
	Start                            uint32
	ErrorControl                     uint32
	ImagePath                        string
	DisplayName                      string
	ObjectName                       string
	Group                            string
	Tag                              uint32
	DependOnService                  []string
	DependOnGroup                    []string
	Description                      string
	ResetPeriod                      uint32
	Actions                          []Action
	FailureCommand                   string
	RebootMessage                    string
	FailureActionsOnNonCrashFailures bool
	DelayedAutostart                 bool
	PreshutdownTimeout               uint32
	ServiceSidType                   uint32
	RequiredPrivileges               []string
	Security                         string // SDDL
	Triggers                         []triggerspec.Trigger
	DeleteFlag                       bool // marked for delete; gone at the next start of scmd
}

// Dependencies returns DependOnService and DependOnGroup as one list, groups
// prefixed with '+', as QueryServiceConfig returns them.
func (c *Config) Dependencies() []string {
	deps := append([]string(nil), c.DependOnService...)
	for _, g := range c.DependOnGroup {
		deps = append(deps, "+"+g)
	}
	return deps
}

// SetDependencies splits a list with '+'-prefixed groups into the two values.
func (c *Config) SetDependencies(deps []string) {
	c.DependOnService, c.DependOnGroup = nil, nil
	for _, d := range deps {
		if d == "" {
			continue
		}
		if strings.HasPrefix(d, "+") {
			c.DependOnGroup = append(c.DependOnGroup, d[1:])
		} else {
			c.DependOnService = append(c.DependOnService, d)
		}
	}
}

// EffectiveDisplayName is the display name, or the service name when none
// was given, as Windows shows it.
func (c *Config) EffectiveDisplayName() string {
	if c.DisplayName == "" {
		return c.Name
	}
	return c.DisplayName
}

// IsService reports whether a key under Services describes a service rather
// than, say, an event log's settings: Windows requires a Type value.
func IsService(k *registry.Key) bool {
	_, err := k.Value("Type")
	return err == nil
}

// Load reads a service's configuration from its key.
func Load(k *registry.Key) (*Config, error) {
	c := &Config{Name: k.Name(), PreshutdownTimeout: DefaultPreshutdownTimeout, ErrorControl: windows.SERVICE_ERROR_NORMAL}
	vals, err := k.Values()
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		switch strings.ToLower(v.Name) {
		case "type":
			c.Type = v.Uint32()
		case "start":
			c.Start = v.Uint32()
		case "errorcontrol":
			c.ErrorControl = v.Uint32()
		case "imagepath":
			c.ImagePath = v.String()
		case "displayname":
			c.DisplayName = v.String()
		case "objectname":
			c.ObjectName = v.String()
		case "group":
			c.Group = v.String()
		case "tag":
			c.Tag = v.Uint32()
		case "dependonservice":
			c.DependOnService = v.Strings()
		case "dependongroup":
			c.DependOnGroup = v.Strings()
		case "description":
			c.Description = v.String()
		case "failureactions":
			c.ResetPeriod, c.Actions = decodeFailureActions(v.Data)
		case "failurecommand":
			c.FailureCommand = v.String()
		case "rebootmessage":
			c.RebootMessage = v.String()
		case "failureactionsonnoncrashfailures":
			c.FailureActionsOnNonCrashFailures = v.Uint32() != 0
		case "delayedautostart":
			c.DelayedAutostart = v.Uint32() != 0
		case "preshutdowntimeout":
			c.PreshutdownTimeout = v.Uint32()
		case "servicesidtype":
			c.ServiceSidType = v.Uint32()
		case "requiredprivileges":
			c.RequiredPrivileges = v.Strings()
		case "deleteflag":
			c.DeleteFlag = v.Uint32() != 0
		}
	}
	c.Triggers = loadTriggers(k)
	if sec, err := k.SubKey("Security"); err == nil {
		if v, err := sec.Value("Security"); err == nil {
			c.Security = v.String()
		}
	}
	return c, nil
}

// Save writes the configuration to its key. Optional values that hold their
// zero value are removed, so the key reads as Windows would write it.
func (c *Config) Save(k *registry.Key) error {
	set := []registry.Value{
		registry.DWordValue("Type", c.Type),
		registry.DWordValue("Start", c.Start),
		registry.DWordValue("ErrorControl", c.ErrorControl),
		registry.ExpandStringValue("ImagePath", c.ImagePath),
	}
	optional := []struct {
		v    registry.Value
		keep bool
	}{
		{registry.StringValue("DisplayName", c.DisplayName), c.DisplayName != ""},
		{registry.StringValue("ObjectName", c.ObjectName), c.ObjectName != ""},
		{registry.StringValue("Group", c.Group), c.Group != ""},
		{registry.DWordValue("Tag", c.Tag), c.Tag != 0},
		{registry.MultiStringValue("DependOnService", c.DependOnService), len(c.DependOnService) > 0},
		{registry.MultiStringValue("DependOnGroup", c.DependOnGroup), len(c.DependOnGroup) > 0},
		{registry.StringValue("Description", c.Description), c.Description != ""},
		{registry.BinaryValue("FailureActions", encodeFailureActions(c.ResetPeriod, c.Actions)), len(c.Actions) > 0},
		{registry.ExpandStringValue("FailureCommand", c.FailureCommand), c.FailureCommand != ""},
		{registry.StringValue("RebootMessage", c.RebootMessage), c.RebootMessage != ""},
		{registry.DWordValue("FailureActionsOnNonCrashFailures", 1), c.FailureActionsOnNonCrashFailures},
		{registry.DWordValue("DelayedAutostart", 1), c.DelayedAutostart},
		{registry.DWordValue("PreshutdownTimeout", c.PreshutdownTimeout), c.PreshutdownTimeout != DefaultPreshutdownTimeout},
		{registry.DWordValue("ServiceSidType", c.ServiceSidType), c.ServiceSidType != 0},
		{registry.MultiStringValue("RequiredPrivileges", c.RequiredPrivileges), len(c.RequiredPrivileges) > 0},
		{registry.DWordValue("DeleteFlag", 1), c.DeleteFlag},
	}
	for _, v := range set {
		if err := k.SetValue(v); err != nil {
			return err
		}
	}
	for _, o := range optional {
		var err error
		if o.keep {
			err = k.SetValue(o.v)
		} else if err = k.DeleteValue(o.v.Name); err == windows.ERROR_FILE_NOT_FOUND {
			err = nil
		}
		if err != nil {
			return err
		}
	}
	if err := saveTriggers(k, c.Triggers); err != nil {
		return err
	}
	if c.Security != "" {
		sec, err := k.CreateSubKey("Security")
		if err != nil {
			return err
		}
		return sec.SetValue(registry.StringValue("Security", c.Security))
	}
	return nil
}

// FailureActions is stored as Windows stores SERVICE_FAILURE_ACTIONS: the
// structure with 32-bit pointer slots (dwResetPeriod, lpRebootMsg, lpCommand,
// cActions, lpsaActions), then the SC_ACTION array. The strings live in their
// own values.
const failureActionsHeader = 20

func encodeFailureActions(reset uint32, actions []Action) []byte {
	b := make([]byte, 0, failureActionsHeader+8*len(actions))
	b = binary.LittleEndian.AppendUint32(b, reset)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(actions)))
	b = binary.LittleEndian.AppendUint32(b, failureActionsHeader)
	for _, a := range actions {
		b = binary.LittleEndian.AppendUint32(b, a.Type)
		b = binary.LittleEndian.AppendUint32(b, a.Delay)
	}
	return b
}

// decodeFailureActions reads what it can of a FailureActions value; a value
// cut short yields the actions that are whole.
func decodeFailureActions(b []byte) (reset uint32, actions []Action) {
	if len(b) < failureActionsHeader {
		return 0, nil
	}
	reset = binary.LittleEndian.Uint32(b)
	n := binary.LittleEndian.Uint32(b[12:])
	rest := b[failureActionsHeader:]
	for i := uint32(0); i < n && len(rest) >= 8; i++ {
		actions = append(actions, Action{binary.LittleEndian.Uint32(rest), binary.LittleEndian.Uint32(rest[4:])})
		rest = rest[8:]
	}
	return reset, actions
}
