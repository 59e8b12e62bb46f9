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
// three files a client reads (DefaultClientFiles).
func IssueClient(caDir, out, account string) error {
	tmpl, key, err := leaf(account, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return err
	}
	// out is made here and must not exist: root writes into a directory
	// no one else has had the chance to plant links in, which issuing into
	// an account's home would otherwise offer it.
	if err := os.Mkdir(out, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: --out names a directory to make", out)
		}
		return err
	}
	if err := sign(caDir, out, ClientCertFile, ClientKeyFile, tmpl, key); err != nil {
		return err
	}
	ca, err := os.ReadFile(filepath.Join(caDir, CAFile))
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(out, CAFile), ca, 0o644)
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
	ca, err := tls.LoadX509KeyPair(filepath.Join(caDir, CAFile), filepath.Join(caDir, CAKeyFile))
	if err != nil {
		return fmt.Errorf("the CA: %w (`scmd cert init` makes one)", err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), ca.PrivateKey)
	if err != nil {
		return err
	}
	return write(dir, certFile, keyFile, der, key)
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
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), 0o600); err != nil {
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
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
