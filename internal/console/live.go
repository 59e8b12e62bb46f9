package console

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/windows"
)

// notifyAllServices is internal/manager's NotifyAllServices: on an SCM
// handle, every service's changes on one stream, not only those created
// and deleted.
const notifyAllServices = 0x80000000

// A page hears of changes as they happen (server-sent events): the
// console holds one notification stream per machine and hands each change
// to every page showing that machine.
type hub struct {
	h    *host
	mu   sync.Mutex
	subs map[chan []byte]bool
	done chan struct{}
}

// change is what a page is told: a service's new status, a service
// created or deleted, or "resync" after the console lost changes.
type change struct {
	Kind     string `json:"kind"`
	Name     string `json:"name,omitempty"`
	State    uint32 `json:"state,omitempty"`
	Controls uint32 `json:"controls"`
	PID      uint32 `json:"pid"`
}

func newHub(h *host) *hub {
	b := &hub{h: h, subs: map[chan []byte]bool{}, done: make(chan struct{})}
	go b.run()
	return b
}

func (b *hub) run() {
	for first := true; ; first = false {
		stream, err := b.h.conn.NotifyServiceStatusChange(&pb.NotifyRequest{Handle: b.h.scm, Mask: notifyAllServices})
		if err == nil {
			if !first {
				b.publish(change{Kind: "resync"}) // what happened meanwhile is unknown
			}
			for {
				n, err := stream.Recv()
				if err != nil {
					break
				}
				b.publish(changeOf(n))
			}
			stream.Close()
		}
		select {
		case <-b.done:
			return
		case <-time.After(time.Second): // scmd restarting: try again
		}
	}
}

func changeOf(n *pb.ServiceNotification) change {
	c := change{Kind: "status", Name: n.ServiceName}
	switch {
	case n.ServiceName == "":
		c.Kind = "subscribed"
	case n.Notification&windows.SERVICE_NOTIFY_CREATED != 0:
		c.Kind = "created"
	case n.Notification&(windows.SERVICE_NOTIFY_DELETED|windows.SERVICE_NOTIFY_DELETE_PENDING) != 0:
		c.Kind = "deleted"
	}
	if st := n.Status; st != nil {
		c.State, c.Controls, c.PID = st.CurrentState, st.ControlsAccepted, st.ProcessId
	}
	return c
}

func (b *hub) publish(c change) {
	if c.Kind == "subscribed" {
		return
	}
	msg, _ := json.Marshal(c)
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- msg:
		default:
			// A page that does not keep up is cut off; its browser
			// reconnects and reloads the list.
			delete(b.subs, ch)
			close(ch)
		}
	}
}

func (b *hub) subscribe() chan []byte {
	ch := make(chan []byte, 1024)
	b.mu.Lock()
	b.subs[ch] = true
	b.mu.Unlock()
	return ch
}

func (b *hub) unsubscribe(ch chan []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[ch] {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *hub) close() { close(b.done) }

// stream is the page's event source.
func (c *Console) stream(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	ch := h.live.subscribe()
	defer h.live.unsubscribe(ch)
	out, ok := openSSE(w)
	if !ok {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			out.send(msg)
			out.flush()
		}
	}
}
