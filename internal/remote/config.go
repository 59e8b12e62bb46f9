package remote

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The files of the server's side, in the directory ServerDir names.
const (
	CAFile         = "ca.pem"     // the CA whose client certificates scmd accepts
	CAKeyFile      = "ca.key"     // its key, for `scmd cert client`
	ServerCertFile = "server.pem" // scmd's certificate, issued by the CA
	ServerKeyFile  = "server.key"
)

// The files of a client's side, in ClientDir.
const (
	ClientCertFile = "client.pem"
	ClientKeyFile  = "client.key"
)

// ServerDir is where scmd keeps its certificates: remote/ in its state
// directory, which only its own user may read.
func ServerDir(stateDir string) string { return filepath.Join(stateDir, "remote") }

// ClientFiles are the files a client presents and trusts.
type ClientFiles struct {
	CA, Cert, Key string
}

// DefaultClientFiles are the caller's: ca.pem, client.pem and client.key in
// $XDG_CONFIG_HOME/scm (~/.config/scm), each overridden by SCM_CA,
// SCM_CERT and SCM_KEY.
func DefaultClientFiles() ClientFiles {
	dir := ClientDir()
	f := ClientFiles{
		CA:   filepath.Join(dir, CAFile),
		Cert: filepath.Join(dir, ClientCertFile),
		Key:  filepath.Join(dir, ClientKeyFile),
	}
	for _, o := range []struct {
		env  string
		file *string
	}{{"SCM_CA", &f.CA}, {"SCM_CERT", &f.Cert}, {"SCM_KEY", &f.Key}} {
		if v := os.Getenv(o.env); v != "" {
			*o.file = v
		}
	}
	return f
}

// ClientDir is the directory of a client's files.
func ClientDir() string {
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "scm")
	}
	return filepath.Join(os.Getenv("HOME"), ".config", "scm")
}

// ServerConfig is scmd's TLS configuration: TLS 1.3 only, its certificate,
// and a client certificate required and verified against the CA.
func ServerConfig(dir string) (*tls.Config, error) {
	// Whoever reads the CA's key issues certificates that act as root.
	for _, key := range []string{CAKeyFile, ServerKeyFile} {
		if err := checkPrivate(filepath.Join(dir, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("the server's certificate: %w (`scmd cert init` makes one)", err)
	}
	pool, err := loadPool(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// ClientConfig is a client's TLS configuration for the server at address:
// TLS 1.3 only, its certificate, and the server's checked against the CA
// for the host's name.
func ClientConfig(f ClientFiles, address string) (*tls.Config, error) {
	if err := checkPrivate(f.Key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("the client's certificate: %w", err)
	}
	pool, err := loadPool(f.CA)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   ServerName(address),
	}, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("the CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("the CA: " + file + " holds no PEM certificate")
	}
	return pool, nil
}

// Fingerprint names a certificate in the account mapping: "SHA256:" and
// the hex of its DER form's digest, as `openssl x509 -fingerprint -sha256`
// shows it without the colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "SHA256:" + hex.EncodeToString(sum[:])
}

// checkPrivate refuses a private key that others may read, as ssh refuses
// an unprotected key file: whoever reads it is whom it stands for.
func checkPrivate(file string) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("%s is readable by others (mode %04o): chmod 600 %s", file, mode, file)
	}
	return nil
}
