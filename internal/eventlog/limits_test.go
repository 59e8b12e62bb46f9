package eventlog

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openscm/scm/windows"
	bolt "go.etcd.io/bbolt"
)

func TestCheckReport(t *testing.T) {
	long := strings.Repeat("x", MaxStringChars)
	for _, c := range []struct {
		name string
		r    Record
		want error
	}{
		{"longest string", Record{Strings: []string{long}}, nil},
		{"string too long", Record{Strings: []string{long + "x"}}, windows.ERROR_INVALID_PARAMETER},
		// A character outside the BMP is two of Windows' characters.
		{"surrogate pair too long", Record{Strings: []string{long[1:] + "😀"}}, windows.ERROR_INVALID_PARAMETER},
		{"too many strings", Record{Strings: make([]string, MaxStrings+1)}, windows.ERROR_INVALID_PARAMETER},
		{"most data", Record{Data: make([]byte, MaxDataSize)}, nil},
		{"too much data", Record{Data: make([]byte, MaxDataSize+1)}, windows.RPC_S_INVALID_BOUND},
		{"biggest record", Record{Strings: []string{long, long, long}, Data: make([]byte, MaxDataSize)}, nil},
		{"record too big", Record{Strings: []string{long, long, long, long, long}}, windows.ERROR_INVALID_PARAMETER},
	} {
		if err := CheckReport(&c.r); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestFileStaysWithinLogSizes writes events to a log many times its size,
// of a size that packs badly into pages, and of every size up to the
// largest Windows takes: the file never outgrows its logs' sizes by more
// than FileSlack, and the log keeps its newest events, oldest dropped
// first, without touching the other log.
func TestFileStaysWithinLogSizes(t *testing.T) {
	saved := boltOptions
	boltOptions = &bolt.Options{Timeout: saved.Timeout, NoSync: true} // fast; sizes are the same
	defer func() { boltOptions = saved }()
	long := strings.Repeat("x", MaxStringChars)
	for _, c := range []struct {
		name  string
		event func(rnd *rand.Rand, i int) *Record
	}{
		{"1000 bytes", func(*rand.Rand, int) *Record { return &Record{Strings: []string{long[:1000]}} }},
		{"any size", func(rnd *rand.Rand, i int) *Record {
			if i%3 == 0 { // the largest event there is
				return &Record{Strings: []string{long, long, long}, Data: make([]byte, MaxDataSize)}
			}
			return &Record{Strings: []string{long[:rnd.Intn(MaxStringChars)]}}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "eventlog.db")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			lim := Limits{MaxSize: 4 << 20}
			if _, err := s.Append("System", &Record{EventID: 7036, Strings: []string{"kept"}}, lim); err != nil {
				t.Fatal(err)
			}
			rnd := rand.New(rand.NewSource(1))
			var written int
			for i := 0; written < 3*int(lim.MaxSize); i++ {
				r := c.event(rnd, i)
				r.EventID = uint32(i)
				if err := CheckReport(r); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Append("Application", r, lim); err != nil {
					t.Fatal(err)
				}
				written += len(encode(r))
				if i%50 != 0 && len(r.Strings[0]) < 10000 {
					continue // Info reads every record: look now and then
				}
				app, _ := s.Info("Application")
				sys, _ := s.Info("System")
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if app.Size > lim.MaxSize {
					t.Fatalf("event %d: Application takes %d bytes, more than its MaxSize", i, app.Size)
				}
				if limit := app.Size + sys.Size + FileSlack; uint64(fi.Size()) > limit {
					t.Fatalf("event %d: file %d bytes, more than its logs' %d + %d", i, fi.Size(), app.Size+sys.Size, FileSlack)
				}
				if app.Records != app.Newest-app.Oldest+1 || app.Newest != uint64(i+1) || app.Oldest == 1 && written > int(lim.MaxSize) {
					t.Fatalf("event %d: Application holds %d records from %d to %d: not its newest, or with holes", i, app.Records, app.Oldest, app.Newest)
				}
				if sys.Records != 1 {
					t.Fatalf("event %d: System lost its event", i)
				}
			}
			t.Logf("%d bytes of events, %d compactions", written, s.compactions)
		})
	}
}

// TestCompactionKeepsEverything: a compacted file has every record, each
// log's size, and record numbers go on from where they were.
func TestCompactionKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eventlog.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 50; i++ {
		s.Append("Application", &Record{EventID: uint32(i), Strings: []string{strings.Repeat("y", i*100)}}, DefaultLimits)
	}
	s.Append("Custom", &Record{EventID: 1}, DefaultLimits)
	before, _ := s.Info("Application")
	s.mu.Lock()
	err = s.compactLocked()
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + compactSuffix); !os.IsNotExist(err) {
		t.Errorf("the compaction's file is left: %v", err)
	}
	after, _ := s.Info("Application")
	if after != before {
		t.Errorf("after compaction %+v, before %+v", after, before)
	}
	if n, err := s.Append("Application", &Record{}, DefaultLimits); n != 51 || err != nil {
		t.Errorf("next record %d, %v", n, err)
	}
	if rs, _ := s.Read("Custom", false, 0, nil); len(rs) != 1 {
		t.Errorf("Custom: %v", rs)
	}
}

// TestOpenRecountsSizes: a file whose logs were counted otherwise (by an
// older scmd, charging only the records' bytes) is held to the pages its
// records take as soon as it is opened.
func TestOpenRecountsSizes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eventlog.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		s.Append("Application", &Record{Strings: []string{strings.Repeat("z", 1000)}}, DefaultLimits)
	}
	want, _ := s.Info("Application")
	s.update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("Application")).Put(sizeKey, make([]byte, 8))
	})
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.Info("Application"); got.Size != want.Size {
		t.Errorf("size after open %d, want %d", got.Size, want.Size)
	}
}
