package eventlog

import (
	"fmt"
	"runtime"
	"sync/atomic"
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

// A Flush waits for what was added before it, not for a stream of
// records that goes on meanwhile.
func TestWriterFlushUnderAStream(t *testing.T) {
	s := openStore(t)
	w := NewWriter(s, "System", func() Limits { return DefaultLimits }, nil, t.Logf)
	defer w.Close()
	var added atomic.Int64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			w.Add(&Record{EventID: uint32(i), Source: "test"})
			added.Add(1)
		}
	}()
	for added.Load() < 10 {
		runtime.Gosched()
	}
	before := added.Load()
	w.Flush() // with the stream still going
	close(stop)
	<-stopped
	recs, err := s.Read("System", false, 0, nil)
	if err != nil || int64(len(recs)) < before {
		t.Fatalf("after Flush: %d records of the %d added before it, %v", len(recs), before, err)
	}
}
