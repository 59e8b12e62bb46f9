package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
)

func init() { attacks["join"] = join }

// join TOKEN HANDLE: joins another process's session with its token and
// queries a service handle of that session; prints the reply's status line
// and Win32-Error header.
func join(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: join TOKEN HANDLE")
	}
	var handle uint64
	fmt.Sscan(args[1], &handle)
	c, err := net.Dial("unix", socketPath())
	if err != nil {
		return err
	}
	defer c.Close()
	body, _ := pb.Marshal(&pb.HandleRequest{Handle: handle})
	fmt.Fprintf(c, "POST /scm.v1.ServiceControlManager/QueryServiceStatus HTTP/1.1\r\nHost: scm\r\nContent-Type: application/proto\r\nScm-Session: %s\r\nContent-Length: %d\r\n\r\n%s", args[0], len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	fmt.Println(strings.TrimSpace(res.Status), res.Header.Get("Win32-Error"))
	return nil
}
