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
//
// running.json is replaced without an fsync. What it serves is a restart
// of scmd alone, after which the page cache still holds the last write;
// after a restart of the machine nothing it lists runs any more, and the
// boot id it carries says so. So a start never waits on the disk.
type AdoptionFile struct {
	key     []byte
	running string // running.json's path
	boot    string // this boot's id, which running.json carries
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
	f := &AdoptionFile{key: key, running: filepath.Join(dir, "running.json"), boot: bootID(), logf: logf, saving: make(chan func() []string, 1)}
	f.cond = sync.NewCond(&f.mu)
	var last runningList
	if b, err := os.ReadFile(f.running); err == nil {
		json.Unmarshal(b, &last)
	}
	go f.save()
	if last.Boot != f.boot {
		return f, nil, nil // written before the machine restarted: nothing of it runs
	}
	return f, last.Running, nil
}

// runningList is running.json's content.
type runningList struct {
	Boot    string   `json:"boot"`
	Running []string `json:"running"`
}

// bootID is the kernel's id of this boot, or "" where it has none, and
// then every list is taken as this boot's.
func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
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
		b, _ := json.Marshal(runningList{Boot: f.boot, Running: names})
		if err := replaceFile(f.running, b); err != nil {
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

// replaceFile replaces a file with data at once, as a reader sees it: a
// temporary file renamed over it.
func replaceFile(path string, data []byte) error {
	return replace(path, data, false)
}

// writeFileSync replaces a file with data, durably: as replaceFile, with
// the file fsynced before the rename and the directory after it.
func writeFileSync(path string, data []byte) error {
	return replace(path, data, true)
}

func replace(path string, data []byte, durably bool) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if durably {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !durably {
		return nil
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
