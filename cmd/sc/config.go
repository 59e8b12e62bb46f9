package main

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

var typeWords = map[string]uint32{
	"own":       windows.SERVICE_WIN32_OWN_PROCESS,
	"share":     windows.SERVICE_WIN32_SHARE_PROCESS,
	"kernel":    windows.SERVICE_KERNEL_DRIVER,
	"filesys":   windows.SERVICE_FILE_SYSTEM_DRIVER,
	"rec":       windows.SERVICE_RECOGNIZER_DRIVER,
	"userown":   windows.SERVICE_USER_OWN_PROCESS,
	"usershare": windows.SERVICE_USER_SHARE_PROCESS,
}

var startWords = map[string]uint32{
	"boot":         windows.SERVICE_BOOT_START,
	"system":       windows.SERVICE_SYSTEM_START,
	"auto":         windows.SERVICE_AUTO_START,
	"demand":       windows.SERVICE_DEMAND_START,
	"disabled":     windows.SERVICE_DISABLED,
	"delayed-auto": windows.SERVICE_AUTO_START,
}

var errorWords = map[string]uint32{
	"ignore":   windows.SERVICE_ERROR_IGNORE,
	"normal":   windows.SERVICE_ERROR_NORMAL,
	"severe":   windows.SERVICE_ERROR_SEVERE,
	"critical": windows.SERVICE_ERROR_CRITICAL,
}

// configArgs is what create= and config= options say.
type configArgs struct {
	typ, start, errCtl  *uint32
	delayed             bool
	binPath, group, obj *string
	display, password   *string
	tag                 bool
	deps                []string
	depsSet             bool
}

func parseConfigArgs(args []string) (*configArgs, bool) {
	opts, ok := options(args)
	if !ok {
		return nil, false
	}
	c := &configArgs{}
	for _, o := range opts {
		k, v := o[0], o[1]
		lv := strings.ToLower(v)
		switch k {
		case "type":
			if lv == "interact" {
				t := uint32(windows.SERVICE_INTERACTIVE_PROCESS)
				if c.typ != nil {
					t |= *c.typ
				}
				c.typ = &t
				continue
			}
			t, ok := typeWords[lv]
			if !ok {
				return nil, false
			}
			if c.typ != nil {
				t |= *c.typ & windows.SERVICE_INTERACTIVE_PROCESS
			}
			c.typ = &t
		case "start":
			t, ok := startWords[lv]
			if !ok {
				return nil, false
			}
			c.start, c.delayed = &t, lv == "delayed-auto"
		case "error":
			t, ok := errorWords[lv]
			if !ok {
				return nil, false
			}
			c.errCtl = &t
		case "binpath":
			c.binPath = &v
		case "group":
			c.group = &v
		case "tag":
			switch lv {
			case "yes":
				c.tag = true
			case "no":
			default:
				return nil, false
			}
		case "depend":
			c.depsSet = true
			c.deps = nil
			for _, d := range strings.Split(v, "/") {
				if d != "" {
					c.deps = append(c.deps, d)
				}
			}
		case "obj":
			c.obj = &v
		case "displayname":
			c.display = &v
		case "password":
			c.password = &v
		default:
			return nil, false
		}
	}
	return c, true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func runCreate(s *session, name string, args []string) int {
	c, ok := parseConfigArgs(args)
	if name == "" || !ok || c.binPath == nil {
		return s.usage("create")
	}
	scm, code := s.openSCM(windows.SC_MANAGER_CREATE_SERVICE)
	if code != 0 {
		return code
	}
	defer s.close(scm)
	req := &pb.CreateServiceRequest{
		Scm: scm, ServiceName: name, DisplayName: deref(c.display), DesiredAccess: windows.SERVICE_ALL_ACCESS,
		ServiceType: windows.SERVICE_WIN32_OWN_PROCESS, StartType: windows.SERVICE_DEMAND_START,
		ErrorControl: windows.SERVICE_ERROR_NORMAL, BinaryPathName: *c.binPath, LoadOrderGroup: deref(c.group),
		WantTagId: c.tag, Dependencies: c.deps, ServiceStartName: deref(c.obj), Password: deref(c.password),
	}
	if c.typ != nil {
		req.ServiceType = *c.typ
	}
	if c.start != nil {
		req.StartType = *c.start
	}
	if c.errCtl != nil {
		req.ErrorControl = *c.errCtl
	}
	r, err := client.Call(s.conn.CreateService, req)
	if err != nil {
		return s.failed("CreateService", err)
	}
	defer s.close(r.Handle)
	if c.delayed {
		_, err := client.Call(s.conn.ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: r.Handle,
			Info: &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: 1}})
		if err != nil {
			return s.failed("ChangeServiceConfig2", err)
		}
	}
	fmt.Fprint(s.out, "[SC] CreateService SUCCESS\n")
	return 0
}

func runConfig(s *session, name string, args []string) int {
	c, ok := parseConfigArgs(args)
	if name == "" || !ok || len(args) == 0 {
		return s.usage("config")
	}
	h, code := s.openService(name, windows.SERVICE_CHANGE_CONFIG|windows.SERVICE_QUERY_CONFIG, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	req := &pb.ChangeServiceConfigRequest{
		Handle: h, ServiceType: c.typ, StartType: c.start, ErrorControl: c.errCtl,
		BinaryPathName: c.binPath, LoadOrderGroup: c.group, WantTagId: c.tag,
		ChangeDependencies: c.depsSet, Dependencies: c.deps, ServiceStartName: c.obj,
		Password: c.password, DisplayName: c.display,
	}
	if _, err := client.Call(s.conn.ChangeServiceConfig, req); err != nil {
		return s.failed("ChangeServiceConfig", err)
	}
	if c.start != nil {
		// start= auto and start= delayed-auto both set the delayed flag,
		// off and on, as sc.exe does.
		var delayed uint32
		if c.delayed {
			delayed = 1
		}
		_, err := client.Call(s.conn.ChangeServiceConfig2, &pb.ChangeServiceConfig2Request{Handle: h,
			Info: &pb.ServiceConfig2{InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, DelayedAutoStart: delayed}})
		if err != nil && *c.start == windows.SERVICE_AUTO_START {
			return s.failed("ChangeServiceConfig2", err)
		}
	}
	fmt.Fprint(s.out, "[SC] ChangeServiceConfig SUCCESS\n")
	return 0
}

func runDelete(s *session, name string, args []string) int {
	if name == "" {
		return s.usage("delete")
	}
	h, code := s.openService(name, windows.DELETE, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	if _, err := client.Call(s.conn.DeleteService, &pb.HandleRequest{Handle: h}); err != nil {
		return s.failed("DeleteService", err)
	}
	fmt.Fprint(s.out, "[SC] DeleteService SUCCESS\n")
	return 0
}

// bufSize reads sc's optional trailing buffer size argument.
func bufSize(args []string) (uint32, bool, bool) {
	if len(args) == 0 {
		return 0, false, true
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil || len(args) > 1 {
		return 0, false, false
	}
	return uint32(n), true, true
}

func runQc(s *session, name string, args []string) int {
	size, sized, ok := bufSize(args)
	if name == "" || !ok {
		return s.usage("qc")
	}
	h, code := s.openService(name, windows.SERVICE_QUERY_CONFIG, "")
	if code != 0 {
		return code
	}
	defer s.close(h)
	cfg, err := client.Call(s.conn.QueryServiceConfig, &pb.HandleRequest{Handle: h})
	if err != nil {
		return s.failed("QueryServiceConfig", err)
	}
	if sized && size < cfg.BytesNeeded {
		code := s.failed("QueryServiceConfig", windows.ERROR_INSUFFICIENT_BUFFER)
		fmt.Fprintf(s.out, "[SC] GetServiceConfig needs %d bytes\n", cfg.BytesNeeded)
		return code
	}
	delayed := false
	if cfg.StartType == windows.SERVICE_AUTO_START {
		if r, err := client.Call(s.conn.QueryServiceConfig2, &pb.QueryServiceConfig2Request{Handle: h, InfoLevel: windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO}); err == nil {
			delayed = r.DelayedAutoStart != 0
		}
	}
	w := s.out
	fmt.Fprintf(w, "[SC] QueryServiceConfig SUCCESS\n\nSERVICE_NAME: %s\n", name)
	fmt.Fprintf(w, "        TYPE               : %-3x %s\n", cfg.ServiceType, typeString(cfg.ServiceType))
	fmt.Fprintf(w, "        START_TYPE         : %-3d %s\n", cfg.StartType, startString(cfg.StartType, delayed))
	fmt.Fprintf(w, "        ERROR_CONTROL      : %-3d %s\n", cfg.ErrorControl, errorString(cfg.ErrorControl))
	fmt.Fprintf(w, "        BINARY_PATH_NAME   : %s\n", cfg.BinaryPathName)
	fmt.Fprintf(w, "        LOAD_ORDER_GROUP   : %s\n", cfg.LoadOrderGroup)
	fmt.Fprintf(w, "        TAG                : %d\n", cfg.TagId)
	fmt.Fprintf(w, "        DISPLAY_NAME       : %s\n", cfg.DisplayName)
	if len(cfg.Dependencies) == 0 {
		fmt.Fprintf(w, "        DEPENDENCIES       : \n")
	}
	for i, d := range cfg.Dependencies {
		if i == 0 {
			fmt.Fprintf(w, "        DEPENDENCIES       : %s\n", d)
		} else {
			fmt.Fprintf(w, "                           : %s\n", d)
		}
	}
	fmt.Fprintf(w, "        SERVICE_START_NAME : %s\n", cfg.ServiceStartName)
	return 0
}

func typeString(t uint32) string {
	var s string
	switch t &^ windows.SERVICE_INTERACTIVE_PROCESS {
	case windows.SERVICE_KERNEL_DRIVER:
		s = "KERNEL_DRIVER"
	case windows.SERVICE_FILE_SYSTEM_DRIVER:
		s = "FILE_SYSTEM_DRIVER"
	case windows.SERVICE_RECOGNIZER_DRIVER:
		s = "RECOGNIZER_DRIVER"
	case windows.SERVICE_WIN32_OWN_PROCESS:
		s = "WIN32_OWN_PROCESS"
	case windows.SERVICE_WIN32_SHARE_PROCESS:
		s = "WIN32_SHARE_PROCESS"
	case windows.SERVICE_USER_OWN_PROCESS:
		s = "USER_OWN_PROCESS"
	case windows.SERVICE_USER_SHARE_PROCESS:
		s = "USER_SHARE_PROCESS"
	default:
		s = "WIN32"
	}
	if t&windows.SERVICE_INTERACTIVE_PROCESS != 0 {
		s += " (interactive)"
	}
	return s + " "
}

func startString(t uint32, delayed bool) string {
	names := []string{"BOOT_START", "SYSTEM_START", "AUTO_START", "DEMAND_START", "DISABLED"}
	if int(t) >= len(names) {
		return ""
	}
	if delayed && t == windows.SERVICE_AUTO_START {
		return "AUTO_START  (DELAYED)"
	}
	return names[t]
}

func errorString(e uint32) string {
	names := []string{"IGNORE", "NORMAL", "SEVERE", "CRITICAL"}
	if int(e) >= len(names) {
		return ""
	}
	return names[e]
}

const usageCreate = `        Creates a service entry in the registry and Service Database.
USAGE:
        sc <server> create [service name] [binPath= ] <option1> <option2>...

OPTIONS:
NOTE: The option name includes the equal sign.
      A space is required between the equal sign and the value.
 type= <own|share|interact|kernel|filesys|rec|userown|usershare>
       (default = own)
 start= <boot|system|auto|demand|disabled|delayed-auto>
       (default = demand)
 error= <normal|severe|critical|ignore>
       (default = normal)
 binPath= <BinaryPathName to the .exe file>
 group= <LoadOrderGroup>
 tag= <yes|no>
 depend= <Dependencies(separated by / (forward slash))>
 obj= <AccountName|ObjectName>
       (default = LocalSystem)
 DisplayName= <display name>
 password= <password>
`

const usageConfig = `        Modifies a service entry in the registry and Service Database.
USAGE:
        sc <server> config [service name] <option1> <option2>...

OPTIONS:
NOTE: The option name includes the equal sign.
      A space is required between the equal sign and the value.
      To remove the dependency, use a single / as dependency value.
 type= <own|share|interact|kernel|filesys|rec|adapt|userown|usershare>
 start= <boot|system|auto|demand|disabled|delayed-auto>
 error= <normal|severe|critical|ignore>
 binPath= <BinaryPathName to the .exe file>
 group= <LoadOrderGroup>
 tag= <yes|no>
 depend= <Dependencies(separated by / (forward slash))>
 obj= <AccountName|ObjectName>
 DisplayName= <display name>
 password= <password>
`
