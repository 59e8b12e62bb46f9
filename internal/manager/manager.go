// Package manager is the SCM's API layer over the services database: handles
// that carry the access granted when they were opened, access checks against
// security descriptors, the database lock, and Windows' argument rules for
// every call. Transport is someone else's job; errors are windows.Errno.
package manager

import (
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/sddl"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/eventlog"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/internal/supervisor"
	"github.com/openscm/scm/windows"
)

// ClientID names one client connection; its handles die with it.
type ClientID uint64

// Caller is who makes a call, and over which connection.
type Caller struct {
	Client ClientID
	Token  *security.Token
	Pid    uint32 // the calling process, from the socket's peer; 0 if unknown
}

// Manager is one SCM's database and handle table.
type Manager struct {
	mu       sync.Mutex
	hosts    hostWindows // each host's messages waiting for the supervisor
	store    *registry.Store
	now      func() time.Time
	owner    uint32              // the uid scmd runs as; not root means a per-user SCM
	services map[string]*service // by lower-case name

	booted      sync.Once
	bootedCh    chan struct{} // closed when the boot's first phase is over
	order       []*service    // services in enumeration order; nil when it must be rebuilt
	handles     map[uint64]*handle
	byClient    map[ClientID]map[uint64]*handle // the same handles, by client
	peak        int                             // most handles open at once since the table was last rebuilt
	next        uint64
	lock        *dbLock
	scmSD       *sddl.Descriptor
	regGen      atomic.Uint64 // registry writes through the API (RegistryGeneration)
	regWatchMu  sync.Mutex
	regWatchers []func() // OnRegistryWrite's

	// Running services: the state machine, the launcher that carries out
	// its actions, the callers waiting for its replies, and watchers of
	// status changes.
	sup          *supervisor.Supervisor
	settings     settings // the Control key's values, kept current by regWrite
	launcher     Launcher
	watchers     map[string]map[*watcher]bool // by what they watch: a lower-case name, "*" (all), "" (the SCM)
	records      map[ClientID]int             // service handles recording changes, by client
	events       *eventlog.Store
	messageFiles eventlog.MessageFiles // the .mc files sources name as their EventMessageFile
	sessions     Sessions              // the machine's login sessions, once the daemon watches them
	boxes        map[uint32]int        // WTSSendMessage's boxes on show, by the user they are shown to
	forward      *eventlog.Forwarder
	queue        *eventlog.Writer
	adoption     *Adoption

	activation *activations

	counts counts // what the metrics count of the services (metrics.go)

	deviceSubs  map[string][]deviceSub    // device notification registrations, by service
	goneDevices map[string]devices.Device // interfaces removed lately, by lower-case name
	stateDir    string

	// Logf, if set, receives what the SCM does on its own (kills, say).
	Logf func(format string, args ...any)
}

// service is the in-memory state of one service; its configuration mirrors
// the registry and is reloaded whenever the registry changes under it.
type service struct {
	cfg     *services.Config
	sd      *sddl.Descriptor
	handles int
	deleted bool // marked for delete
	active  bool // not stopped, as running.log lists it
	hung    bool // its pending state outlived its wait hint without progress
}

type handleKind int

const (
	scmHandle handleKind = iota
	serviceHandle
	lockHandle
	eventSourceHandle
	tokenHandle // a session user's, from WTSQueryUserToken
)

type handle struct {
	client ClientID
	kind   handleKind
	access uint32
	svc    *service
	source string // an event source handle's source and log
	log    string

	session uint32 // a token handle's session

	changes *watcher // a service handle's record for WaitServiceStatus
}

type dbLock struct {
	owner string
	since time.Time
}

// Open loads the services database from store, seeding a fresh one with
// Windows' defaults and finishing deletes that were pending when the SCM
// last stopped. owner is the uid the SCM runs as: root for the machine's
// SCM, anyone else for a user's own.
func Open(store *registry.Store, now func() time.Time, owner uint32) (*Manager, error) {
	m := &Manager{
		store:    store,
		now:      now,
		owner:    owner,
		services: map[string]*service{},
		handles:  map[uint64]*handle{},
		byClient: map[ClientID]map[uint64]*handle{},
		next:     0x1000,
		scmSD:    security.MustParse(security.DefaultSCManagerSDDL),
		watchers: map[string]map[*watcher]bool{},
		records:  map[ClientID]int{},
	}
	m.sup = supervisor.New(core.New(core.DefaultTimeouts), now, m)
	m.bootedCh = make(chan struct{})
	err := store.Update(func(tx *registry.Tx) error {
		if err := services.Seed(tx); err != nil {
			return err
		}
		root, err := tx.OpenKey(services.ServicesKey)
		if err != nil {
			return err
		}
		for _, name := range root.SubKeyNames() {
			k, err := root.SubKey(name)
			if err != nil || !services.IsService(k) {
				continue
			}
			cfg, err := services.Load(k)
			if err != nil {
				return err
			}
			if cfg.DeleteFlag {
				if err := tx.DeleteKey(k.Path()); err != nil {
					return err
				}
				continue
			}
			m.add(newService(cfg))
		}
		return nil
	})
	if err != nil {
		m.sup.Stop()
		return nil, err
	}
	m.settings = readSettings(store)
	m.tellCore(m.settings)
	return m, nil
}

// Close lets go of the sockets held for activation, writes the SCM's
// queued events and stops their writer.
func (m *Manager) Close() {
	if a := m.activating(); a != nil {
		a.sockets.Close()
	}
	m.sup.Stop()
	if m.queue != nil {
		m.queue.Close()
	}
}

func newService(cfg *services.Config) *service {
	s := &service{cfg: cfg, deleted: cfg.DeleteFlag}
	s.sd = parseSD(cfg.Security)
	return s
}

// parseSD reads a stored descriptor; a missing or damaged one falls back to
// the default, which is what Windows uses for a service without one.
// Descriptors are never changed in place (SetServiceObjectSecurity makes a
// new one), so services with the same SDDL share one parsed copy.
func parseSD(text string) *sddl.Descriptor {
	sdCacheMu.Lock()
	defer sdCacheMu.Unlock()
	if d, ok := sdCache[text]; ok {
		return d
	}
	d, err := sddl.Parse(text)
	if err != nil || text == "" {
		d = security.MustParse(security.DefaultServiceSDDL)
	}
	if d.Owner == "" {
		// Descriptors stored before services had an owner: Windows'
		// services are owned by LocalSystem.
		owned := *d
		owned.Owner, owned.Group = security.LocalSystem, security.LocalSystem
		d = &owned
	}
	if len(sdCache) < 1024 {
		sdCache[text] = d
	}
	return d
}

var (
	sdCacheMu sync.Mutex
	sdCache   = map[string]*sddl.Descriptor{}
)

// newHandle opens a handle for the caller, or fails with
// ERROR_NO_SYSTEM_RESOURCES when its connection holds MaxHandlesPerClient.
func (m *Manager) newHandle(c Caller, h *handle) (uint64, error) {
	if err := m.roomForHandle(c); err != nil {
		return 0, err
	}
	m.next++
	h.client = c.Client
	m.handles[m.next] = h
	own := m.byClient[c.Client]
	if own == nil {
		own = map[uint64]*handle{}
		m.byClient[c.Client] = own
	}
	own[m.next] = h
	if len(m.handles) > m.peak {
		m.peak = len(m.handles)
	}
	if h.svc != nil {
		h.svc.handles++
	}
	return m.next, nil
}

// roomForHandle reports whether the caller may open one more handle.
func (m *Manager) roomForHandle(c Caller) error {
	if len(m.byClient[c.Client]) >= MaxHandlesPerClient {
		return windows.ERROR_NO_SYSTEM_RESOURCES
	}
	return nil
}

// lookupLocking is lookup for a caller that does not hold m.mu.
func (m *Manager) lookupLocking(c Caller, id uint64, kind handleKind) (*handle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookup(c, id, kind)
}

// lookup finds a handle of the caller's of the given kind; anything else is
// ERROR_INVALID_HANDLE, as a stale or foreign handle is on Windows.
func (m *Manager) lookup(c Caller, id uint64, kind handleKind) (*handle, error) {
	h, ok := m.handles[id]
	if !ok || h.client != c.Client || h.kind != kind {
		return nil, windows.ERROR_INVALID_HANDLE
	}
	return h, nil
}

func (m *Manager) need(c Caller, id uint64, kind handleKind, right uint32) (*handle, error) {
	h, err := m.lookup(c, id, kind)
	if err != nil {
		return nil, err
	}
	if h.access&right != right {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	return h, nil
}

// OpenSCManager opens the local SCM. machine may name this machine only;
// database may be empty or "ServicesActive".
func (m *Manager) OpenSCManager(c Caller, machine, database string, desired uint32) (uint64, error) {
	if machine != "" && !isLocalMachine(machine) {
		return 0, windows.RPC_S_SERVER_UNAVAILABLE
	}
	if database != "" && !strings.EqualFold(database, "ServicesActive") {
		if strings.EqualFold(database, "ServicesFailed") {
			return 0, windows.ERROR_ACCESS_DENIED
		}
		return 0, windows.ERROR_DATABASE_DOES_NOT_EXIST
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	granted, err := security.AccessCheck(m.scmSD, c.Token, desired|windows.SC_MANAGER_CONNECT, security.SCManagerMapping)
	if err != nil {
		return 0, err
	}
	return m.newHandle(c, &handle{kind: scmHandle, access: granted})
}

// CloseServiceHandle closes any handle. Closing the last handle of a stopped
// service that is marked for delete deletes it; closing a lock handle
// unlocks the database.
func (m *Manager) CloseServiceHandle(c Caller, id uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.handles[id]
	if !ok || h.client != c.Client {
		return windows.ERROR_INVALID_HANDLE
	}
	return m.close(id, h)
}

func (m *Manager) close(id uint64, h *handle) error {
	delete(m.handles, id)
	if own := m.byClient[h.client]; own != nil {
		delete(own, id)
		if len(own) == 0 {
			delete(m.byClient, h.client)
		}
	}
	switch h.kind {
	case lockHandle:
		m.lock = nil
	case serviceHandle:
		if h.changes != nil {
			m.dropWatcher(h.changes)
			if m.records[h.client]--; m.records[h.client] <= 0 {
				delete(m.records, h.client)
			}
		}
		h.svc.handles--
		if h.svc.deleted && h.svc.handles == 0 && m.statusOf(h.svc).CurrentState == windows.SERVICE_STOPPED {
			return m.remove(h.svc)
		}
	}
	return nil
}

// remove takes a deleted service out of the registry and the database.
func (m *Manager) remove(s *service) error {
	if m.find(s.cfg.Name) != s {
		return nil
	}
	m.drop(s.cfg.Name)
	m.notify(s, windows.SERVICE_NOTIFY_DELETED, m.statusOf(s), false)
	return m.store.Update(func(tx *registry.Tx) error {
		err := tx.DeleteKey(serviceKey(s.cfg.Name))
		if err == windows.ERROR_FILE_NOT_FOUND {
			return nil
		}
		return err
	})
}

// ClientGone closes every handle of a client whose connection ended, as
// Windows closes a process's handles when it exits. It returns how many
// there were.
func (m *Manager) ClientGone(client ClientID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	own := m.byClient[client]
	n := len(own)
	for id, h := range own {
		m.close(id, h)
	}
	delete(m.byClient, client)
	m.shrinkHandles()
	return n
}

// shrinkHandles rebuilds the handle table once most of it is gone: a Go map
// keeps the room it once needed, so without this a client that opened and
// dropped tens of thousands of handles would leave their room behind.
func (m *Manager) shrinkHandles() {
	if m.peak < 4096 || len(m.handles) > m.peak/4 {
		return
	}
	handles := make(map[uint64]*handle, len(m.handles))
	for id, h := range m.handles {
		handles[id] = h
	}
	m.handles = handles
	m.peak = len(handles)
}

// HoldsHandles reports whether a client has any handle open.
func (m *Manager) HoldsHandles(client ClientID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byClient[client]) > 0
}

// HandleCount returns how many handles are open, for tests and metrics.
func (m *Manager) HandleCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.handles)
}

func serviceKey(name string) string { return services.ServicesKey + `\` + name }

func isLocalMachine(machine string) bool {
	name := strings.TrimPrefix(machine, `\\`)
	if name == "." || strings.EqualFold(name, "localhost") {
		return true
	}
	host, _ := os.Hostname()
	return strings.EqualFold(name, host)
}

// sortedServices returns the services in Windows' enumeration order: by
// name, ignoring case. The order is kept until a service comes or goes.
func (m *Manager) sortedServices() []*service {
	if m.order != nil {
		return m.order
	}
	keys := make([]string, 0, len(m.services))
	for k := range m.services {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m.order = make([]*service, len(keys))
	for i, k := range keys {
		m.order[i] = m.services[k]
	}
	return m.order
}

// add puts a service in the database; drop takes one out. The core is
// told of both, and of every change between (configured).
func (m *Manager) add(s *service) {
	m.services[strings.ToLower(s.cfg.Name)] = s
	m.order = nil
	m.configured(s)
}

func (m *Manager) drop(name string) {
	if s := m.services[strings.ToLower(name)]; s != nil && s.active {
		// Gone from the database: a restarted scmd has nothing to wait for.
		s.active = false
		m.noteRunning(s.cfg.Name, false)
	}
	delete(m.services, strings.ToLower(name))
	m.order = nil
	m.counts.forget(name)
	m.sup.Forget(name)
}

// configured tells the core a service's configuration changed.
func (m *Manager) configured(s *service) {
	cfg := coreConfig(s)
	m.post(func(c *core.Core, now time.Time) []core.Action {
		c.Configure(cfg)
		return nil
	})
}

// tellCore gives the core what it needs of the Control key's settings.
func (m *Manager) tellCore(st settings) {
	m.post(func(c *core.Core, now time.Time) []core.Action {
		c.SetTimeouts(st.timeouts)
		c.SetGroupOrder(st.groupOrder)
		return nil
	})
}

// names lists the services' names.
func (m *Manager) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.services))
	for _, s := range m.services {
		names = append(names, s.cfg.Name)
	}
	return names
}

// nameOf is a service's name as it was created; name itself if there is
// no such service.
func (m *Manager) nameOf(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.find(name); s != nil {
		return s.cfg.Name
	}
	return name
}

// find looks a service up by name, ignoring case.
func (m *Manager) find(name string) *service { return m.services[strings.ToLower(name)] }
