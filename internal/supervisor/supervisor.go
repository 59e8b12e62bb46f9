// Package supervisor owns the core, the SCM's state machine, on one
// goroutine, as raft's Node owns its RawNode: it applies events in the
// order they are posted, hands the actions they produce to an executor,
// answers the callers waiting for a reply, and fires the core's timers.
// Whatever the executor starts outside the loop (a launch, a kill) comes
// back as another posted event.
//
// Posting never blocks, so the API layer may post while it holds its own
// lock; waiting for the loop (Do, Call) must be done holding none that the
// executor takes.
package supervisor

import (
	"strings"
	"sync"
	"time"

	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/windows"
)

// Event is one step of the core, run on the supervisor's goroutine with
// the time it happens at.
type Event func(c *core.Core, now time.Time) []core.Action

// Executor carries out the core's actions other than replies, on the
// supervisor's goroutine, in the order the core gave them. It must not
// wait for anything the loop would have to do first.
type Executor interface {
	Execute(acts []core.Action)
}

// Supervisor runs one core.
type Supervisor struct {
	core *core.Core
	now  func() time.Time
	exec Executor

	mu      sync.Mutex
	queue   []func()
	stopped bool
	replies map[core.ReqID]func(core.Reply)
	nextReq core.ReqID
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}

	statusMu sync.RWMutex
	status   map[string]core.Status // by lower-case name; see Status
}

// New starts a supervisor of c. now is its clock; exec carries out what c
// asks for.
func New(c *core.Core, now func() time.Time, exec Executor) *Supervisor {
	s := &Supervisor{core: c, now: now, exec: exec, replies: map[core.ReqID]func(core.Reply){},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		status: map[string]core.Status{}}
	go s.loop()
	return s
}

// Post queues ev; it runs after everything posted before it.
func (s *Supervisor) Post(ev Event) {
	s.enqueue(func() { s.apply(ev(s.core, s.now())) })
}

// Do runs ev and returns once its actions have been carried out. After
// Stop it returns at once without running ev.
func (s *Supervisor) Do(ev Event) {
	done := make(chan struct{})
	if !s.enqueue(func() {
		defer close(done)
		s.apply(ev(s.core, s.now()))
	}) {
		return
	}
	select {
	case <-done:
	case <-s.done:
	}
}

// Expect names a request whose Reply is handed to reply, on the loop; a
// nil reply only keeps the name unique.
func (s *Supervisor) Expect(reply func(core.Reply)) core.ReqID {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextReq++
	s.replies[s.nextReq] = reply
	return s.nextReq
}

// Call posts a request and waits for the core's reply to it. After Stop
// it fails with ERROR_SHUTDOWN_IN_PROGRESS.
func (s *Supervisor) Call(ev func(c *core.Core, now time.Time, req core.ReqID) []core.Action) core.Reply {
	ch := make(chan core.Reply, 1)
	req := s.Expect(func(r core.Reply) { ch <- r })
	s.Post(func(c *core.Core, now time.Time) []core.Action { return ev(c, now, req) })
	select {
	case r := <-ch:
		return r
	case <-s.done:
		return core.Reply{Req: req, Err: windows.ERROR_SHUTDOWN_IN_PROGRESS}
	}
}

// Status is a service's status as of the last event the loop applied,
// read without waiting for the loop: status queries are the SCM's most
// frequent call and need not queue behind starts and stops.
func (s *Supervisor) Status(name string, serviceType uint32) core.Status {
	st, ok := s.Reported(name)
	if !ok {
		st = neverStarted
	}
	if st.ServiceType == 0 {
		st.ServiceType = serviceType
	}
	return st
}

// Reported is a service's status as of the last event the loop applied,
// if the core has run the service.
func (s *Supervisor) Reported(name string) (core.Status, bool) {
	s.statusMu.RLock()
	defer s.statusMu.RUnlock()
	st, ok := s.status[strings.ToLower(name)]
	return st, ok
}

// neverStarted is the status of a service the core has not run.
var neverStarted = (*core.Core).Status(core.New(core.DefaultTimeouts), "", 0)

// Forget has the core forget a deleted service's configuration; its
// status goes once it is stopped.
func (s *Supervisor) Forget(name string) {
	s.Post(func(c *core.Core, now time.Time) []core.Action {
		c.Remove(name)
		s.publish(c, name)
		return nil
	})
}

// Stopped is closed once the loop has ended.
func (s *Supervisor) Stopped() <-chan struct{} { return s.done }

// Stop ends the loop; what is still queued is dropped, and callers
// waiting in Do or Call return.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
}

func (s *Supervisor) enqueue(f func()) bool {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

func (s *Supervisor) loop() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-timer.C:
			s.apply(s.core.Tick(s.now()))
		}
		for {
			s.mu.Lock()
			batch := s.queue
			s.queue = nil
			s.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, f := range batch {
				f()
			}
		}
		if next, ok := s.core.NextDeadline(); ok {
			timer.Reset(max(next.Sub(s.now()), 0))
		} else {
			timer.Stop()
		}
	}
}

// apply publishes the statuses the actions change, has the executor carry
// out the actions, then answers the callers: a caller that is answered
// finds the status and the notifications that go with the answer already
// there.
func (s *Supervisor) apply(acts []core.Action) {
	if len(acts) == 0 {
		return
	}
	var work []core.Action
	var replies []core.Reply
	for _, a := range acts {
		switch a := a.(type) {
		case core.Reply:
			replies = append(replies, a)
		case core.StatusChanged:
			s.publish(s.core, a.Service)
			work = append(work, a)
		default:
			work = append(work, a)
		}
	}
	if len(work) > 0 {
		s.exec.Execute(work)
	}
	for _, r := range replies {
		s.mu.Lock()
		reply := s.replies[r.Req]
		delete(s.replies, r.Req)
		s.mu.Unlock()
		if reply != nil {
			reply(r)
		}
	}
}

// publish copies a service's status from the core to the table Status
// reads.
func (s *Supervisor) publish(c *core.Core, name string) {
	st := c.Status(name, 0)
	key := strings.ToLower(name)
	s.statusMu.Lock()
	if st == neverStarted {
		delete(s.status, key)
	} else {
		s.status[key] = st
	}
	s.statusMu.Unlock()
}
