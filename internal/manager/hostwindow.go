package manager

import (
	"sync"

	"github.com/openscm/scm/internal/core"
)

// HostWindow is how many of one host's messages may wait for the
// supervisor: its reader goes on to the next message without waiting for
// each to be applied (a control's answer and the stop that follows it
// are read back to back), and a host that sends faster than the SCM
// applies waits rather than queueing without bound.
const HostWindow = 8

// hostWindows holds each host's window: a slot is taken as a message is
// posted and given back as the supervisor takes the message up.
type hostWindows struct {
	mu sync.Mutex
	by map[core.ProcID]chan struct{}
}

func (w *hostWindows) of(id core.ProcID) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = map[core.ProcID]chan struct{}{}
	}
	ch := w.by[id]
	if ch == nil {
		ch = make(chan struct{}, HostWindow)
		w.by[id] = ch
	}
	return ch
}

// forget drops the window of a host whose reader is done.
func (w *hostWindows) forget(id core.ProcID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.by, id)
}
