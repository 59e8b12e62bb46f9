// Package metrics writes what the SCM knows of its services in Prometheus'
// text exposition format (version 0.0.4), under the names, labels and label
// values of windows_exporter's service collector (windows_service_state,
// windows_service_start_mode, windows_service_info,
// windows_service_process), so that dashboards and alerts written for
// Windows services work unchanged; beside them, scm_* series for what only
// the SCM knows: the restarts its failure actions made and how long starts
// take. docs/metrics.md lists every series.
//
// The manager takes a Snapshot under its lock; everything else (reading
// /proc, formatting, compressing, writing to a slow scraper) happens here,
// outside it.
package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openscm/scm/windows"
)

// Snapshot is the SCM's state at one scrape.
type Snapshot struct {
	Services []Service
	Handles  int // handles open on the SCM

	// StartDurations are the starts that reached RUNNING since scmd
	// started, of every service: StartService to RUNNING.
	StartDurations Histogram
}

// Service is one service as QueryServiceConfig and QueryServiceStatusEx
// show it, with what the SCM counted of it.
type Service struct {
	Name        string
	DisplayName string
	PathName    string // BinaryPathName: the ImagePath
	RunAs       string // ServiceStartName: the account
	StartType   uint32 // SERVICE_BOOT_START ... SERVICE_DISABLED
	State       uint32 // SERVICE_STOPPED ... SERVICE_PAUSED
	PID         uint32 // its process; 0 when it has none

	// ProcessStart is when its process was created, in Unix seconds;
	// 0 when unknown. The manager leaves it to FillProcessStarts.
	ProcessStart int64

	Restarts uint64 // restarts its failure actions made (SC_ACTION_RESTART)

	// LastStart is how long its last start took from StartService to
	// RUNNING, in seconds; HasLastStart is false until a start got there.
	LastStart    float64
	HasLastStart bool
}

// StartBuckets are the upper bounds, in seconds, of the buckets of
// scm_service_start_duration_seconds.
var StartBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// Histogram counts observations in StartBuckets.
type Histogram struct {
	Buckets [len(StartBuckets)]uint64 // observations in each bucket alone (not cumulative); those above the last bound are only in Count
	Count   uint64
	Sum     float64
}

// Observe counts one observation of v seconds.
func (h *Histogram) Observe(v float64) {
	for i, le := range StartBuckets {
		if v <= le {
			h.Buckets[i]++
			break
		}
	}
	h.Count++
	h.Sum += v
}

// ContentType is the text format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// The states and start modes as windows_exporter names them, in the order
// its series come out (by label value).
var (
	stateNames = []struct {
		state uint32
		name  string
	}{
		{windows.SERVICE_CONTINUE_PENDING, "continue pending"},
		{windows.SERVICE_PAUSE_PENDING, "pause pending"},
		{windows.SERVICE_PAUSED, "paused"},
		{windows.SERVICE_RUNNING, "running"},
		{windows.SERVICE_START_PENDING, "start pending"},
		{windows.SERVICE_STOP_PENDING, "stop pending"},
		{windows.SERVICE_STOPPED, "stopped"},
	}
	startModeNames = []struct {
		start uint32
		name  string
	}{
		{windows.SERVICE_AUTO_START, "auto"},
		{windows.SERVICE_BOOT_START, "boot"},
		{windows.SERVICE_DISABLED, "disabled"},
		{windows.SERVICE_DEMAND_START, "manual"},
		{windows.SERVICE_SYSTEM_START, "system"},
	}
)

// knownStartType reports whether windows_exporter names the start type; it
// leaves out a service whose start type it cannot name.
func knownStartType(t uint32) bool { return t <= windows.SERVICE_DISABLED }

// Format writes s in the text format: the families in name order and each
// family's series by label values, as Prometheus' client library writes
// them. It sorts s.Services by name.
func Format(w io.Writer, s *Snapshot) error {
	slices.SortFunc(s.Services, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	svcs := make([]*Service, 0, len(s.Services))
	for i := range s.Services {
		if knownStartType(s.Services[i].StartType) {
			svcs = append(svcs, &s.Services[i])
		}
	}
	f := &formatter{w: bufio.NewWriterSize(w, 64<<10)}

	f.family("scm_handles_open", "gauge", "Handles open on the SCM: OpenSCManager's, OpenService's, the database lock's and event sources'.")
	f.sample("scm_handles_open", "", float64(s.Handles))

	if len(svcs) > 0 {
		f.family("scm_service_failure_restarts_total", "counter", "Restarts of the service that its failure actions (SC_ACTION_RESTART) made since scmd started.")
		for _, v := range svcs {
			f.sample("scm_service_failure_restarts_total", f.labels("name", v.Name), float64(v.Restarts))
		}
	}

	if slices.ContainsFunc(svcs, func(v *Service) bool { return v.HasLastStart }) {
		f.family("scm_service_last_start_duration_seconds", "gauge", "Seconds from StartService to RUNNING of the service's last start that reached RUNNING since scmd started.")
		for _, v := range svcs {
			if v.HasLastStart {
				f.sample("scm_service_last_start_duration_seconds", f.labels("name", v.Name), v.LastStart)
			}
		}
	}

	h := &s.StartDurations
	f.family("scm_service_start_duration_seconds", "histogram", "Seconds from StartService to RUNNING of every service's starts since scmd started.")
	var cum uint64
	for i, le := range StartBuckets {
		cum += h.Buckets[i]
		f.sample("scm_service_start_duration_seconds_bucket", `le="`+formatFloat(le)+`"`, float64(cum))
	}
	f.sample("scm_service_start_duration_seconds_bucket", `le="+Inf"`, float64(h.Count))
	f.sample("scm_service_start_duration_seconds_sum", "", h.Sum)
	f.sample("scm_service_start_duration_seconds_count", "", float64(h.Count))

	if len(svcs) > 0 {
		f.family("windows_service_info", "gauge", "A metric with a constant '1' value labeled with service information")
		for _, v := range svcs {
			f.sample("windows_service_info", f.labels("display_name", v.DisplayName, "name", v.Name, "path_name", v.PathName, "run_as", v.RunAs), 1)
		}
	}

	if slices.ContainsFunc(svcs, hasProcess) {
		f.family("windows_service_process", "gauge", "Process of started service. The value is the creation time of the process as a unix timestamp.")
		for _, v := range svcs {
			if hasProcess(v) {
				f.sample("windows_service_process", f.labels("name", v.Name, "process_id", strconv.FormatUint(uint64(v.PID), 10)), float64(v.ProcessStart))
			}
		}
	}

	if len(svcs) > 0 {
		f.family("windows_service_start_mode", "gauge", "The start mode of the service (StartMode)")
		for _, v := range svcs {
			for _, m := range startModeNames {
				f.sample("windows_service_start_mode", f.labels("name", v.Name, "start_mode", m.name), bool01(v.StartType == m.start))
			}
		}
		f.family("windows_service_state", "gauge", "The state of the service (State)")
		for _, v := range svcs {
			for _, st := range stateNames {
				f.sample("windows_service_state", f.labels("name", v.Name, "state", st.name), bool01(v.State == st.state))
			}
		}
	}
	if f.err != nil {
		return f.err
	}
	return f.w.Flush()
}

// hasProcess: windows_exporter writes windows_service_process for a
// service with a process whose creation time it could read.
func hasProcess(v *Service) bool { return v.PID != 0 && v.ProcessStart != 0 }

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// formatter writes lines to w, keeping the first error.
type formatter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (f *formatter) family(name, typ, help string) {
	f.buf = append(f.buf[:0], "# HELP "...)
	f.buf = append(f.buf, name...)
	f.buf = append(f.buf, ' ')
	f.buf = appendEscaped(f.buf, help, false)
	f.buf = append(f.buf, "\n# TYPE "...)
	f.buf = append(f.buf, name...)
	f.buf = append(f.buf, ' ')
	f.buf = append(f.buf, typ...)
	f.buf = append(f.buf, '\n')
	f.write()
}

// labels formats name="value" pairs, given in name order.
func (f *formatter) labels(pairs ...string) string {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, pairs[i]...)
		b = append(b, `="`...)
		b = appendEscaped(b, pairs[i+1], true)
		b = append(b, '"')
	}
	return string(b)
}

func (f *formatter) sample(name, labels string, v float64) {
	f.buf = append(f.buf[:0], name...)
	if labels != "" {
		f.buf = append(f.buf, '{')
		f.buf = append(f.buf, labels...)
		f.buf = append(f.buf, '}')
	}
	f.buf = append(f.buf, ' ')
	f.buf = append(f.buf, formatFloat(v)...)
	f.buf = append(f.buf, '\n')
	f.write()
}

func (f *formatter) write() {
	if f.err == nil {
		_, f.err = f.w.Write(f.buf)
	}
}

// appendEscaped escapes s as the text format wants: in a label value a
// backslash, a double quote and a line feed; in HELP a backslash and a
// line feed. Bytes that are not UTF-8 become U+FFFD, which Prometheus
// requires of label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// formatFloat writes a sample's value as Prometheus' client library does.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
