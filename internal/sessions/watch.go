package sessions

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
)

// Watcher follows the machine's login sessions: from systemd-logind on the
// system bus where it runs, from utmp where it does not.
type Watcher struct {
	Utmp string // utmp's path; DefaultUtmp if empty

	mu      sync.Mutex
	model   *Model
	source  string
	current []Session
	console uint32
	placed  map[uint32]uint32 // pid -> session, for processes started in a session
	logind  *logindWatch      // the source, when it is logind
}

// Start begins to follow the sessions: it subscribes to the source (the
// D-Bus connection, or utmp's watch, is open when it returns, before scmd
// serves) and then follows it on a goroutine of its own until ctx ends,
// calling changed with the changes each update brings, in order. done,
// if not nil, gets the error that ended the watch.
func (w *Watcher) Start(ctx context.Context, changed func([]Change), done func(error)) {
	w.mu.Lock()
	w.model = NewModel()
	w.console = 0xFFFFFFFF
	w.mu.Unlock()
	update := func(logins []Login) {
		if changes := w.apply(logins); len(changes) > 0 && changed != nil {
			changed(changes)
		}
	}
	finish := func(err error) {
		if done != nil && ctx.Err() == nil {
			done(err)
		}
	}
	// The sessions there are now are read before Start returns and are
	// no change: a restarted scmd does not tell its services of logons
	// that happened before it.
	if lw, err := openLogind(ctx); err == nil {
		if lw.first, err = listLogind(lw.conn); err == nil {
			w.setSource("logind")
			w.apply(lw.first)
			w.mu.Lock()
			w.logind = lw
			w.mu.Unlock()
			go func() { finish(lw.run(update)) }()
			return
		}
		lw.conn.Close()
	}
	w.setSource("utmp")
	path := w.Utmp
	if path == "" {
		path = DefaultUtmp
	}
	uw, err := openUtmp(ctx, path)
	if err != nil {
		finish(err)
		return
	}
	if logins, err := readUtmp(path); err == nil {
		w.apply(logins)
	}
	go func() { finish(uw.run(update)) }()
}

// apply makes logins the current sessions and returns the changes.
func (w *Watcher) apply(logins []Login) []Change {
	w.mu.Lock()
	defer w.mu.Unlock()
	changes := w.model.Update(logins)
	w.current = w.model.Sessions()
	w.console = w.model.Console()
	return changes
}

func (w *Watcher) setSource(s string) {
	w.mu.Lock()
	w.source = s
	w.mu.Unlock()
}

// Source says where the sessions come from: "logind" or "utmp".
func (w *Watcher) Source() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.source
}

// Sessions are the login sessions now, by id.
func (w *Watcher) Sessions() []Session {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Session(nil), w.current...)
}

// Console is the id of the session on the physical console, or
// 0xFFFFFFFF when none is.
func (w *Watcher) Console() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.model == nil {
		return 0xFFFFFFFF
	}
	return w.console
}

// Logoff ends a session, as WTSLogoffSession: logind terminates it; a
// utmp session's leader gets a hangup, as when its terminal goes.
func (w *Watcher) Logoff(id uint32) error {
	s, ok := w.Session(id)
	if !ok {
		return ErrNoSession
	}
	w.mu.Lock()
	lw := w.logind
	w.mu.Unlock()
	if key, ok := strings.CutPrefix(s.Key, "logind:"); ok && lw != nil {
		return lw.conn.Object(logindName, logindPath).Call(logindManager+".TerminateSession", 0, key).Err
	}
	if s.Leader == 0 {
		return ErrNoSession
	}
	return syscall.Kill(-int(s.Leader), syscall.SIGHUP)
}

// ErrNoSession is a session id no session has.
var ErrNoSession = errors.New("sessions: no such session")
