package eventlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Filter is a compiled wevtutil /q: query. The subset of XPath it reads is
// what event queries use: *[System[...]] with Provider[@Name='X'],
// EventID, Level, EventRecordID and Task compared to numbers,
// TimeCreated[timediff(@SystemTime) <= N], parentheses, and, or.
type Filter func(r *Record, now time.Time) bool

// Level is the XML rendering's Level of an event type.
func Level(eventType uint16) int {
	switch eventType {
	case Error:
		return 2
	case Warning:
		return 3
	case AuditSuccess, AuditFailure:
		return 0
	}
	return 4
}

// ParseQuery compiles a query; "" and "*" match everything.
func ParseQuery(q string) (Filter, error) {
	q = strings.TrimSpace(q)
	if q == "" || q == "*" {
		return func(*Record, time.Time) bool { return true }, nil
	}
	p := &parser{toks: tokenize(q)}
	if !p.accept("*") || !p.accept("[") || !p.accept("System") || !p.accept("[") {
		return nil, fmt.Errorf("query %q: expected *[System[...]]", q)
	}
	f, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	if !p.accept("]") || !p.accept("]") || len(p.toks) != 0 {
		return nil, fmt.Errorf("query %q: unexpected %q", q, strings.Join(p.toks, " "))
	}
	return f, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], s[i])
			if j < 0 {
				toks = append(toks, s[i:])
				return toks
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		case strings.ContainsRune("[]()*", c):
			toks = append(toks, string(c))
			i++
		case strings.ContainsRune("<>=!", c):
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune("[]()*<>=!'\"", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type parser struct{ toks []string }

func (p *parser) peek() string {
	if len(p.toks) == 0 {
		return ""
	}
	return p.toks[0]
}

func (p *parser) accept(t string) bool {
	if p.peek() == t {
		p.toks = p.toks[1:]
		return true
	}
	return false
}

func (p *parser) or() (Filter, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.accept("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *Record, now time.Time) bool { return l(r, now) || right(r, now) }
	}
	return left, nil
}

func (p *parser) and() (Filter, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.accept("and") {
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *Record, now time.Time) bool { return l(r, now) && right(r, now) }
	}
	return left, nil
}

func (p *parser) term() (Filter, error) {
	if p.accept("(") {
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, fmt.Errorf("missing )")
		}
		return f, nil
	}
	switch name := p.peek(); name {
	case "Provider":
		p.toks = p.toks[1:]
		if !p.accept("[") || !p.accept("@Name") || !p.accept("=") {
			return nil, fmt.Errorf("expected Provider[@Name='...']")
		}
		v := p.peek()
		if len(v) < 2 || (v[0] != '\'' && v[0] != '"') {
			return nil, fmt.Errorf("expected a quoted provider name")
		}
		p.toks = p.toks[1:]
		if !p.accept("]") {
			return nil, fmt.Errorf("missing ]")
		}
		want := v[1 : len(v)-1]
		return func(r *Record, _ time.Time) bool { return strings.EqualFold(r.Source, want) }, nil
	case "EventID", "Level", "EventRecordID", "Task":
		p.toks = p.toks[1:]
		cmp, n, err := p.comparison()
		if err != nil {
			return nil, err
		}
		field := map[string]func(*Record) int64{
			"EventID":       func(r *Record) int64 { return int64(r.EventID) },
			"Level":         func(r *Record) int64 { return int64(Level(r.Type)) },
			"EventRecordID": func(r *Record) int64 { return int64(r.RecordNumber) },
			"Task":          func(r *Record) int64 { return int64(r.Category) },
		}[name]
		return func(r *Record, _ time.Time) bool { return cmp(field(r), n) }, nil
	case "TimeCreated":
		p.toks = p.toks[1:]
		if !p.accept("[") || !p.accept("timediff") || !p.accept("(") || !p.accept("@SystemTime") || !p.accept(")") {
			return nil, fmt.Errorf("expected TimeCreated[timediff(@SystemTime) <= N]")
		}
		cmp, n, err := p.comparison()
		if err != nil {
			return nil, err
		}
		if !p.accept("]") {
			return nil, fmt.Errorf("missing ]")
		}
		return func(r *Record, now time.Time) bool { return cmp(now.Sub(r.TimeGenerated).Milliseconds(), n) }, nil
	}
	return nil, fmt.Errorf("unexpected %q", p.peek())
}

func (p *parser) comparison() (func(a, b int64) bool, int64, error) {
	op := p.peek()
	cmps := map[string]func(a, b int64) bool{
		"=": func(a, b int64) bool { return a == b }, "!=": func(a, b int64) bool { return a != b },
		"<": func(a, b int64) bool { return a < b }, "<=": func(a, b int64) bool { return a <= b },
		">": func(a, b int64) bool { return a > b }, ">=": func(a, b int64) bool { return a >= b },
	}
	cmp, ok := cmps[op]
	if !ok {
		return nil, 0, fmt.Errorf("expected a comparison, got %q", op)
	}
	p.toks = p.toks[1:]
	n, err := strconv.ParseInt(p.peek(), 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("expected a number, got %q", p.peek())
	}
	p.toks = p.toks[1:]
	return cmp, n, nil
}
