package eventlog

import (
	"sync"
	"time"
)

// Writer appends one log's records from a goroutine of its own, as many
// to a transaction as queue up within Linger of the first, so that a
// burst of events costs one fsync rather than one each, and whoever adds
// a record does not wait on the disk. Readers of the log Flush first, so
// they see what happened before they asked; a Flush ends the wait.
type Writer struct {
	store   *Store
	log     string
	limits  func() Limits
	forward *Forwarder
	logf    func(format string, args ...any)

	mu             sync.Mutex
	cond           *sync.Cond
	pending        []*Record
	added, written uint64 // records added, and written (or given up on), so far
	flushing       int    // Flush calls waiting: no batch lingers meanwhile
	closed         bool
	done           chan struct{}
	hurry          chan struct{} // a Flush or Close waits: write what there is
}

// Linger is how long a record waits for others to share its transaction.
const Linger = 10 * time.Millisecond

// NewWriter starts a writer of log in s. limits is asked for the log's
// limits before each batch; each record is also sent to forward (nil for
// nowhere). A batch that cannot be written is reported to logf and lost.
func NewWriter(s *Store, log string, limits func() Limits, forward *Forwarder, logf func(format string, args ...any)) *Writer {
	w := &Writer{store: s, log: log, limits: limits, forward: forward, logf: logf, done: make(chan struct{}), hurry: make(chan struct{}, 1)}
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// Add queues a record. After Close it is dropped.
func (w *Writer) Add(r *Record) {
	w.mu.Lock()
	if !w.closed {
		w.pending = append(w.pending, r)
		w.added++
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.pending) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.pending) == 0 {
			w.mu.Unlock()
			return
		}
		if !w.closed && w.flushing == 0 {
			w.mu.Unlock()
			w.linger()
			w.mu.Lock()
		}
		batch := w.pending
		w.pending = nil
		w.mu.Unlock()
		if err := w.store.AppendMany(w.log, batch, w.limits()); err != nil {
			w.logf("%d events not recorded in %s: %v", len(batch), w.log, err)
		}
		for _, r := range batch {
			w.forward.Send(w.log, r)
		}
		w.mu.Lock()
		w.written += uint64(len(batch))
		w.mu.Unlock()
		w.cond.Broadcast()
	}
}

// linger waits for more records to share the batch, until Linger passes
// or someone waits for the batch to be written.
func (w *Writer) linger() {
	t := time.NewTimer(Linger)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.hurry:
	}
}

// Flush waits until every record added before it is in the log; records
// added meanwhile do not keep it waiting.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	want := w.added
	if w.written >= want {
		return
	}
	w.flushing++
	w.hasten()
	for w.written < want {
		w.cond.Wait()
	}
	w.flushing--
}

// hasten ends a linger under way, or the next one.
func (w *Writer) hasten() {
	select {
	case w.hurry <- struct{}{}:
	default:
	}
}

// Close writes what is queued and stops the writer.
func (w *Writer) Close() {
	w.mu.Lock()
	w.closed = true
	w.hasten()
	w.mu.Unlock()
	w.cond.Broadcast()
	<-w.done
}
