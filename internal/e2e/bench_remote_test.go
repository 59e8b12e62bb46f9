package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/scmtest"
)

// BenchmarkRemoteQueryServiceStatus measures QueryServiceStatus from
// another machine's point of view: over TLS on loopback, through the
// scm-remote bridge the clients use, with 1 and 8 clients each on its own
// connection, beside the same calls on the unix socket in the same run.
// It reports the p50 round trip and the calls per second.
func BenchmarkRemoteQueryServiceStatus(b *testing.B) {
	dir := b.TempDir()
	scmtest.Populate(b, dir, 10)
	addr := startRemoteSCMD(b, dir)
	for _, transport := range []string{"unix", "tls"} {
		for _, clients := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/clients=%d", transport, clients), func(b *testing.B) {
				benchStatusCalls(b, clients, func() *client.Conn {
					if transport == "tls" {
						return client.DialRemote(addr)
					}
					return client.Dial(client.SocketPath())
				})
			})
		}
	}
}

// startRemoteSCMD runs scmd on dir serving other machines on a loopback
// port of its choosing, with certificates from scmd cert and the client's
// files in the environment, and returns the address.
func startRemoteSCMD(tb testing.TB, dir string) string {
	tb.Helper()
	scmd := filepath.Join(binDir, "scmd")
	clientDir := filepath.Join(tb.TempDir(), "client")
	for _, args := range [][]string{
		{"cert", "init", "--state-dir", dir},
		{"cert", "client", "root", "--state-dir", dir, "--out", clientDir},
	} {
		if out, err := exec.Command(scmd, args...).CombinedOutput(); err != nil {
			tb.Fatalf("scmd %v: %v\n%s", args, err, out)
		}
	}
	tb.Setenv("SCM_CA", filepath.Join(clientDir, "ca.pem"))
	tb.Setenv("SCM_CERT", filepath.Join(clientDir, "client.pem"))
	tb.Setenv("SCM_KEY", filepath.Join(clientDir, "client.key"))
	tb.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH")) // the bridge
	sock := filepath.Join(dir, "scm.sock")
	tb.Setenv("SCM_SOCKET", sock)
	cmd := exec.Command(scmd, "--state-dir", dir, "--socket", sock, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { removeSCMCgroupDirs(sock) })
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stopSCMD(cmd) })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "scmd: serving other machines on "); ok {
			go func() {
				for lines.Scan() {
				}
			}()
			waitForSocketT(tb, sock)
			return strings.TrimSuffix(rest, " (TLS)")
		}
	}
	tb.Fatal("scmd ended without serving other machines")
	return ""
}
