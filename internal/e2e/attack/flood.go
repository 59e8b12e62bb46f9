package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// Attacks on scmd's resources: descriptors, memory and per-connection state.
func init() {
	attacks["hold-conns"] = holdConns
	attacks["big-request"] = bigRequest
	attacks["open-handles"] = openHandles
	attacks["stall-bodies"] = stallBodies
}

func socketPath() string { return client.SocketPath() }

// holdConns N opens N connections and leaves a half-sent request on each,
// then prints "ready <connections made>" and waits to be killed.
func holdConns(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: hold-conns N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	var held []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("unix", socketPath())
		if err != nil {
			continue
		}
		// Headers never finished: the request stays half-sent.
		io.WriteString(c, "POST /scm.v1.ServiceControlManager/OpenSCManager HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\n")
		held = append(held, c)
	}
	fmt.Printf("ready %d\n", len(held))
	select {}
}

// bigRequest MB sends one OpenSCManager request whose machine name is MB
// megabytes long, streamed so that the attacker itself holds none of it,
// and prints the HTTP status and the start of the reply.
func bigRequest(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: big-request MB")
	}
	mb, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	size := int64(mb) << 20
	// Protobuf: field 1 (machine), wire type 2, a varint length, the bytes.
	head := []byte{0x0a}
	for v := uint64(size); ; {
		if v < 0x80 {
			head = append(head, byte(v))
			break
		}
		head = append(head, byte(v)|0x80)
		v >>= 7
	}
	body := io.MultiReader(strings.NewReader(string(head)), io.LimitReader(repeatA{}, size))
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath())
		},
	}}
	req, err := http.NewRequest("POST", "http://scm/scm.v1.ServiceControlManager/OpenSCManager", body)
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(head)) + size
	req.Header.Set("Content-Type", "application/proto")
	res, err := hc.Do(req)
	if err != nil {
		// The server may answer and close before taking the whole body.
		fmt.Printf("error %v\n", err)
		return nil
	}
	defer res.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	fmt.Printf("status %d %s\n", res.StatusCode, strings.TrimSpace(string(reply)))
	return nil
}

type repeatA struct{}

func (repeatA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// openHandles N makes N OpenSCManager calls on one connection and prints
// how many succeeded, how many failed with each code, then disconnects.
func openHandles(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: open-handles N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	conn := client.Dial(socketPath())
	defer conn.Close()
	ok, failed := 0, map[windows.Errno]int{}
	for i := 0; i < n; i++ {
		_, err := client.Call(conn.OpenSCManager, &pb.OpenSCManagerRequest{DesiredAccess: windows.SC_MANAGER_CONNECT})
		if err == nil {
			ok++
			continue
		}
		var code windows.Errno
		if !errors.As(err, &code) {
			return fmt.Errorf("call %d: %v", i, err)
		}
		failed[code]++
	}
	fmt.Printf("ok %d", ok)
	for code, k := range failed {
		fmt.Printf(" %d:%d", uint32(code), k)
	}
	fmt.Println()
	os.Stdout.Sync()
	return nil
}

// stallBodies N MB opens N connections and on each sends a request with MB
// megabytes of its body and then stalls, never sending the last bytes. It
// prints "ready" once connected, and "done <answered>" when every request
// has been answered or its connection closed.
func stallBodies(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: stall-bodies N MB")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	mb, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	size := int64(mb) << 20
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("unix", socketPath())
		if err != nil {
			continue
		}
		conns = append(conns, c)
	}
	fmt.Printf("ready %d\n", len(conns))
	var wg sync.WaitGroup
	var answered atomic.Int32
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			go func() {
				fmt.Fprintf(c, "POST /scm.v1.ServiceControlManager/OpenSCManager HTTP/1.1\r\nHost: scm\r\n"+
					"Content-Type: application/proto\r\nContent-Length: %d\r\n\r\n", size+10)
				io.Copy(c, io.LimitReader(repeatA{}, size))
			}()
			if line, _ := bufio.NewReader(c).ReadString('\n'); strings.HasPrefix(line, "HTTP/1.1 ") {
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("done %d\n", answered.Load())
	return nil
}
