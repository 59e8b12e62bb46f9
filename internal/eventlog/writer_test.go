package eventlog

import (
	"fmt"
	"testing"
)

// TestWriterFlushAndClose: what a writer was given is in the log once
// Flush returns, and what was queued at Close is written, not lost.
func TestWriterFlushAndClose(t *testing.T) {
	s := openStore(t)
	w := NewWriter(s, "System", func() Limits { return DefaultLimits }, nil, t.Logf)
	for i := 0; i < 100; i++ {
		w.Add(&Record{EventID: uint32(i), Source: "test", Strings: []string{fmt.Sprint(i)}})
	}
	w.Flush()
	if recs, err := s.Read("System", false, 0, nil); err != nil || len(recs) != 100 {
		t.Fatalf("after Flush: %d records, %v", len(recs), err)
	}
	for i := 100; i < 150; i++ {
		w.Add(&Record{EventID: uint32(i), Source: "test"})
	}
	w.Close()
	recs, err := s.Read("System", false, 0, nil)
	if err != nil || len(recs) != 150 {
		t.Fatalf("after Close: %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.EventID != uint32(i) {
			t.Fatalf("record %d is event %d: out of order", i, r.EventID)
		}
	}
	w.Add(&Record{EventID: 999, Source: "test"}) // dropped, and does not block
}
