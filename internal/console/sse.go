package console

import (
	"fmt"
	"net/http"
)

// sse is a response of server-sent events: the services' changes, a log's
// new events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

// openSSE starts the stream: its headers and a first comment, flushed, so
// that the page's EventSource opens once the console is listening.
func openSSE(w http.ResponseWriter) (*sse, bool) {
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return nil, false
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, ": subscribed\n\n")
	f.Flush()
	return &sse{w: w, f: f}, true
}

// send writes one event's data (JSON, on one line); flush sends what was
// written.
func (s *sse) send(data []byte) { fmt.Fprintf(s.w, "data: %s\n\n", data) }

func (s *sse) flush() { s.f.Flush() }
