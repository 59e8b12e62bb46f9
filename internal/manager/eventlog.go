package manager

import (
	"os"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/core"
	"github.com/openscm/scm/internal/eventlog"
	"github.com/openscm/scm/internal/registry"
	"github.com/openscm/scm/internal/security"
	"github.com/openscm/scm/internal/services"
	"github.com/openscm/scm/windows"
)

// SetEventLog gives the manager its event log, and where to forward each
// event (the journal; nil for nowhere). Without a log, events are not
// recorded and the event log calls fail.
func (m *Manager) SetEventLog(s *eventlog.Store, f *eventlog.Forwarder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = s
	m.forward = f
	// The SCM's own events are written from a writer of their own, so a
	// burst of state changes does not wait on an fsync each under m.mu.
	m.queue = eventlog.NewWriter(s, "System", func() eventlog.Limits { return m.limits("System") }, f, m.logf)
}

// FlushEvents waits until the SCM's queued events are in the log.
func (m *Manager) FlushEvents() {
	if m.queue != nil {
		m.queue.Flush()
	}
}

// limits reads a log's MaxSize and Retention from the registry.
func (m *Manager) limits(log string) eventlog.Limits {
	lim := eventlog.DefaultLimits
	m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(services.EventLogKey + `\` + log)
		if err != nil {
			return nil
		}
		if v, err := k.Value("MaxSize"); err == nil && v.Type == registry.DWORD {
			lim.MaxSize = uint64(v.Uint32())
		}
		if v, err := k.Value("Retention"); err == nil && v.Type == registry.DWORD {
			lim.Retention = v.Uint32()
		}
		return nil
	})
	return lim
}

// messageFile is the EventMessageFile a source names under its log's key.
func (m *Manager) messageFile(log, source string) string {
	var path string
	m.store.View(func(tx *registry.Tx) error {
		k, err := tx.OpenKey(services.EventLogKey + `\` + log + `\` + source)
		if err != nil {
			return nil
		}
		if v, err := k.Value("EventMessageFile"); err == nil && (v.Type == registry.SZ || v.Type == registry.EXPAND_SZ) {
			path = v.String()
		}
		return nil
	})
	return path
}

// logOf finds the log a source is registered under; a source that is
// registered nowhere writes to Application, as on Windows.
func (m *Manager) logOf(source string) string {
	log := "Application"
	m.store.View(func(tx *registry.Tx) error {
		root, err := tx.OpenKey(services.EventLogKey)
		if err != nil {
			return nil
		}
		for _, name := range root.SubKeyNames() {
			if k, err := root.SubKey(name); err == nil {
				if _, err := k.SubKey(source); err == nil {
					log = name
					return nil
				}
			}
		}
		return nil
	})
	return log
}

// logs lists the logs: those the registry describes and those with events.
func (m *Manager) logs() []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	m.store.View(func(tx *registry.Tx) error {
		if root, err := tx.OpenKey(services.EventLogKey); err == nil {
			for _, n := range root.SubKeyNames() {
				add(n)
			}
		}
		return nil
	})
	if m.events != nil {
		for _, n := range m.events.Logs() {
			add(n)
		}
	}
	return names
}

// findLog is canonicalLog for a caller that does not hold m.mu.
func (m *Manager) findLog(name string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.canonicalLog(name)
}

// canonicalLog returns a log's name as stored, or false if there is none.
func (m *Manager) canonicalLog(name string) (string, bool) {
	for _, n := range m.logs() {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

// RegisterEventSource opens a handle to write events as source.
func (m *Manager) RegisterEventSource(c Caller, machine, source string) (uint64, error) {
	if err := refuseNetworkUser(c); err != nil {
		return 0, err
	}
	if machine != "" && !isLocalMachine(machine) {
		return 0, windows.RPC_S_SERVER_UNAVAILABLE
	}
	if source == "" {
		return 0, windows.ERROR_INVALID_PARAMETER
	}
	log := m.logOf(source)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		return 0, windows.ERROR_NOT_SUPPORTED
	}
	return m.newHandle(c, &handle{kind: eventSourceHandle, source: source, log: log})
}

// ReportEvent writes an event through a source handle. Anyone may write to
// Application; the System log and the others take an administrator.
// The write itself (an fsync, and now and then a compaction of the file)
// happens outside m.mu: the store serialises its own writers, and no
// caller's event may hold up another's calls.
func (m *Manager) ReportEvent(c Caller, r *pb.ReportEventRequest) (*pb.Empty, error) {
	h, err := m.lookupLocking(c, r.Handle, eventSourceHandle)
	if err != nil {
		return nil, err
	}
	switch r.Type {
	case eventlog.Success, eventlog.Error, eventlog.Warning, eventlog.Information, eventlog.AuditSuccess, eventlog.AuditFailure:
	default:
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	if r.Category > 0xffff {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	rec := &eventlog.Record{
		EventID: r.EventId, Type: uint16(r.Type), Category: uint16(r.Category), Source: h.source,
		UserSID: c.Token.User, Strings: r.Strings, Data: r.Data,
	}
	rec.Computer, _ = os.Hostname()
	if err := eventlog.CheckReport(rec); err != nil {
		return nil, err
	}
	if h.log != "Application" && !c.Token.IsAdmin() {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	return &pb.Empty{}, m.writeEvent(h.log, rec)
}

func (m *Manager) writeEvent(log string, rec *eventlog.Record) error {
	if m.events == nil {
		return windows.ERROR_NOT_SUPPORTED
	}
	now := m.now()
	rec.TimeGenerated, rec.TimeWritten = now, now
	rec.Computer, _ = os.Hostname()
	if _, err := m.events.Append(log, rec, m.limits(log)); err != nil {
		if err == eventlog.ErrLogFull {
			return windows.ERROR_LOG_FILE_FULL
		}
		return err
	}
	m.forward.Send(log, rec)
	return nil
}

// scmEvent records one of the SCM's own events in the System log. It is
// called with m.mu held; a log that cannot take it loses it.
func (m *Manager) scmEvent(typ uint16, id uint32, service string, inserts ...string) {
	if m.events == nil {
		return
	}
	display := service
	if s := m.find(service); s != nil {
		display = s.cfg.EffectiveDisplayName()
	}
	inserts = append([]string(nil), inserts...)
	for i, in := range inserts {
		if in == core.DisplayName {
			inserts[i] = display
		}
	}
	now := m.now()
	host, _ := os.Hostname()
	m.queue.Add(&eventlog.Record{EventID: id, Type: typ, Source: eventlog.SCMSource, TimeGenerated: now, TimeWritten: now,
		Computer: host, UserSID: security.LocalSystem, Strings: inserts})
}

// ReadEventLog returns a log's records with their text.
func (m *Manager) ReadEventLog(c Caller, r *pb.ReadEventLogRequest) (*pb.EventRecords, error) {
	if err := refuseNetworkUser(c); err != nil {
		return nil, err
	}
	if c.Token.User == security.Anonymous {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	m.FlushEvents()
	// Reading and rendering a whole log happen outside m.mu, as writing
	// does: the store has its own lock.
	log, ok := m.findLog(r.Log)
	if !ok || m.events == nil {
		return nil, windows.ERROR_EVT_CHANNEL_NOT_FOUND
	}
	filter, err := eventlog.ParseQuery(r.Query)
	if err != nil {
		return nil, windows.ERROR_EVT_INVALID_QUERY
	}
	now := m.now()
	recs, err := m.events.Read(log, r.NewestFirst, int(r.Count), func(rec *eventlog.Record) bool { return filter(rec, now) })
	if err == eventlog.ErrNoLog {
		return &pb.EventRecords{}, nil
	}
	if err != nil {
		return nil, err
	}
	return m.eventRecords(log, recs), nil
}

func (m *Manager) eventRecords(log string, recs []eventlog.Record) *pb.EventRecords {
	out := &pb.EventRecords{}
	tables := map[string]eventlog.MessageTable{}
	for i := range recs {
		rec := &recs[i]
		msg := eventlog.Message(rec)
		table, ok := tables[rec.Source]
		if !ok {
			table = m.messageFiles.Table(m.messageFile(log, rec.Source))
			tables[rec.Source] = table
		}
		if text, ok := table.Render(rec); ok {
			msg = text
		}
		out.Records = append(out.Records, &pb.EventRecord{
			RecordNumber: rec.RecordNumber, TimeGenerated: rec.TimeGenerated.UnixNano(), TimeWritten: rec.TimeWritten.UnixNano(),
			EventId: rec.EventID, Type: uint32(rec.Type), Category: uint32(rec.Category), Source: rec.Source,
			Computer: rec.Computer, UserSid: rec.UserSID, Strings: rec.Strings, Data: rec.Data, Message: msg,
		})
	}
	return out
}

// ClearEventLog empties a log, or the records up to r.Through; it takes
// the right to clear, which Windows' logs grant administrators only. With
// r.ReadForBackup it clears nothing and returns the records: the caller
// writes its backup file itself, with its own identity, and then clears
// through the last record it saved. So scmd never creates a file at a
// path a caller names, and the access check comes before any file does.
func (m *Manager) ClearEventLog(c Caller, r *pb.ClearEventLogRequest) (*pb.EventRecords, error) {
	if err := refuseNetworkUser(c); err != nil {
		return nil, err
	}
	if !c.Token.IsAdmin() {
		return nil, windows.ERROR_ACCESS_DENIED
	}
	m.FlushEvents()
	// Reading and rendering a whole log happen outside m.mu, as writing
	// does: the store has its own lock.
	log, ok := m.findLog(r.Log)
	if !ok || m.events == nil {
		return nil, windows.ERROR_EVT_CHANNEL_NOT_FOUND
	}
	if r.ReadForBackup {
		recs, err := m.events.Read(log, false, 0, nil)
		if err != nil && err != eventlog.ErrNoLog {
			return nil, err
		}
		return m.eventRecords(log, recs), nil
	}
	if err := m.events.ClearThrough(log, r.Through); err != nil && err != eventlog.ErrNoLog {
		return nil, err
	}
	return &pb.EventRecords{}, nil
}

// GetEventLogInfo describes a log and its limits.
func (m *Manager) GetEventLogInfo(c Caller, name string) (*pb.EventLogInfo, error) {
	if err := refuseNetworkUser(c); err != nil {
		return nil, err
	}
	m.FlushEvents()
	m.mu.Lock()
	defer m.mu.Unlock()
	log, ok := m.canonicalLog(name)
	if !ok || m.events == nil {
		return nil, windows.ERROR_EVT_CHANNEL_NOT_FOUND
	}
	info, err := m.events.Info(log)
	if err != nil && err != eventlog.ErrNoLog {
		return nil, err
	}
	lim := m.limits(log)
	out := &pb.EventLogInfo{Records: info.Records, Size: info.Size, Oldest: info.Oldest, Newest: info.Newest,
		MaxSize: lim.MaxSize, Retention: lim.Retention}
	if !info.Modified.IsZero() {
		out.Modified = info.Modified.UnixNano()
	}
	return out, nil
}

// EnumEventLogs lists the logs.
func (m *Manager) EnumEventLogs(c Caller) *pb.EventLogNames {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &pb.EventLogNames{Names: m.logs()}
}

// startTypeNames are 7040's and 7045's words for start types.
var startTypeNames = []string{"boot start", "system start", "auto start", "demand start", "disabled"}

func startTypeName(t uint32) string {
	if int(t) < len(startTypeNames) {
		return startTypeNames[t]
	}
	return ""
}
