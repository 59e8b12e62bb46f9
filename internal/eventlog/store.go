// Package eventlog is the SCM's event log: durable, bounded logs
// (Application, System, and any other a source registers under
// HKLM\SYSTEM\CurrentControlSet\Services\EventLog) of records as Windows
// keeps them, in one bbolt file.
package eventlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Event types, as EVENTLOG_*_TYPE.
const (
	Success      = 0
	Error        = 1
	Warning      = 2
	Information  = 4
	AuditSuccess = 8
	AuditFailure = 16
)

// Record is one event.
type Record struct {
	RecordNumber  uint64
	TimeGenerated time.Time
	TimeWritten   time.Time
	EventID       uint32
	Type          uint16
	Category      uint16
	Source        string
	Computer      string
	UserSID       string
	Strings       []string
	Data          []byte
}

// Limits are a log's settings: its maximum size in bytes, and whether old
// events may be overwritten when it is full (Retention 0, Windows' default:
// "overwrite events as needed") or not (Retention 0xFFFFFFFF).
type Limits struct {
	MaxSize   uint64
	Retention uint32
}

// DefaultLimits are Windows' defaults for a log.
var DefaultLimits = Limits{MaxSize: 20 << 20, Retention: 0}

// NeverOverwrite is the Retention that keeps events until the log is
// cleared.
const NeverOverwrite = 0xFFFFFFFF

// ErrLogFull is ERROR_LOG_FILE_FULL's condition: the log may not overwrite
// and has no room.
var ErrLogFull = errors.New("eventlog: the event log file is full")

// Store is the event log file. Its size stays within the sum of its
// logs' sizes plus FileSlack: each record is charged the bytes it takes in
// the file's pages, and when freed pages the file cannot reuse make it
// larger than that, the file is rewritten compactly (bbolt never shrinks
// a file by itself).
type Store struct {
	mu   sync.RWMutex // compaction replaces db
	db   *bolt.DB
	path string

	compactions int  // how many times the file was rewritten, for tests
	closed      bool // Close was called
}

var sizeKey = []byte("\x00size") // per log: the bytes its records take

// FileSlack is how far the file may outgrow the sum of its logs' sizes
// before it is compacted: the file's own pages (meta, freelist, bucket
// roots and branches), the pages a write copies before it frees the old
// ones, and the file's growth step.
const FileSlack = 2 << 20

// growStep is how much the file grows by at a time (bbolt's AllocSize,
// 16 MiB by default, would be most of a log).
const growStep = 256 << 10

var boltOptions = &bolt.Options{Timeout: 2 * time.Second}

// Open opens or creates the event log file.
func Open(path string) (*Store, error) {
	os.Remove(path + compactSuffix) // a compaction cut short
	db, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, log := range []string{"Application", "System"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(log)); err != nil {
				return err
			}
		}
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return recount(b) })
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, boltOptions)
	if err != nil {
		return nil, fmt.Errorf("eventlog: open %s: %w", path, err)
	}
	db.AllocSize = growStep
	return db, nil
}

// view and update run a transaction on the current file. A file that a
// compaction closed and could not open again is opened again first.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	err := s.db.View(fn)
	s.mu.RUnlock()
	if errors.Is(err, bolt.ErrDatabaseNotOpen) && s.reopen() == nil {
		return s.view(fn)
	}
	return err
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	err := s.db.Update(fn)
	s.mu.RUnlock()
	if errors.Is(err, bolt.ErrDatabaseNotOpen) && s.reopen() == nil {
		return s.update(fn)
	}
	return err
}

// reopen opens the file again after a compaction left it closed (its
// reopening failed); it fails for a store that Close closed.
func (s *Store) reopen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return bolt.ErrDatabaseNotOpen
	}
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err == nil {
		return nil // another caller reopened it
	}
	db, err := openBolt(s.path)
	if err != nil {
		return err
	}
	s.db = db
	return nil
}

// Close closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.db.Close()
}

// Append writes a record to a log, making room by dropping the oldest when
// the log may overwrite; the record is on disk when Append returns.
func (s *Store) Append(log string, r *Record, lim Limits) (uint64, error) {
	err := s.update(func(tx *bolt.Tx) error { return appendTx(tx, log, r, lim) })
	if err == nil {
		err = s.keepFileSize()
	}
	return r.RecordNumber, err
}

// AppendMany writes records to a log in one transaction: one fsync for
// all of them. A record the log has no room for is dropped with the error.
func (s *Store) AppendMany(log string, rs []*Record, lim Limits) error {
	var first error
	err := s.update(func(tx *bolt.Tx) error {
		for _, r := range rs {
			if err := appendTx(tx, log, r, lim); err == ErrLogFull {
				if first == nil {
					first = err
				}
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = s.keepFileSize()
	}
	if err != nil {
		return err
	}
	return first
}

func appendTx(tx *bolt.Tx, log string, r *Record, lim Limits) error {
	{
		b, err := tx.CreateBucketIfNotExists([]byte(log))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		// Records are appended in key order: full pages pack best.
		b.FillPercent = 1.0
		r.RecordNumber = seq
		enc := encode(r)
		size := logSize(b) + recordCost(len(enc))
		if lim.MaxSize > 0 && size > lim.MaxSize {
			if lim.Retention == NeverOverwrite {
				return ErrLogFull
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil && size > lim.MaxSize; k, v = c.First() {
				if len(k) != 8 {
					break
				}
				size -= min(size, recordCost(len(v)))
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		if err := b.Put(recordKey(seq), enc); err != nil {
			return err
		}
		return b.Put(sizeKey, binary.BigEndian.AppendUint64(nil, size))
	}
}

// recount charges a log's records again, so that a file written with
// another charge (or none) is held to this one's.
func recount(b *bolt.Bucket) error {
	var size uint64
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) == 8 {
			size += recordCost(len(v))
		}
	}
	if size == logSize(b) {
		return nil
	}
	return b.Put(sizeKey, binary.BigEndian.AppendUint64(nil, size))
}

func logSize(b *bolt.Bucket) uint64 {
	if v := b.Get(sizeKey); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func recordKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// Read returns up to count records of a log (count <= 0: all) that match
// (nil: all), oldest first or newest first.
func (s *Store) Read(log string, newestFirst bool, count int, match func(*Record) bool) ([]Record, error) {
	var out []Record
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(log))
		if b == nil {
			return ErrNoLog
		}
		c := b.Cursor()
		first, next := c.First, c.Next
		if newestFirst {
			first, next = c.Last, c.Prev
		}
		for k, v := first(); k != nil && (count <= 0 || len(out) < count); k, v = next() {
			if len(k) != 8 {
				continue
			}
			r, err := decode(v)
			if err != nil {
				return err
			}
			r.RecordNumber = binary.BigEndian.Uint64(k)
			if match == nil || match(&r) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

// ErrNoLog means the log does not exist.
var ErrNoLog = errors.New("eventlog: no such log")

// Info describes a log.
type Info struct {
	Records  uint64
	Size     uint64
	Oldest   uint64
	Newest   uint64
	Modified time.Time
}

// Info returns a log's record count, size and range.
func (s *Store) Info(log string) (Info, error) {
	var info Info
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(log))
		if b == nil {
			return ErrNoLog
		}
		info.Size = logSize(b)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			n := binary.BigEndian.Uint64(k)
			if info.Records == 0 {
				info.Oldest = n
			}
			info.Newest = n
			info.Records++
			if r, err := decode(v); err == nil {
				info.Modified = r.TimeWritten
			}
		}
		return nil
	})
	return info, err
}

// Clear empties a log; record numbers go on from where they were.
func (s *Store) Clear(log string) error { return s.ClearThrough(log, 0) }

// ClearThrough removes a log's records numbered up to through (0: all of
// them), keeping any written since.
func (s *Store) ClearThrough(log string, through uint64) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(log))
		if b == nil {
			return ErrNoLog
		}
		size := logSize(b)
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(k) == 8; k, v = c.First() {
			if through != 0 && binary.BigEndian.Uint64(k) > through {
				break
			}
			size -= min(size, recordCost(len(v)))
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return b.Put(sizeKey, binary.BigEndian.AppendUint64(nil, size))
	})
	if err != nil {
		return err
	}
	return s.keepFileSize()
}

// Logs lists the logs that have a place in the file.
func (s *Store) Logs() []string {
	var logs []string
	s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			logs = append(logs, string(name))
			return nil
		})
	})
	return logs
}

// A record is: time generated and written (unix nanoseconds, 8 bytes each),
// event ID (4), type (2), category (2), then source, computer and user SID
// as strings, the inserted strings, and the data.
func encode(r *Record) []byte {
	b := make([]byte, 0, 64)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.TimeGenerated.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.TimeWritten.UnixNano()))
	b = binary.LittleEndian.AppendUint32(b, r.EventID)
	b = binary.LittleEndian.AppendUint16(b, r.Type)
	b = binary.LittleEndian.AppendUint16(b, r.Category)
	for _, s := range []string{r.Source, r.Computer, r.UserSID} {
		b = appendString(b, s)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.Strings)))
	for _, s := range r.Strings {
		b = appendString(b, s)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.Data)))
	return append(b, r.Data...)
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("eventlog: corrupt record")

func decode(b []byte) (Record, error) {
	var r Record
	if len(b) < 24 {
		return r, errCorrupt
	}
	r.TimeGenerated = time.Unix(0, int64(binary.LittleEndian.Uint64(b)))
	r.TimeWritten = time.Unix(0, int64(binary.LittleEndian.Uint64(b[8:])))
	r.EventID = binary.LittleEndian.Uint32(b[16:])
	r.Type = binary.LittleEndian.Uint16(b[20:])
	r.Category = binary.LittleEndian.Uint16(b[22:])
	b = b[24:]
	str := func() (string, bool) {
		if len(b) < 4 {
			return "", false
		}
		n := binary.LittleEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return "", false
		}
		s := string(b[4 : 4+n])
		b = b[4+n:]
		return s, utf8.ValidString(s)
	}
	var ok bool
	for _, p := range []*string{&r.Source, &r.Computer, &r.UserSID} {
		if *p, ok = str(); !ok {
			return r, errCorrupt
		}
	}
	if len(b) < 2 {
		return r, errCorrupt
	}
	n := int(binary.LittleEndian.Uint16(b))
	b = b[2:]
	for i := 0; i < n; i++ {
		s, ok := str()
		if !ok {
			return r, errCorrupt
		}
		r.Strings = append(r.Strings, s)
	}
	if len(b) < 4 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)-4) {
		return r, errCorrupt
	}
	if len(b) > 4 {
		r.Data = append([]byte(nil), b[4:]...)
	}
	return r, nil
}
