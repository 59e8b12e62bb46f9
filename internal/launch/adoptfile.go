package launch

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// AdoptionFile is what a restarted scmd needs from the one before it: the
// key that signs the tokens hosts prove their services with (host.key),
// and the services that were running (running.json). Both live in the
// state directory.
type AdoptionFile struct {
	key     []byte
	running string // running.json's path
	logf    func(format string, args ...any)

	saving chan func() []string // a request to save the list it returns

	// changed counts the changes to the running set; saved is the count
	// running.json holds.
	mu             sync.Mutex
	cond           *sync.Cond
	changed, saved uint64
}

// OpenAdoptionFile loads the key from dir, making one on first use, and
// returns the services running.json lists.
func OpenAdoptionFile(dir string, logf func(format string, args ...any)) (*AdoptionFile, []string, error) {
	key, err := loadKey(filepath.Join(dir, "host.key"))
	if err != nil {
		return nil, nil, err
	}
	f := &AdoptionFile{key: key, running: filepath.Join(dir, "running.json"), logf: logf, saving: make(chan func() []string, 1)}
	f.cond = sync.NewCond(&f.mu)
	var running []string
	if b, err := os.ReadFile(f.running); err == nil {
		json.Unmarshal(b, &running)
	}
	go f.save()
	return f, running, nil
}

// Token is the proof a start request gives a host that it runs the
// service: an HMAC of the host's pid, its start time and the service's
// name. Nil when the process is gone.
func (f *AdoptionFile) Token(pid uint32, service string) []byte {
	start, err := StartTime(int(pid))
	if err != nil {
		return nil
	}
	mac := hmac.New(sha256.New, f.key)
	fmt.Fprintf(mac, "%d:%d:%s", pid, start, strings.ToLower(service))
	return mac.Sum(nil)
}

// Proves reports whether token proves that pid runs service.
func (f *AdoptionFile) Proves(token []byte, pid uint32, service string) bool {
	want := f.Token(pid, service)
	return want != nil && hmac.Equal(token, want)
}

// RunningChanged records that the running set changed; running.json is
// rewritten from list (called off the caller's goroutine, with no lock of
// the caller's held) by a goroutine of its own, so a burst of changes costs
// one write.
func (f *AdoptionFile) RunningChanged(list func() []string) {
	f.mu.Lock()
	f.changed++
	f.mu.Unlock()
	select {
	case f.saving <- list:
	default: // a save is already asked for; it reads the list when it runs
	}
}

func (f *AdoptionFile) save() {
	for list := range f.saving {
		f.mu.Lock()
		gen := f.changed
		f.mu.Unlock()
		names := list() // holds every change up to gen
		sort.Strings(names)
		b, _ := json.Marshal(names)
		if err := writeFileSync(f.running, b); err != nil {
			f.logf("recording the running services: %v", err)
		}
		f.mu.Lock()
		f.saved = gen
		f.cond.Broadcast()
		f.mu.Unlock()
	}
}

// WaitRecorded returns once running.json holds every change to the
// running set recorded so far.
func (f *AdoptionFile) WaitRecorded() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for want := f.changed; f.saved < want; {
		f.cond.Wait()
	}
}

func loadKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := writeFileSync(path, key); err != nil {
		return nil, fmt.Errorf("saving the host key: %w", err)
	}
	return key, nil
}

// writeFileSync replaces a file with data, durably: a temporary file,
// fsynced, renamed over it, and the directory fsynced.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
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
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
