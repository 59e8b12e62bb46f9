package eventlog

import (
	"strconv"
	"strings"

	"github.com/openscm/scm/internal/winerror"
)

// SCMSource is the provider name of the SCM's own events.
const SCMSource = "Service Control Manager"

// scmMessages are the texts of the SCM's events, as Windows' message file
// has them: %1... are the inserted strings, %n a line break.
var scmMessages = map[uint32]string{
	7000: "The %1 service failed to start due to the following error: %n%2",
	7001: "The %1 service depends on the %2 service which failed to start because of the following error: %n%3",
	7009: "A timeout was reached (%1 milliseconds) while waiting for the %2 service to connect.",
	7011: "A timeout (%1 milliseconds) was reached while waiting for a transaction response from the %2 service.",
	7022: "The %1 service hung on starting.",
	7023: "The %1 service terminated with the following error: %n%2",
	7024: "The %1 service terminated with the following service-specific error: %n%2",
	7031: "The %1 service terminated unexpectedly.  It has done this %2 time(s).  The following corrective action will be taken in %3 milliseconds: %5.",
	7034: "The %1 service terminated unexpectedly.  It has done this %2 time(s).",
	7036: "The %1 service entered the %2 state.",
	7040: "The start type of the %1 service was changed from %2 to %3.",
	7043: "The %1 service did not shut down properly after receiving a preshutdown control.",
	7045: "A service was installed in the system.%n%nService Name:  %1%nService File Name:  %2%nService Type:  %3%nService Start Type:  %4%nService Account:  %5",
}

// Message renders a record's text. The SCM's events use Windows' texts;
// any other source's events are rendered as EventCreate's are, which is
// what InstallAsEventCreate and an uninstalled source get: the strings
// themselves.
func Message(r *Record) string {
	if r.Source == SCMSource {
		if tmpl, ok := scmMessages[r.EventID]; ok {
			inserts := make([]string, len(r.Strings))
			for i, s := range r.Strings {
				inserts[i] = parameter(s)
			}
			return expand(tmpl, inserts)
		}
	}
	return strings.Join(r.Strings, " ")
}

// parameter resolves an insert of the form %%N, as the SCM's parameter
// message file does: to the system message for N (7024 records a
// service-specific code so, and shows "Incorrect function." for 1), or,
// for a number with no system message, to the insert itself, as Event
// Viewer shows "%%17058".
func parameter(s string) string {
	if !strings.HasPrefix(s, "%%") {
		return s
	}
	n, err := strconv.ParseInt(s[2:], 10, 32)
	if err != nil {
		return s
	}
	if text, ok := winerror.Lookup(uint32(n)); ok {
		return text
	}
	return s
}

func expand(tmpl string, inserts []string) string {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '%' || i+1 >= len(tmpl) {
			b.WriteByte(tmpl[i])
			continue
		}
		if tmpl[i+1] == 'n' {
			b.WriteByte('\n')
			i++
			continue
		}
		j := i + 1
		for j < len(tmpl) && tmpl[j] >= '0' && tmpl[j] <= '9' {
			j++
		}
		if j == i+1 {
			b.WriteByte('%')
			continue
		}
		n, _ := strconv.Atoi(tmpl[i+1 : j])
		if n >= 1 && n <= len(inserts) {
			b.WriteString(inserts[n-1])
		} else {
			b.WriteString(tmpl[i:j])
		}
		i = j - 1
	}
	return b.String()
}
