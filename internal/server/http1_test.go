package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openscm/scm/internal/api/scmmsg"
	pb "github.com/openscm/scm/internal/api/scmv1"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// Every unary call of the API is served on the connection's goroutine.
func TestEveryUnaryCallIsServedDirectly(t *testing.T) {
	calls := unaryCalls(&handler{})
	methods := pb.File_scm_v1_scm_proto.Services().ByName("ServiceControlManager").Methods()
	for i := 0; i < methods.Len(); i++ {
		m := methods.Get(i)
		path := "/scm.v1.ServiceControlManager/" + string(m.Name())
		switch _, ok := calls[path]; {
		case m.IsStreamingClient() || m.IsStreamingServer():
			if ok {
				t.Errorf("%s is a stream, served here as unary", m.Name())
			}
		case !ok:
			t.Errorf("%s is not in unaryCalls", m.Name())
		}
	}
}

// A call in Connect's JSON goes to net/http, on a connection that has
// made calls served directly before: the connection is handed over at that
// request, and served on by net/http, whatever comes next.
func TestJSONCallHandedToNetHTTP(t *testing.T) {
	sock := serveWithTimeouts(t, IdleTimeout, RequestReadTimeout)
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	call := func(contentType, body string) (*http.Response, string) {
		t.Helper()
		io.WriteString(c, "POST /scm.v1.ServiceControlManager/OpenSCManager HTTP/1.1\r\nHost: scm\r\n"+
			"Content-Type: "+contentType+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	for i, step := range []struct{ contentType, body string }{
		{"application/proto", ""},
		{"application/json", `{"desiredAccess":1}`},
		{"application/proto", ""},
		{"application/json", `{"desiredAccess":1}`},
	} {
		res, body := call(step.contentType, step.body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != step.contentType {
			t.Fatalf("call %d (%s): %s %q %q", i, step.contentType, res.Status, res.Header.Get("Content-Type"), body)
		}
		if step.contentType == "application/json" && !strings.Contains(body, `"handle"`) {
			t.Errorf("call %d: JSON reply %q has no handle", i, body)
		}
	}
}

// A refused call over the direct path reads as one from net/http: Connect's
// HTTP status and JSON error, the Win32 code in its header.
func TestDirectErrorsAsConnectsOwn(t *testing.T) {
	sock := serveWithTimeouts(t, IdleTimeout, RequestReadTimeout)
	conn := client.Dial(sock)
	defer conn.Close()
	_, err := client.Call(conn.QueryServiceStatus, &scmmsg.HandleRequest{Handle: 12345})
	if err != windows.ERROR_INVALID_HANDLE {
		t.Fatalf("a bad handle: %v, want ERROR_INVALID_HANDLE", err)
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "POST /scm.v1.ServiceControlManager/QueryServiceStatus HTTP/1.1\r\nHost: scm\r\n"+
		"Content-Type: application/proto\r\nContent-Length: 3\r\n\r\n\x08\xb9\x60")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || res.Header.Get(Win32ErrorHeader) != "6" ||
		!strings.Contains(string(b), `"code":"invalid_argument"`) || !strings.Contains(string(b), `"type":"scm.v1.Win32Error"`) {
		t.Errorf("reply: %s %v %s", res.Status, res.Header, b)
	}
}
