package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/openscm/scm/internal/remote"
	"github.com/openscm/scm/internal/statedir"
)

const certUsage = `usage:
  scmd cert init [--state-dir DIR] [--host NAME]...
        make the CA (once) and scmd's certificate for this machine's name and
        addresses and each NAME, in DIR/remote
  scmd cert client ACCOUNT [--state-dir DIR] [--out DIR]
        issue a certificate that acts as ACCOUNT on this machine, with its key
        and the CA, in --out, a new directory (default ./scm-ACCOUNT): copy
        them to ~/.config/scm on the machine it is used from
`

// certCommand is `scmd cert`: the certificates of a small remote setup,
// made with the CA scmd keeps in its state directory.
func certCommand(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, certUsage)
		os.Exit(2)
	}
	fs := flag.NewFlagSet("scmd cert "+args[0], flag.ExitOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, certUsage) }
	stateDir := fs.String("state-dir", defaultStateDir(), "scmd's state directory")
	var hosts []string
	fs.Func("host", "a name or address the server's certificate is for (repeatable)", func(h string) error {
		hosts = append(hosts, h)
		return nil
	})
	out := fs.String("out", "", "where the client's files go")
	switch args[0] {
	case "init":
		fs.Parse(args[1:])
		if fs.NArg() != 0 {
			fs.Usage()
			os.Exit(2)
		}
		return certInit(*stateDir, append(machineNames(), hosts...))
	case "client":
		// The account may come before or after the flags.
		rest := args[1:]
		var account string
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			account, rest = rest[0], rest[1:]
		}
		fs.Parse(rest)
		if account == "" && fs.NArg() == 1 {
			account = fs.Arg(0)
		} else if fs.NArg() != 0 || account == "" {
			fs.Usage()
			os.Exit(2)
		}
		if *out == "" {
			*out = "scm-" + account
		}
		return certClient(*stateDir, account, *out)
	}
	fs.Usage()
	os.Exit(2)
	return nil
}

func certInit(stateDir string, hosts []string) error {
	if err := statedir.Prepare(stateDir); err != nil {
		return err
	}
	dir := remote.ServerDir(stateDir)
	name, _ := os.Hostname()
	made, err := remote.InitCA(dir, "scm CA "+name)
	if err != nil {
		return err
	}
	if made {
		fmt.Printf("made the CA: %s\n", filepath.Join(dir, remote.CAFile))
	} else {
		fmt.Printf("kept the CA: %s\n", filepath.Join(dir, remote.CAFile))
	}
	if err := remote.IssueServer(dir, hosts); err != nil {
		return err
	}
	fmt.Printf("made scmd's certificate for %s: %s\n", strings.Join(hosts, ", "), filepath.Join(dir, remote.ServerCertFile))
	return nil
}

func certClient(stateDir, account, out string) error {
	// The files become the account's, when it is a local one and scmd
	// runs as root, so that issuing straight into its home works.
	uid, gid := -1, -1
	u, err := user.Lookup(account)
	if err != nil {
		fmt.Fprintf(os.Stderr, "scmd: warning: %s is not an account here; map the certificate under HKLM\\SYSTEM\\CurrentControlSet\\Control\\RemoteAccounts\n", account)
	} else if os.Geteuid() == 0 {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	if err := remote.IssueClient(remote.ServerDir(stateDir), out, account, uid, gid); err != nil {
		return err
	}
	fmt.Printf("made a certificate for %s in %s: copy %s, %s and %s to ~/.config/scm where it is used from\n",
		account, out, remote.ClientCertFile, remote.ClientKeyFile, remote.CAFile)
	return nil
}

// machineNames are what a client may call this machine: its host name,
// localhost, and the addresses of its interfaces.
func machineNames() []string {
	var names []string
	if h, err := os.Hostname(); err == nil {
		names = append(names, h)
	}
	names = append(names, "localhost")
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLinkLocalUnicast() {
			names = append(names, n.IP.String())
		}
	}
	return names
}
