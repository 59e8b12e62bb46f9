package launch

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// AdoptionFile is what a restarted scmd needs from the one before it: the
// key that signs the tokens hosts prove their services with (host.key),
// and the services that were running (running.log). Both live in the
// state directory.
//
// running.log is a log of the running set's changes: a line naming the
// boot, then a line "+name" as a service starts and "-name" as it stops.
// A change costs one small append, whatever the number of services; the
// log is rewritten with the set alone once it has grown past twice the
// set. Nothing is fsynced: what the file serves is a restart of scmd
// alone, after which the page cache still holds the last write; after a
// restart of the machine nothing it lists runs any more, and the boot id
// it carries says so. So a start never waits on the disk.
type AdoptionFile struct {
	key    []byte
	path   string // running.log's
	legacy string // running.json, the list's earlier form, until running.log replaces it
	boot   string // this boot's id, which running.log carries
	logf   func(format string, args ...any)

	wake chan struct{} // a save is wanted

	mu             sync.Mutex
	cond           *sync.Cond
	pending        []change // changes not yet written
	changed, saved uint64   // changes made, and written, since the open

	// The saver's own, touched only by its goroutine.
	out     *os.File
	set     map[string]string // the running set, by lower-case name
	entries int               // lines in running.log after its first
}

// change is a service joining (running) or leaving the running set.
type change struct {
	name    string
	running bool
}

// logName is running.log's name in the state directory.
const logName = "running.log"

// OpenAdoptionFile loads the key from dir, making one on first use, and
// returns the services running.log lists.
func OpenAdoptionFile(dir string, logf func(format string, args ...any)) (*AdoptionFile, []string, error) {
	key, err := loadKey(filepath.Join(dir, "host.key"))
	if err != nil {
		return nil, nil, err
	}
	f := &AdoptionFile{key: key, path: filepath.Join(dir, logName), legacy: filepath.Join(dir, "running.json"), boot: bootID(), logf: logf,
		wake: make(chan struct{}, 1), set: map[string]string{}}
	f.cond = sync.NewCond(&f.mu)
	var boot string
	var last []string
	if b, err := os.ReadFile(f.path); err == nil {
		boot, last = parseRunning(b)
	} else if b, err := os.ReadFile(f.legacy); err == nil {
		var old struct {
			Boot    string   `json:"boot"`
			Running []string `json:"running"`
		}
		json.Unmarshal(b, &old)
		boot, last = old.Boot, old.Running
	}
	if boot != f.boot {
		last = nil // written before the machine restarted: nothing of it runs
	}
	go f.save()
	return f, last, nil
}

// parseRunning replays a running.log: the boot it names and the services
// it leaves running, sorted. A line it cannot read (a write cut short) is
// skipped.
func parseRunning(b []byte) (boot string, running []string) {
	set := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first {
			boot, _ = strings.CutPrefix(line, "boot ")
			continue
		}
		if len(line) < 2 {
			continue
		}
		name, err := strconv.Unquote(line[1:])
		if err != nil {
			continue
		}
		switch line[0] {
		case '+':
			set[strings.ToLower(name)] = name
		case '-':
			delete(set, strings.ToLower(name))
		}
	}
	for _, n := range set {
		running = append(running, n)
	}
	sort.Strings(running)
	return boot, running
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
func (f *AdoptionFile) Token(pid uint32, start uint64, service string) []byte {
	if start == 0 {
		return nil
	}
	mac := hmac.New(sha256.New, f.key)
	fmt.Fprintf(mac, "%d:%d:%s", pid, start, strings.ToLower(service))
	return mac.Sum(nil)
}

// Proves reports whether token proves that the process pid, started at
// start, runs service.
func (f *AdoptionFile) Proves(token []byte, pid uint32, start uint64, service string) bool {
	want := f.Token(pid, start, service)
	return want != nil && hmac.Equal(token, want)
}

// SetRunning records that service joined the running set or left it. It
// does not wait: the line is written by a goroutine of the file's own, so
// a burst of changes costs one write.
func (f *AdoptionFile) SetRunning(service string, running bool) {
	f.mu.Lock()
	f.pending = append(f.pending, change{service, running})
	f.changed++
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default: // a save is already asked for; it takes this change too
	}
}

func (f *AdoptionFile) save() {
	for range f.wake {
		f.mu.Lock()
		batch, gen := f.pending, f.changed
		f.pending = nil
		f.mu.Unlock()
		if err := f.write(batch); err != nil {
			f.logf("recording the running services: %v", err)
			f.out.Close()
			f.out = nil // the next save starts the log afresh
		}
		f.mu.Lock()
		f.saved = gen
		f.cond.Broadcast()
		f.mu.Unlock()
	}
}

// write applies a batch of changes to the set and appends them to the
// log, which it first rewrites with the set alone if it is new to this
// scmd or has grown past twice the set.
func (f *AdoptionFile) write(batch []change) error {
	var lines bytes.Buffer
	for _, c := range batch {
		key := strings.ToLower(c.name)
		if c.running {
			f.set[key] = c.name
			lines.WriteByte('+')
		} else {
			delete(f.set, key)
			lines.WriteByte('-')
		}
		lines.WriteString(strconv.Quote(c.name))
		lines.WriteByte('\n')
	}
	f.entries += len(batch)
	if f.out == nil || f.entries > 2*len(f.set)+64 {
		return f.rewrite()
	}
	_, err := f.out.Write(lines.Bytes())
	return err
}

// rewrite replaces running.log with the boot and the set, and opens it
// for the changes that follow.
func (f *AdoptionFile) rewrite() error {
	if f.out != nil {
		f.out.Close()
		f.out = nil
	}
	names := make([]string, 0, len(f.set))
	for _, n := range f.set {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	fmt.Fprintf(&b, "boot %s\n", f.boot)
	for _, n := range names {
		b.WriteByte('+')
		b.WriteString(strconv.Quote(n))
		b.WriteByte('\n')
	}
	if err := replaceFile(f.path, b.Bytes()); err != nil {
		return err
	}
	if f.legacy != "" {
		os.Remove(f.legacy)
		f.legacy = ""
	}
	out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	f.out, f.entries = out, len(names)
	return nil
}

// WaitRecorded returns once running.log holds every change to the
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
