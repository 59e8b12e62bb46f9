package services

import "github.com/openscm/scm/internal/registry"

// DefaultGroupOrder is ServiceGroupOrder\List as a fresh Windows has it.
var DefaultGroupOrder = []string{
	"System Reserved", "EMS", "WdfLoadGroup", "Boot Bus Extender", "System Bus Extender",
	"SCSI miniport", "Port", "Primary Disk", "SCSI Class", "SCSI CDROM Class",
	"FSFilter Infrastructure", "FSFilter System", "FSFilter Bottom", "FSFilter Copy Protection",
	"FSFilter Security Enhancer", "FSFilter Open File", "FSFilter Physical Quota Management",
	"FSFilter Encryption", "FSFilter Compression", "FSFilter HSM", "FSFilter Cluster File System",
	"FSFilter System Recovery", "FSFilter Quota Management", "FSFilter Content Screener",
	"FSFilter Continuous Backup", "FSFilter Replication", "FSFilter Anti-Virus", "FSFilter Undelete",
	"FSFilter Activity Monitor", "FSFilter Top", "Filter", "Boot File System", "Base",
	"Pointer Port", "Keyboard Port", "Pointer Class", "Keyboard Class", "Video Init", "Video",
	"Video Save", "File System", "Streams Drivers", "NDIS Wrapper", "COM Infrastructure",
	"Event Log", "AudioGroup", "ProfSvc_Group", "UIGroup", "MS_WindowsLocalValidation",
	"PlugPlay", "Cryptography", "PNP_TDI", "NDIS", "TDI", "iSCSI", "NetBIOSGroup",
	"ShellSvcGroup", "SchedulerGroup", "SpoolerGroup", "SmartCardGroup", "NetworkProvider",
	"MS_WindowsRemoteValidation", "NetDDEGroup", "Parallel arbitrator", "Extended Base",
	"PNP Filter", "MS Transactions", "LocalValidation",
}

// Seed writes the SCM's settings that a fresh database lacks, with Windows'
// defaults, and makes sure the Services key exists. Values already present
// are left as they are.
func Seed(tx *registry.Tx) error {
	if _, err := tx.CreateKey(ServicesKey); err != nil {
		return err
	}
	control, err := tx.CreateKey(ControlKey)
	if err != nil {
		return err
	}
	// WaitToKillServiceTimeout is a string on Windows, in milliseconds.
	if err := control.SetDefaults(
		registry.DWordValue("ServicesPipeTimeout", 30000),
		registry.StringValue("WaitToKillServiceTimeout", "5000"),
	); err != nil {
		return err
	}
	order, err := control.CreateSubKey("ServiceGroupOrder")
	if err != nil {
		return err
	}
	if err := order.SetDefaults(registry.MultiStringValue("List", DefaultGroupOrder)); err != nil {
		return err
	}
	if _, err := control.CreateSubKey("GroupOrderList"); err != nil {
		return err
	}
	for _, log := range []string{"Application", "System"} {
		k, err := tx.CreateKey(EventLogKey + `\` + log)
		if err != nil {
			return err
		}
		// 20 MB, overwrite as needed: Windows' defaults.
		if err := k.SetDefaults(registry.DWordValue("MaxSize", 20<<20), registry.DWordValue("Retention", 0)); err != nil {
			return err
		}
	}
	win, err := control.CreateSubKey("Windows")
	if err != nil {
		return err
	}
	return win.SetDefaults(registry.DWordValue("NoInteractiveServices", 1))
}
