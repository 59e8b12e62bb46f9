package remote

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// How long what Issue makes is valid: the CA ten years, a server's or a
// client's certificate two.
const (
	caLifetime   = 10 * 365 * 24 * time.Hour
	leafLifetime = 2 * 365 * 24 * time.Hour
)

// InitCA makes a CA in dir (ca.pem, ca.key) unless one is there: a
// second `scmd cert init` must not orphan the clients the first one's CA
// issued. It reports whether it made one.
func InitCA(dir, name string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, CAFile)); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	key, err := newKey()
	if err != nil {
		return false, err
	}
	tmpl, err := template(name, caLifetime)
	if err != nil {
		return false, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.MaxPathLenZero = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return false, err
	}
	return true, write(dir, CAFile, CAKeyFile, der, key)
}

// IssueServer makes scmd's certificate in dir, for the given host names
// and addresses, signed by the CA there.
func IssueServer(dir string, hosts []string) error {
	if len(hosts) == 0 {
		return errors.New("a server certificate needs at least one host name or address")
	}
	tmpl, key, err := leaf(hosts[0], x509.ExtKeyUsageServerAuth)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return sign(dir, dir, ServerCertFile, ServerKeyFile, tmpl, key)
}

// IssueClient makes a client certificate for account, signed by the CA in
// caDir, and puts it with its key and the CA's certificate in out: the
// three files a client reads (DefaultClientFiles). out is made here and
// must not exist; with uid and gid not -1, the files and out become theirs.
//
// Issuing straight into an account's home hands that account the parent
// directory: it could plant links, or swap out for a link once made. So
// everything is written through a descriptor of the directory made (an
// os.Root, which follows no link out of it), after checking that it is
// the one made: the caller's own, 0700, empty.
func IssueClient(caDir, out, account string, uid, gid int) error {
	tmpl, key, err := leaf(account, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	der, err := signBy(caDir, tmpl, key)
	if err != nil {
		return err
	}
	keyPEM, err := keyPEM(key)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(filepath.Join(caDir, CAFile))
	if err != nil {
		return err
	}
	if err := os.Mkdir(out, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: --out names a directory to make", out)
		}
		return err
	}
	dir, err := os.OpenRoot(out)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := madeHere(dir, out); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{ClientKeyFile, keyPEM, 0o600},
		{ClientCertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644},
		{CAFile, ca, 0o644},
	} {
		if err := writeIn(dir, f.name, f.data, f.mode); err != nil {
			return err
		}
		if uid != -1 {
			if err := dir.Lchown(f.name, uid, gid); err != nil {
				return err
			}
		}
	}
	if uid != -1 {
		return dir.Lchown(".", uid, gid)
	}
	return nil
}

// madeHere checks that dir is the directory just made at out: the
// caller's, 0700 and empty, which no one else could have put there.
func madeHere(dir *os.Root, out string) error {
	st, err := dir.Stat(".")
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || !st.IsDir() || int(sys.Uid) != os.Geteuid() || st.Mode().Perm() != 0o700 {
		return fmt.Errorf("%s was replaced while it was being made", out)
	}
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if names, _ := d.Readdirnames(1); len(names) > 0 {
		return fmt.Errorf("%s was replaced while it was being made", out)
	}
	return nil
}

// writeIn writes a new file in dir, durably.
func writeIn(dir *os.Root, name string, b []byte, mode fs.FileMode) error {
	f, err := dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	return writeSynced(f, b)
}

// writeSynced writes b to f, syncs and closes it.
func writeSynced(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func leaf(name string, usage x509.ExtKeyUsage) (*x509.Certificate, crypto.Signer, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template(name, leafLifetime)
	if err != nil {
		return nil, nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	return tmpl, key, nil
}

// sign signs tmpl with the CA in caDir and writes it and its key to dir.
func sign(caDir, dir, certFile, keyFile string, tmpl *x509.Certificate, key crypto.Signer) error {
	der, err := signBy(caDir, tmpl, key)
	if err != nil {
		return err
	}
	return write(dir, certFile, keyFile, der, key)
}

// signBy signs tmpl, for key, with the CA in caDir.
func signBy(caDir string, tmpl *x509.Certificate, key crypto.Signer) ([]byte, error) {
	ca, err := tls.LoadX509KeyPair(filepath.Join(caDir, CAFile), filepath.Join(caDir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("the CA: %w (`scmd cert init` makes one)", err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return nil, err
	}
	return x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), ca.PrivateKey)
}

func keyPEM(key crypto.Signer) ([]byte, error) {
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
}

func newKey() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func template(cn string, lifetime time.Duration) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour), // a client's clock a little behind
		NotAfter:     now.Add(lifetime),
	}, nil
}

// write puts a certificate (readable by all) and its key (by its owner
// alone) in dir, each written whole or not at all.
func write(dir, certFile, keyFile string, der []byte, key crypto.Signer) error {
	k, err := keyPEM(key)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, keyFile), k, 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, b []byte, mode fs.FileMode) error {
	tmp := path + ".tmp"
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if err := writeSynced(f, b); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
