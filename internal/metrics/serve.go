package metrics

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultPort is windows_exporter's port, where --metrics listens when its
// address names none.
const DefaultPort = 9182

// ErrNotLoopback refuses a metrics address other machines could reach.
var ErrNotLoopback = errors.New("not a loopback address: the metrics tell what runs on this machine, so plain HTTP serves them on 127.0.0.1 or ::1 only; other machines scrape them over --listen's TLS")

// LoopbackAddress checks a --metrics address and gives it DefaultPort if
// it names no port: the host must be a loopback IP address (127.0.0.0/8,
// ::1) or localhost, which is 127.0.0.1. An empty host, which would be
// every interface, is refused like any other.
func LoopbackAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: a host alone, an IPv6 literal bracketed or not.
		host, port = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), strconv.Itoa(DefaultPort)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return "", fmt.Errorf("--metrics %s: bad port %q", addr, port)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("--metrics %s: %w", addr, ErrNotLoopback)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// MaxConns is how many connections the loopback listener serves at once;
// one more waits to be accepted.
const MaxConns = 8

// Listen binds a --metrics address, which LoopbackAddress must accept.
func Listen(addr string) (net.Listener, error) {
	a, err := LoopbackAddress(addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", a)
	if err != nil {
		return nil, err
	}
	return &limitListener{Listener: l, slots: make(chan struct{}, MaxConns)}, nil
}

// NewServer serves h at /metrics, within bounds that keep a slow or
// stalled client from holding scmd's resources for long.
func NewServer(h http.Handler) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// Handler serves GET /metrics from the snapshots src takes, one scrape at
// a time (a second waits for the first, or for its own client to give up),
// each sent once formatted.
// A scraper that accepts gzip (Prometheus does) gets the text compressed.
func Handler(src func() *Snapshot) http.Handler {
	return &handler{src: src, busy: make(chan struct{}, 1)}
}

type handler struct {
	src  func() *Snapshot
	busy chan struct{}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", ContentType)
	hdr.Add("Vary", "Accept-Encoding")
	if r.Method == http.MethodHead {
		return
	}
	gzipped := acceptsGzip(r.Header.Get("Accept-Encoding"))
	select {
	case h.busy <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	body := func() []byte {
		defer func() { <-h.busy }()
		return h.render(gzipped)
	}()
	// The scrape's slot is free again before the reply is sent: a client
	// that reads slowly, or not at all, holds its own reply and nobody
	// else's scrape, and not past WriteTimeout.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(WriteTimeout))
	if gzipped {
		hdr.Set("Content-Encoding", "gzip")
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// WriteTimeout bounds the sending of one scrape's reply.
const WriteTimeout = 30 * time.Second

func (h *handler) render(gzipped bool) []byte {
	snap := h.src()
	FillProcessStarts(snap, ProcessStart)
	var buf bytes.Buffer
	if !gzipped {
		Format(&buf, snap)
		return buf.Bytes()
	}
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	Format(gz, snap)
	gz.Close()
	return buf.Bytes()
}

// acceptsGzip reads an Accept-Encoding header.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(coding) != "gzip" {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// FillProcessStarts sets each service's ProcessStart with started, read
// once per process (a shared host's services have one).
func FillProcessStarts(s *Snapshot, started func(pid uint32) (int64, bool)) {
	seen := map[uint32]int64{}
	for i := range s.Services {
		v := &s.Services[i]
		if v.PID == 0 || v.ProcessStart != 0 {
			continue
		}
		t, ok := seen[v.PID]
		if !ok {
			t, _ = started(v.PID)
			seen[v.PID] = t
		}
		v.ProcessStart = t
	}
}

// ProcessStart is when a process was created, in Unix seconds (whole ones,
// as windows_exporter gives them): its start in clock ticks after boot,
// from /proc/PID/stat, and the boot's time from /proc/stat.
func ProcessStart(pid uint32) (int64, bool) {
	boot, ok := bootTime()
	if !ok {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command's name, in parentheses, may hold spaces and
	// parentheses: the fields that count come after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	// starttime is field 22; fields[0] is field 3 (state).
	if len(fields) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false
	}
	return boot + int64(ticks/userHZ), true
}

// userHZ is the unit of /proc's times, USER_HZ, which Linux fixes at 100
// for what it shows user space.
const userHZ = 100

// bootTime is btime from /proc/stat, read at most once a second: it
// moves only when the clock is set.
func bootTime() (int64, bool) {
	bootMu.Lock()
	defer bootMu.Unlock()
	if now := time.Now(); now.Sub(bootRead) >= time.Second || bootValue == 0 {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, false
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "btime "); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					bootValue, bootRead = n, now
				}
				break
			}
		}
	}
	return bootValue, bootValue != 0
}

var (
	bootMu    sync.Mutex
	bootValue int64
	bootRead  time.Time
)

// limitListener accepts at most cap(slots) connections at a time.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
