package eventlog

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A source's EventMessageFile names the file its messages' texts are in.
// On Windows that is a DLL or EXE with a message table; here it is the
// table's source, a message compiler (.mc) file, which is what programs
// ship their texts in (pywin32's servicemanager names its own).

// MaxMessageFile bounds a message file scmd reads.
const MaxMessageFile = 1 << 20

// MessageTable is a message file's texts by full message id: severity in
// the top two bits, facility in the next fourteen, the number below.
type MessageTable map[uint32]string

// ParseMessageFile reads a .mc file's messages: each MessageId= (empty: one
// more than the last), its Severity= and Facility=, and the text after
// Language= up to a line holding a single dot.
func ParseMessageFile(r io.Reader) (MessageTable, error) {
	severities := map[string]uint32{"success": 0, "informational": 1, "warning": 2, "error": 3}
	facilities := map[string]uint32{}
	table := MessageTable{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var last, severity, facility uint32
	started := false
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "facilitynames":
			for _, f := range strings.Fields(strings.Trim(strings.TrimSpace(value), "()")) {
				if name, n, ok := strings.Cut(f, "="); ok {
					if v, err := strconv.ParseUint(strings.Split(n, ":")[0], 0, 16); err == nil {
						facilities[strings.ToLower(name)] = uint32(v)
					}
				}
			}
		case "messageid":
			value = strings.TrimSpace(value)
			if value == "" {
				if started {
					last++
				}
			} else {
				n, err := strconv.ParseUint(value, 0, 16)
				if err != nil {
					continue
				}
				last = uint32(n)
			}
			started = true
		case "severity":
			severity = severities[strings.ToLower(strings.TrimSpace(value))]
		case "facility":
			facility = facilities[strings.ToLower(strings.TrimSpace(value))]
		case "language":
			var text []string
			for sc.Scan() && strings.TrimRight(sc.Text(), " \t\r") != "." {
				text = append(text, strings.TrimRight(sc.Text(), "\r"))
			}
			table[severity<<30|facility<<16|last] = strings.Join(text, "\r\n") + "\r\n"
		}
	}
	return table, sc.Err()
}

// Render is the record's text from a message table: its template with the
// inserts in, %n as a line break, without the line break that ends every
// message. ok is false when the table has no such message.
func (t MessageTable) Render(r *Record) (string, bool) {
	tmpl, ok := t[r.EventID]
	if !ok {
		return "", false
	}
	tmpl = strings.ReplaceAll(strings.TrimSuffix(tmpl, "\r\n"), "\r\n", "\n")
	return expand(tmpl, r.Strings), true
}

// MessageFiles caches message files by path, read again when they change.
type MessageFiles struct {
	mu    sync.Mutex
	files map[string]cachedTable
}

type cachedTable struct {
	modTime time.Time
	size    int64
	table   MessageTable
}

// Table is the message table of the .mc file at path, or nil if there is
// none to read there.
func (c *MessageFiles) Table(path string) MessageTable {
	if !strings.EqualFold(strings.TrimSpace(pathExt(path)), ".mc") {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > MaxMessageFile {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.files[path]; ok && got.modTime.Equal(fi.ModTime()) && got.size == fi.Size() {
		return got.table
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	table, err := ParseMessageFile(io.LimitReader(f, MaxMessageFile))
	if err != nil {
		return nil
	}
	if c.files == nil || len(c.files) >= 64 {
		c.files = map[string]cachedTable{}
	}
	c.files[path] = cachedTable{fi.ModTime(), fi.Size(), table}
	return table
}

func pathExt(p string) string {
	if i := strings.LastIndexByte(p, '.'); i >= 0 && !strings.ContainsRune(p[i:], '/') {
		return p[i:]
	}
	return ""
}
