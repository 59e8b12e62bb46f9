package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/eventxml"
)

// The Event Viewer: a log's events newest first, filtered as the viewer's
// "Filter Current Log" does (level, source, event id, how recent), each
// with its message and its XML view; new events arrive on a stream.

// event is a row of the viewer and its details.
type event struct {
	Record   uint64 `json:"record"`
	Time     string `json:"time"` // RFC 3339, UTC
	Level    string `json:"level"`
	Source   string `json:"source"`
	ID       uint32 `json:"id"`
	User     string `json:"user"`
	Computer string `json:"computer"`
	Message  string `json:"message"`
	XML      string `json:"xml"`
}

// maxEvents bounds one page of the viewer.
const maxEvents = 2000

// xmlLevels are the XML Levels of the viewer's level boxes.
var xmlLevels = map[string]int{"error": 2, "warning": 3, "information": 4}

// eventQuery is the wevtutil /q: query of the viewer's filter, and the
// number of events asked for; an error names what cannot be a filter.
func eventQuery(v map[string][]string, after uint64) (string, error) {
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	var terms []string
	if l := get("level"); l != "" {
		var ors []string
		for _, name := range strings.Split(l, ",") {
			n, ok := xmlLevels[strings.ToLower(name)]
			if !ok {
				return "", fmt.Errorf("no level %q", name)
			}
			ors = append(ors, "Level="+strconv.Itoa(n))
		}
		terms = append(terms, "("+strings.Join(ors, " or ")+")")
	}
	if s := get("source"); s != "" {
		if strings.ContainsAny(s, `'"[]`) {
			return "", fmt.Errorf("a source name has no quotes or brackets")
		}
		terms = append(terms, "Provider[@Name='"+s+"']")
	}
	if id := get("id"); id != "" {
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return "", fmt.Errorf("event id %q is not a number", id)
		}
		terms = append(terms, "(EventID="+strconv.FormatUint(n, 10)+")")
	}
	if h := get("hours"); h != "" {
		n, err := strconv.ParseUint(h, 10, 32)
		if err != nil || n == 0 {
			return "", fmt.Errorf("hours %q is not a positive number", h)
		}
		terms = append(terms, "TimeCreated[timediff(@SystemTime) <= "+strconv.FormatUint(n*3600000, 10)+"]")
	}
	if after > 0 {
		terms = append(terms, "(EventRecordID > "+strconv.FormatUint(after, 10)+")")
	}
	if len(terms) == 0 {
		return "*", nil
	}
	return "*[System[" + strings.Join(terms, " and ") + "]]", nil
}

func eventOf(log string, r *pb.EventRecord) event {
	return event{
		Record: r.RecordNumber, Time: time.Unix(0, r.TimeGenerated).UTC().Format(time.RFC3339Nano),
		Level: eventxml.Levels[r.Type], Source: r.Source, ID: r.EventId, User: r.UserSid, Computer: r.Computer,
		Message: r.Message, XML: eventxml.Render(log, r, true),
	}
}

// logs lists the event logs.
func (c *Console) logs(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	names, err := client.Call(h.conn.EnumEventLogs, &pb.Empty{})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, names.Names)
}

// events is a log's events, newest first, as the filter asks.
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	log := r.PathValue("log")
	query, err := eventQuery(r.URL.Query(), 0)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	recs, err := client.Call(h.conn.ReadEventLog, &pb.ReadEventLogRequest{Log: log, NewestFirst: true, Count: maxEvents, Query: query})
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]event, 0, len(recs.Records))
	for _, rec := range recs.Records {
		out = append(out, eventOf(log, rec))
	}
	writeJSON(w, out)
}

// eventPoll is how often the stream asks scmd for events newer than the
// last it sent: the event log tells no one of new records, and one small
// query a second per open viewer is what a live view costs.
const eventPoll = time.Second

// eventStream sends the log's new events, as the filter asks, as they are
// written.
func (c *Console) eventStream(w http.ResponseWriter, r *http.Request) {
	h, err := c.hostOf(r)
	if err != nil {
		writeError(w, err)
		return
	}
	log := r.PathValue("log")
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil {
		http.Error(w, "after: the last record the page has", http.StatusBadRequest)
		return
	}
	if _, err := eventQuery(r.URL.Query(), after); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, ok := openSSE(w)
	if !ok {
		return
	}
	t := time.NewTicker(eventPoll)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		query, _ := eventQuery(r.URL.Query(), after)
		recs, err := client.Call(h.conn.ReadEventLog, &pb.ReadEventLogRequest{Log: log, Count: maxEvents, Query: query})
		if err != nil {
			continue // scmd restarting: the next tick asks again
		}
		for _, rec := range recs.Records {
			b, _ := json.Marshal(eventOf(log, rec))
			out.send(b)
			after = max(after, rec.RecordNumber)
		}
		out.flush()
	}
}
