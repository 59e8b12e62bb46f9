// Command scm-agent is the per-session agent: started in every login
// session (a systemd user unit and an XDG autostart entry are in contrib/),
// it runs the programs the Run keys list, as Explorer does at logon:
//
//	HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run      for every user
//	HKCU\Software\Microsoft\Windows\CurrentVersion\Run      for this user
//	HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce  once: each value is
//	                                                        deleted before it runs
//
// Each value is a command line (REG_SZ, or REG_EXPAND_SZ with %VAR%
// expanded), split as Windows splits one; a leading "*" (run in safe mode
// too) is dropped, and a RunOnce value named with a leading "!" is deleted
// after its program started rather than before. The programs run as the
// session's user, in its environment, on their own, with the home
// directory as working directory. This is how a service's helper comes to
// run in every session, where the service reaches it.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/openscm/scm/internal/cmdline"
	"github.com/openscm/scm/windows/registry"
)

const runPath = `SOFTWARE\Microsoft\Windows\CurrentVersion\`

func main() {
	failed := false
	for _, k := range []struct {
		root registry.Key
		name string
		once bool
	}{
		{registry.LOCAL_MACHINE, "Run", false},
		{registry.CURRENT_USER, "Run", false},
		{registry.CURRENT_USER, "RunOnce", true},
	} {
		if err := runKey(k.root, runPath+k.name, k.once); err != nil {
			fmt.Fprintf(os.Stderr, "scm-agent: %s: %v\n", k.name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// runKey starts the programs a Run key lists, in the order of their
// value names.
func runKey(root registry.Key, path string, once bool) error {
	access := uint32(registry.QUERY_VALUE)
	if once {
		access |= registry.SET_VALUE
	}
	k, err := registry.OpenKey(root, path, access)
	if err == registry.ErrNotExist {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		line, typ, err := k.GetStringValue(name)
		if err != nil {
			continue // not a string: nothing to run
		}
		if typ == registry.EXPAND_SZ {
			if line, err = registry.ExpandString(line); err != nil {
				continue
			}
		}
		after := once && strings.HasPrefix(name, "!")
		if once && !after {
			k.DeleteValue(name) // before it runs: a program that fails is not run again
		}
		if err := start(strings.TrimPrefix(line, "*")); err != nil {
			fmt.Fprintf(os.Stderr, "scm-agent: %s: %v\n", name, err)
		}
		if after {
			k.DeleteValue(name)
		}
	}
	return nil
}

// start runs a command line on its own: a session of its own, stdin and
// output on /dev/null, the home directory as its working directory. It is
// not waited for.
func start(line string) error {
	argv := cmdline.Split(line)
	if len(argv) == 0 || argv[0] == "" {
		return fmt.Errorf("empty command line")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Dir, _ = os.UserHomeDir()
	if fi, err := os.Stat(cmd.Dir); err != nil || !fi.IsDir() {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
