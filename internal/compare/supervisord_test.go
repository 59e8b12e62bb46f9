package compare

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// supervisordRig is supervisord with n programs of readysvc. supervisord
// has no readiness protocol; startsecs=0 makes a program RUNNING as soon as
// it is started. The in-process client is supervisord's XML-RPC interface
// on its unix socket.
type supervisordRig struct {
	root, conf, sock string
	n                int
	d                *daemon
	hc               *http.Client
}

func newSupervisord(b *testing.B, n int, auto bool) rig {
	tool(b, "supervisor", "supervisord")
	r := &supervisordRig{root: b.TempDir(), n: n}
	r.conf = filepath.Join(r.root, "supervisord.conf")
	r.sock = filepath.Join(r.root, "supervisor.sock")
	var c strings.Builder
	// Each program holds descriptors in supervisord for its output.
	fmt.Fprintf(&c, `[unix_http_server]
file=%[1]s/supervisor.sock

[supervisord]
nodaemon=true
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
minfds=%[2]d

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/supervisor.sock
`, r.root, max(1024, 4*n+256))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&c, `
[program:%s]
command=%s
directory=%s
autostart=%v
autorestart=false
startsecs=0
stdout_logfile=NONE
stderr_logfile=NONE
`, serviceName(i), bin(b, "readysvc"), r.root, auto)
	}
	must(b, os.WriteFile(r.conf, []byte(c.String()), 0o644))
	r.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", r.sock)
		},
	}}
	return r
}

func (r *supervisordRig) launch(b *testing.B) {
	r.d = startDaemon(b, filepath.Join(r.root, "stdout.log"), tool(b, "supervisor", "supervisord"), "-c", r.conf)
}

// ready waits until supervisord answers.
func (r *supervisordRig) ready(b *testing.B) {
	deadline := time.Now().Add(stepTimeout)
	for {
		_, err := r.call("supervisor.getState")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("supervisord does not answer: %v\n%s", err, r.d.tail())
		}
		time.Sleep(time.Millisecond)
	}
}

// waitAllUp asks for every program's state until all run, pausing between
// questions as pollPause says.
func (r *supervisordRig) waitAllUp(b *testing.B) {
	deadline := time.Now().Add(stepTimeout + time.Duration(r.n)*50*time.Millisecond)
	running := 0
	for {
		t0 := time.Now()
		if v, err := r.call("supervisor.getAllProcessInfo"); err == nil {
			running = 0
			for _, p := range v.Array {
				if p.member("statename") == "RUNNING" {
					running++
				}
			}
			if running == r.n {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d programs running\n%s", running, r.n, r.d.tail())
		}
		time.Sleep(pollPause(time.Since(t0)))
	}
}

func (r *supervisordRig) settle(b *testing.B) {}

// start is startProcess with wait: it answers once the program runs.
func (r *supervisordRig) start(b *testing.B, i int) {
	if _, err := r.call("supervisor.startProcess", serviceName(i), true); err != nil {
		b.Fatal(err)
	}
}

// stop is stopProcess with wait: it answers once the program is reaped.
func (r *supervisordRig) stop(b *testing.B, i int) {
	if _, err := r.call("supervisor.stopProcess", serviceName(i), true); err != nil {
		b.Fatal(err)
	}
}

func (r *supervisordRig) query(b *testing.B, i int) {
	v, err := r.call("supervisor.getProcessInfo", serviceName(i))
	if err != nil || v.member("statename") != "RUNNING" {
		b.Fatalf("%s: %v %v", serviceName(i), v.member("statename"), err)
	}
}

func (r *supervisordRig) ctl(b *testing.B, args ...string) {
	runCLI(b, append([]string{tool(b, "supervisor", "supervisorctl"), "-c", r.conf}, args...)...)
}

func (r *supervisordRig) cliStart(b *testing.B, i int)  { r.ctl(b, "start", serviceName(i)) }
func (r *supervisordRig) cliStop(b *testing.B, i int)   { r.ctl(b, "stop", serviceName(i)) }
func (r *supervisordRig) cliStatus(b *testing.B, i int) { r.ctl(b, "status", serviceName(i)) }

// close stops supervisord, which on SIGTERM stops its programs and exits.
func (r *supervisordRig) close(b *testing.B) {
	r.hc.CloseIdleConnections()
	if r.d != nil {
		r.d.stop(b, syscall.SIGTERM)
		r.d = nil
	}
	os.RemoveAll(r.root)
}

// call makes one XML-RPC call with string and boolean parameters.
func (r *supervisordRig) call(method string, params ...any) (*xmlValue, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, `<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>`, method)
	for _, p := range params {
		body.WriteString("<param><value>")
		switch p := p.(type) {
		case string:
			body.WriteString("<string>")
			xml.EscapeText(&body, []byte(p))
			body.WriteString("</string>")
		case bool:
			v := 0
			if p {
				v = 1
			}
			fmt.Fprintf(&body, "<boolean>%d</boolean>", v)
		default:
			return nil, fmt.Errorf("no XML-RPC encoding for %T", p)
		}
		body.WriteString("</value></param>")
	}
	body.WriteString("</params></methodCall>")
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", "http://localhost/RPC2", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var m struct {
		Params []xmlValue `xml:"params>param>value"`
		Fault  *xmlValue  `xml:"fault>value"`
	}
	if err := xml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", method, err, raw)
	}
	if m.Fault != nil {
		return nil, fmt.Errorf("%s: fault %s", method, m.Fault.member("faultString"))
	}
	if len(m.Params) != 1 {
		return nil, fmt.Errorf("%s: %d values in the answer", method, len(m.Params))
	}
	return &m.Params[0], nil
}

// xmlValue is an XML-RPC value, as much of it as supervisord's answers
// need: strings, structs and arrays.
type xmlValue struct {
	String  string      `xml:"string"`
	Members []xmlMember `xml:"struct>member"`
	Array   []xmlValue  `xml:"array>data>value"`
}

type xmlMember struct {
	Name  string   `xml:"name"`
	Value xmlValue `xml:"value"`
}

// member is the string a struct's member holds.
func (v *xmlValue) member(name string) string {
	if v == nil {
		return ""
	}
	for _, m := range v.Members {
		if m.Name == name {
			return m.Value.String
		}
	}
	return ""
}
