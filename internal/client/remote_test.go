package client

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A remote server that takes the request and never answers fails the call
// at the deadline instead of holding the caller.
func TestRemoteCallDeadline(t *testing.T) {
	defer func(d time.Duration) { remoteCallTimeout = d }(remoteCallTimeout)
	remoteCallTimeout = 200 * time.Millisecond
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	server := os.NewFile(uintptr(fds[1]), "silent server")
	defer server.Close()
	f := os.NewFile(uintptr(fds[0]), "client")
	defer f.Close()
	w := &wire{fd: fds[0], sock: f, r: bufio.NewReader(f)}
	c := &Conn{host: "silent"}
	done := make(chan error, 1)
	go func() {
		_, err := c.callOnce(w, "QueryServiceStatus", "new", []byte{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errCallTimeout) {
			t.Fatalf("the call ended with %v, want the deadline's error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the call outlived its deadline by a minute")
	}
}

// A reply that claims more than a client accepts is refused before any of
// it is allocated.
func TestReplyBounds(t *testing.T) {
	for _, reply := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: " + string(make([]byte, maxLine)) + "\r\n\r\n",
	} {
		_, err := readResponse(bufio.NewReader(strings.NewReader(reply)))
		if !errors.Is(err, errReplyTooLarge) {
			t.Errorf("a %d-byte hostile reply: %v, want errReplyTooLarge", len(reply), err)
		}
	}
}
