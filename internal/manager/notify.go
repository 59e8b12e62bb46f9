package manager

import (
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/windows"
)

// watcher is one NotifyServiceStatusChange subscription.
type watcher struct {
	service string // lower-case name; "" for the SCM's created/deleted
	mask    uint32
	ch      chan *pb.ServiceNotification
}

// notify hands a notification to the watchers that asked for it. A watcher
// that does not keep up loses notifications rather than slowing the SCM;
// the last one it gets is the newest.
func (m *Manager) notify(s *service, bit uint32, st *pb.ServiceStatus, hung bool) {
	n := &pb.ServiceNotification{Notification: bit, ServiceName: s.cfg.Name, Status: st, Hung: hung}
	key := strings.ToLower(s.cfg.Name)
	for w := range m.watchers {
		switch {
		case w.service == "": // the SCM's own: services created and deleted
			if bit != windows.SERVICE_NOTIFY_CREATED && bit != windows.SERVICE_NOTIFY_DELETED {
				continue
			}
		case w.service == "*": // everything
		case w.service != key:
			continue
		}
		if w.mask != 0 && w.mask&bit == 0 && !hung {
			continue
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
}

// Watch subscribes to a service's status changes (a service handle) or to
// services created and deleted (an SCM handle). The first notification is
// the service's status now. cancel ends the subscription.
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
		w.service = strings.ToLower(h.svc.cfg.Name)
		st := m.statusOf(h.svc)
		w.ch <- &pb.ServiceNotification{Notification: notifyBit(st.CurrentState), ServiceName: h.svc.cfg.Name, Status: st}
	} else if h.access&windows.SC_MANAGER_ENUMERATE_SERVICE == 0 {
		return nil, nil, windows.ERROR_ACCESS_DENIED
	}
	m.watchers[w] = true
	cancel := func() {
		m.mu.Lock()
		delete(m.watchers, w)
		m.mu.Unlock()
	}
	return w.ch, cancel, nil
}
