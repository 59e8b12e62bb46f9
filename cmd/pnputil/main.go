// Command pnputil lists device interfaces and asks for devices to be
// removed, with pnputil.exe's syntax for the two commands that mean
// something to the SCM:
//
//	pnputil /enum-interfaces [/class <GUID>]
//	pnputil /remove-device <interface path>
//
// A removal asks the services watching the device first
// (DBT_DEVICEQUERYREMOVE); one that says no keeps it, and pnputil reports
// who vetoed. Errors exit with their Win32 code.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/winerror"
	"github.com/openscm/scm/windows"
)

const usage = `Microsoft PnP Utility

PNPUTIL [/enum-interfaces [<...>] | /remove-device <...> | /?]

Commands:

  /enum-interfaces [/class <GUID>]

    Enumerate all device interfaces on the system.
      /class <GUID> - filter by interface class GUID.

  /remove-device <interface path>

    Attempt to remove a device from the system. The services watching it
    are asked first, and any of them may veto.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "/?" || args[0] == "-?" {
		fmt.Fprint(out, usage)
		return 0
	}
	conn := client.Dial(client.SocketPath())
	defer conn.Close()
	fmt.Fprint(out, "Microsoft PnP Utility\n\n")
	switch strings.ToLower(args[0]) {
	case "/enum-interfaces":
		req := &pb.DeviceInterfacesRequest{}
		switch {
		case len(args) == 3 && strings.EqualFold(args[1], "/class"):
			req.Class = args[2]
		case len(args) != 1:
			return invalid(errOut)
		}
		r, err := client.Call(conn.GetDeviceInterfaces, req)
		if err != nil {
			return fail(errOut, "Failed to enumerate device interfaces.", err)
		}
		for _, d := range r.Interfaces {
			fmt.Fprintf(out, "Interface Path:         %s\n", d.Name)
			fmt.Fprintf(out, "Interface Class GUID:   {%s}\n", d.Class)
			if len(d.HardwareIds) > 0 {
				fmt.Fprintf(out, "Hardware IDs:           %s\n", d.HardwareIds[0])
				for _, id := range d.HardwareIds[1:] {
					fmt.Fprintf(out, "                        %s\n", id)
				}
			}
			fmt.Fprintf(out, "Interface Status:       Enabled\n\n")
		}
		if len(r.Interfaces) == 0 {
			fmt.Fprintln(out, "No device interfaces were found on the system.")
		}
	case "/remove-device":
		if len(args) != 2 {
			return invalid(errOut)
		}
		fmt.Fprintf(out, "Removing device:          %s\n", args[1])
		r, err := client.Call(conn.RequestDeviceRemoval, &pb.DeviceRemovalRequest{Name: args[1]})
		if err != nil {
			return fail(errOut, "Failed to remove device: "+args[1], err)
		}
		if r.VetoType != 0 {
			fmt.Fprintf(out, "Failed to remove device: %s\n", args[1])
			fmt.Fprintf(out, "Removal vetoed by service: %s\n", r.VetoName)
			return int(windows.ERROR_DEVICE_IN_USE)
		}
		fmt.Fprintln(out, "Device removed successfully.")
	default:
		return invalid(errOut)
	}
	return 0
}

func fail(errOut io.Writer, what string, err error) int {
	code, ok := err.(windows.Errno)
	if !ok {
		code = windows.RPC_S_SERVER_UNAVAILABLE
	}
	fmt.Fprintf(errOut, "%s\n%s\n", what, winerror.Text(uint32(code)))
	return int(code)
}

func invalid(errOut io.Writer) int {
	fmt.Fprintln(errOut, "Invalid command line syntax. Type PNPUTIL /? for usage.")
	return int(windows.ERROR_INVALID_PARAMETER)
}
