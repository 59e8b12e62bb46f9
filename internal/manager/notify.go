package manager

import (
	"context"
	"strings"
	"time"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/windows"
)

// NotifyAllServices, in the mask of an SCM handle's NotifyServiceStatusChange,
// asks for every service's status changes besides the services created and
// deleted: what a console that shows every service follows, on one stream
// rather than one per service. Only the services the caller may query
// (SERVICE_QUERY_STATUS) are told of. Windows has no such bit; this one is
// outside the SERVICE_NOTIFY_* range.
const NotifyAllServices = 0x80000000

// allServicesBacklog is how many changes an all-services watcher may have
// waiting: a burst of starts across the machine fits.
const allServicesBacklog = 4096

// watcher is one NotifyServiceStatusChange subscription.
type watcher struct {
	service string // lower-case name; "" for the SCM's created/deleted; "*" for all
	mask    uint32
	ch      chan *pb.ServiceNotification
	token   *security.Token // for an all-services watcher of the API: what it may see
}

// notify hands a notification to the watchers of the service, of every
// service, and (for a service created or deleted) of the SCM. Watchers are
// kept by what they watch, so that a change costs what watches it.
func (m *Manager) notify(s *service, bit uint32, st *pb.ServiceStatus, hung bool) {
	n := &pb.ServiceNotification{Notification: bit, ServiceName: s.cfg.Name, Status: st, Hung: hung}
	for _, key := range []string{strings.ToLower(s.cfg.Name), "*", ""} {
		if key == "" && bit != windows.SERVICE_NOTIFY_CREATED && bit != windows.SERVICE_NOTIFY_DELETED {
			continue // the SCM's own watchers hear of services created and deleted
		}
		for w := range m.watchers[key] {
			if w.token != nil {
				if _, err := security.AccessCheck(s.sd, w.token, windows.SERVICE_QUERY_STATUS, security.ServiceMapping); err != nil {
					continue
				}
			}
			w.send(n, bit, hung)
		}
	}
}

// send hands n to the watcher if it asked for it. A watcher that does not
// keep up loses notifications rather than slowing the SCM; the last one it
// gets is the newest.
func (w *watcher) send(n *pb.ServiceNotification, bit uint32, hung bool) {
	if w.mask != 0 && w.mask&bit == 0 && !hung {
		return
	}
	select {
	case w.ch <- n:
	default:
		select { // full: drop the oldest to make room for the newest
		case <-w.ch:
		default:
		}
		select {
		case w.ch <- n:
		default:
		}
	}
}

// Watch subscribes to a service's status changes (a service handle) or to
// services created and deleted (an SCM handle). The first notification is
// the service's status now, or for the SCM one with no bits: the caller
// learns the subscription holds before anything happens. A service marked
// for deletion cannot be watched, and its watchers hear
// SERVICE_NOTIFY_DELETE_PENDING when it is marked. cancel ends the
// subscription.
func (m *Manager) Watch(c Caller, id uint64, mask uint32) (<-chan *pb.ServiceNotification, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.handles[id]
	if !ok || h.client != c.Client || h.kind == lockHandle {
		return nil, nil, windows.ERROR_INVALID_HANDLE
	}
	w := &watcher{mask: mask, ch: make(chan *pb.ServiceNotification, 64)}
	if h.kind == serviceHandle {
		if h.access&windows.SERVICE_QUERY_STATUS == 0 {
			return nil, nil, windows.ERROR_ACCESS_DENIED
		}
		if h.svc.deleted {
			return nil, nil, windows.ERROR_SERVICE_MARKED_FOR_DELETE
		}
		w.service = strings.ToLower(h.svc.cfg.Name)
		w.ch <- m.statusNotification(h.svc)
	} else if h.access&windows.SC_MANAGER_ENUMERATE_SERVICE == 0 {
		return nil, nil, windows.ERROR_ACCESS_DENIED
	} else {
		if mask&NotifyAllServices != 0 {
			w.service, w.token = "*", c.Token
			w.ch = make(chan *pb.ServiceNotification, allServicesBacklog)
			if w.mask &^= NotifyAllServices; w.mask == 0 {
				w.mask = 0 // every change
			}
		}
		w.ch <- &pb.ServiceNotification{} // subscribed: nothing has happened yet
	}
	m.addWatcher(w)
	cancel := func() {
		m.mu.Lock()
		m.dropWatcher(w)
		m.mu.Unlock()
	}
	return w.ch, cancel, nil
}

// statusNotification is a service's status now, as a notification. m.mu
// is held.
func (m *Manager) statusNotification(s *service) *pb.ServiceNotification {
	st := m.statusOf(s)
	return &pb.ServiceNotification{Notification: notifyBit(st.CurrentState), ServiceName: s.cfg.Name, Status: st, Hung: s.hung}
}

// addWatcher and dropWatcher keep watchers by what they watch. m.mu is held.
func (m *Manager) addWatcher(w *watcher) {
	set := m.watchers[w.service]
	if set == nil {
		set = map[*watcher]bool{}
		m.watchers[w.service] = set
	}
	set[w] = true
}

func (m *Manager) dropWatcher(w *watcher) {
	if set := m.watchers[w.service]; set != nil {
		delete(set, w)
		if len(set) == 0 {
			delete(m.watchers, w.service)
		}
	}
}

// MaxRecordsPerClient bounds the service handles of one client that record
// changes for WaitServiceStatus: each is a watcher every change of its
// service visits.
const MaxRecordsPerClient = 64

// MaxStatusWait bounds WaitServiceStatus.
const MaxStatusWait = time.Minute

// WaitServiceStatus is NotifyServiceStatusChange for a client that makes
// one call at a time. A service handle records the service's changes from
// its first WaitServiceStatus on, as a handle's notifications are queued on
// Windows; each call returns the oldest recorded change that differs from
// the state and checkpoint the caller last saw (or a hung one), waiting up
// to the timeout for one, and then the status as it is. State 0 asks for
// the status now, and starts the record afresh: a caller asks so before it
// acts, and then waits for what its action brings.
func (m *Manager) WaitServiceStatus(ctx context.Context, c Caller, r *pb.WaitServiceStatusRequest) (*pb.ServiceNotification, error) {
	ch, now, err := m.changesOf(c, r.Handle)
	if err != nil {
		return nil, err
	}
	if r.State == 0 {
		for drained := false; !drained; { // what was recorded before is old news now
			select {
			case <-ch:
			default:
				drained = true
			}
		}
		return now, nil
	}
	differs := func(n *pb.ServiceNotification) bool {
		return n.Hung || n.Status.CurrentState != r.State || n.Status.CheckPoint != r.CheckPoint ||
			n.Notification == windows.SERVICE_NOTIFY_DELETED
	}
	// What is recorded first, then the status now: a change from before
	// the record began (or one the record lost) is not waited for.
	for recorded := true; recorded; {
		select {
		case n := <-ch:
			if differs(n) {
				return n, nil
			}
		default:
			recorded = false
		}
	}
	if differs(now) {
		return now, nil
	}
	timeout := time.Duration(r.TimeoutMs) * time.Millisecond
	if timeout <= 0 || timeout > MaxStatusWait {
		timeout = MaxStatusWait
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case n := <-ch:
			if differs(n) {
				return n, nil
			}
		case <-t.C:
			_, now, err := m.changesOf(c, r.Handle)
			return now, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// changesOf is the record of a service handle's changes, started if need
// be, and the service's status now.
func (m *Manager) changesOf(c Caller, id uint64) (<-chan *pb.ServiceNotification, *pb.ServiceNotification, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.need(c, id, serviceHandle, windows.SERVICE_QUERY_STATUS)
	if err != nil {
		return nil, nil, err
	}
	now := m.statusNotification(h.svc)
	if h.changes == nil {
		if m.records[c.Client] >= MaxRecordsPerClient {
			return nil, nil, windows.ERROR_NO_SYSTEM_RESOURCES
		}
		m.records[c.Client]++
		h.changes = &watcher{service: strings.ToLower(h.svc.cfg.Name), ch: make(chan *pb.ServiceNotification, 16)}
		m.addWatcher(h.changes)
	}
	return h.changes.ch, now, nil
}
