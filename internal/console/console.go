// Package console is scm-console: services.msc and the Event Viewer as a
// web application, served on loopback to the user who runs it. It calls
// scmd as that user, over the same client as sc, so scmd's access checks
// decide what each button may do; a browser gets in only with the secret
// printed at start (auth.go).
package console

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"sync"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

//go:embed static
var static embed.FS

// Options say which SCM the console manages.
type Options struct {
	// Host is the machine whose SCM the console shows first: "" for this
	// one (SCM_SOCKET), any other through its remote listener.
	Host string
}

// Console is the web application.
type Console struct {
	auth *auth
	mux  *http.ServeMux

	mu    sync.Mutex
	hosts map[string]*host // by name, "" for this machine
	opts  Options
}

// New returns a console whose login secret is in LoginPath.
func New(o Options) *Console {
	c := &Console{auth: newAuth(), mux: http.NewServeMux(), hosts: map[string]*host{}, opts: o}
	files, _ := fs.Sub(static, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	c.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "index.html")
	})
	c.mux.HandleFunc("GET /api/session", c.session)
	c.mux.HandleFunc("GET /api/services", c.listServices)
	c.mux.HandleFunc("GET /api/services/{name}", c.getService)
	c.mux.HandleFunc("GET /api/stream", c.stream)
	c.mux.HandleFunc("POST /api/services/{name}/{verb}", c.control)
	c.mux.HandleFunc("GET /api/services/{name}/properties", c.getProperties)
	c.mux.HandleFunc("POST /api/services/{name}/properties", c.setProperties)
	c.mux.HandleFunc("GET /api/services/{name}/dependencies", c.getDependencies)
	c.mux.HandleFunc("GET /api/services/{name}/dependents", c.dependents)
	c.mux.HandleFunc("POST /api/services", c.createService)
	c.mux.HandleFunc("DELETE /api/services/{name}", c.deleteService)
	c.mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "events.html")
	})
	c.mux.HandleFunc("GET /api/logs", c.logs)
	c.mux.HandleFunc("GET /api/logs/{log}/events", c.events)
	c.mux.HandleFunc("GET /api/logs/{log}/stream", c.eventStream)
	return c
}

// LoginPath is the path, with its one-time secret, that admits the first
// browser to open it.
func (c *Console) LoginPath() string { return "/login?token=" + c.auth.token }

// ServeHTTP admits what auth admits.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.auth.guard(c.mux).ServeHTTP(w, r)
}

// host is one machine's SCM as the console reaches it.
type host struct {
	name string
	conn *client.Conn
	scm  uint64 // an SCM handle with enumeration
	live *hub
}

// hostOf is the machine a request names (?host=), connected on first use.
func (c *Console) hostOf(r *http.Request) (*host, error) {
	name := r.URL.Query().Get("host")
	if name == "" {
		name = c.opts.Host
	}
	if client.IsLocalMachine(name) {
		name = ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.hosts[name]; h != nil {
		return h, nil
	}
	h := &host{name: name}
	if name == "" {
		h.conn = client.Dial(client.SocketPath())
	} else {
		h.conn = client.DialRemote(name)
	}
	scm, err := client.Call(h.conn.OpenSCManager, openSCManager())
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		// A caller who may not enumerate (a network user, by default)
		// still opens the services its rights on each allow.
		scm, err = client.Call(h.conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
	}
	if err != nil {
		h.conn.Close()
		return nil, err
	}
	h.scm = scm.Handle
	h.live = newHub(h)
	c.hosts[name] = h
	return h, nil
}

// Close ends the console's connections.
func (c *Console) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hosts {
		h.live.close()
		h.conn.Close()
	}
}
