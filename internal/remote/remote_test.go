package remote

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"B":              "B:5990",
		"B:7000":         "B:7000",
		"10.0.0.2":       "10.0.0.2:5990",
		"fe80::1":        "[fe80::1]:5990",
		"[fe80::1]":      "[fe80::1]:5990",
		"[fe80::1]:7000": "[fe80::1]:7000",
	} {
		if got := Address(in); got != want {
			t.Errorf("Address(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ServerName("[fe80::1]:7000"); got != "fe80::1" {
		t.Errorf("ServerName = %q", got)
	}
}

// What `scmd cert` makes is what the two ends need: a client of the CA
// gets through to a server of the CA, under its own name; a client of
// another CA does not, nor does a server certificate for another name.
func TestIssuedCertificatesHandshake(t *testing.T) {
	server := t.TempDir()
	if made, err := InitCA(server, "test CA"); err != nil || !made {
		t.Fatalf("InitCA: %v %v", made, err)
	}
	ca, _ := os.ReadFile(filepath.Join(server, CAFile))
	if made, err := InitCA(server, "test CA"); err != nil || made {
		t.Fatalf("a second InitCA: %v %v, want the first CA kept", made, err)
	}
	if again, _ := os.ReadFile(filepath.Join(server, CAFile)); string(again) != string(ca) {
		t.Fatal("a second InitCA replaced the CA")
	}
	if err := IssueServer(server, []string{"B", "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	alice := filepath.Join(t.TempDir(), "alice")
	if err := IssueClient(server, alice, "alice", -1, -1); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(alice, ClientKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the client's key: %v %v, want mode 0600", st, err)
	}
	other := t.TempDir()
	InitCA(other, "another CA")
	stranger := filepath.Join(t.TempDir(), "stranger")
	if err := IssueClient(other, stranger, "alice", -1, -1); err != nil {
		t.Fatal(err)
	}
	files := func(dir string) ClientFiles {
		// The stranger trusts B's CA: only its own certificate is foreign.
		return ClientFiles{CA: filepath.Join(server, CAFile), Cert: filepath.Join(dir, ClientCertFile), Key: filepath.Join(dir, ClientKeyFile)}
	}

	cn, err := handshake(t, server, files(alice), "B:5990")
	if err != nil || cn != "alice" {
		t.Fatalf("alice: %q %v", cn, err)
	}
	if _, err := handshake(t, server, files(alice), "127.0.0.1:5990"); err != nil {
		t.Fatalf("by address: %v", err)
	}
	if _, err := handshake(t, server, files(stranger), "B:5990"); err == nil {
		t.Fatal("a client of another CA got through")
	}
	if _, err := handshake(t, server, files(alice), "C:5990"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a server certificate for B accepted as C's: %v", err)
	}
}

// handshake runs both ends over a pipe and returns the common name the
// server saw, or the client's error (the server's, if only it failed).
func handshake(t *testing.T, serverDir string, client ClientFiles, address string) (string, error) {
	t.Helper()
	scfg, err := ServerConfig(serverDir)
	if err != nil {
		t.Fatal(err)
	}
	ccfg, err := ClientConfig(client, address)
	if err != nil {
		t.Fatal(err)
	}
	// A socket, not net.Pipe: an alert must not wait for a reader.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type result struct {
		cn  string
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := l.Accept()
		if err != nil {
			done <- result{"", err}
			return
		}
		s := tls.Server(a, scfg)
		err = s.Handshake()
		var cn string
		if err == nil {
			cn = s.ConnectionState().PeerCertificates[0].Subject.CommonName
			s.Write([]byte{1}) // the client learns of its acceptance by reading
		}
		a.Close()
		done <- result{cn, err}
	}()
	b, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(b, ccfg)
	cerr := c.Handshake()
	if cerr == nil {
		_, cerr = c.Read(make([]byte, 1))
	}
	b.Close()
	r := <-done
	if cerr != nil {
		return "", cerr
	}
	if r.err != nil {
		return "", r.err
	}
	if tls.VersionTLS13 != c.ConnectionState().Version {
		t.Errorf("TLS version %x, want 1.3", c.ConnectionState().Version)
	}
	return r.cn, nil
}
