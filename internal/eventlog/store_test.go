package eventlog

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func openStore(t *testing.T) *Store {
	s, err := Open(filepath.Join(t.TempDir(), "eventlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAppendReadRoundTrip(t *testing.T) {
	s := openStore(t)
	now := time.Unix(1700000000, 5)
	want := Record{TimeGenerated: now, TimeWritten: now, EventID: 7036, Type: Information,
		Source: "Service Control Manager", Computer: "host", Strings: []string{"Spooler", "running"}, Data: []byte{1, 2}}
	n, err := s.Append("System", &want, DefaultLimits)
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	got, err := s.Read("System", false, 0, nil)
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	want.RecordNumber = 1
	got[0].TimeGenerated, got[0].TimeWritten = got[0].TimeGenerated.UTC(), got[0].TimeWritten.UTC()
	want.TimeGenerated, want.TimeWritten = now.UTC(), now.UTC()
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("got %+v\nwant %+v", got[0], want)
	}
}

func TestOverwriteOldestWhenFull(t *testing.T) {
	s := openStore(t)
	lim := Limits{MaxSize: 1000}
	for i := 0; i < 100; i++ {
		if _, err := s.Append("Application", &Record{EventID: uint32(i), Strings: []string{"0123456789"}}, lim); err != nil {
			t.Fatal(err)
		}
	}
	info, _ := s.Info("Application")
	if info.Size > 1000 || info.Newest != 100 || info.Oldest <= 1 {
		t.Errorf("info %+v", info)
	}
	newest, _ := s.Read("Application", true, 1, nil)
	if newest[0].EventID != 99 {
		t.Errorf("newest %+v", newest[0])
	}
	lim.Retention = NeverOverwrite
	if _, err := s.Append("Application", &Record{Strings: []string{"0123456789"}}, lim); err != ErrLogFull {
		t.Errorf("a full log that may not overwrite: %v", err)
	}
	if err := s.Clear("Application"); err != nil {
		t.Fatal(err)
	}
	if info, _ := s.Info("Application"); info.Records != 0 || info.Size != 0 {
		t.Errorf("after clear %+v", info)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(&Record{EventID: 1, Strings: []string{"a"}, Data: []byte{9}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decode(b)
		if err != nil {
			return
		}
		again, err := decode(encode(&r))
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip %+v vs %+v: %v", r, again, err)
		}
	})
}

// A file a compaction closed and could not open again (the disk refused
// for a moment) is opened again by the next call, not left closed for good.
func TestStoreReopensAfterFailedCompaction(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "eventlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.mu.Lock()
	s.db.Close() // where compactLocked leaves it when reopening fails
	s.mu.Unlock()
	rec := &Record{EventID: 1, Type: Information, Source: "test", Strings: []string{"after"}}
	if _, err := s.Append("Application", rec, DefaultLimits); err != nil {
		t.Fatalf("Append after a failed reopening: %v", err)
	}
	recs, err := s.Read("Application", false, 0, nil)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Read: %d records, %v", len(recs), err)
	}
	s.Close()
	if _, err := s.Append("Application", rec, DefaultLimits); err == nil {
		t.Fatal("Append on a closed store succeeded")
	}
}
