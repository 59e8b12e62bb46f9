package main

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// Event log attacks: an ordinary user may write to Application, so it
// tries to make one event larger than the log, or to flood the log with
// the largest events there are.
func init() {
	// event-huge N...: one event per argument, its one string N characters
	// long; prints each answer's Win32 code (0 when taken).
	attacks["event-huge"] = func(args []string) error {
		conn, h, err := evlogSource()
		if err != nil {
			return err
		}
		defer conn.Close()
		for _, a := range args {
			n, err := strconv.Atoi(a)
			if err != nil {
				return err
			}
			err = evlogReport(conn, h, []string{strings.Repeat("x", n)}, nil)
			fmt.Printf("%d %d\n", n, evlogCode(err))
		}
		return nil
	}
	// event-flood N: N of the largest events Windows takes: three strings
	// of 31,839 characters and 61,440 bytes of data each.
	attacks["event-flood"] = func(args []string) error {
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		conn, h, err := evlogSource()
		if err != nil {
			return err
		}
		defer conn.Close()
		s := strings.Repeat("x", 31839)
		data := make([]byte, 61440)
		for i := 0; i < n; i++ {
			if err := evlogReport(conn, h, []string{strconv.Itoa(i), s, s}, data); err != nil {
				return fmt.Errorf("event %d: %v", i, err)
			}
		}
		return nil
	}
}

func evlogSource() (*client.Conn, uint64, error) {
	conn := client.Dial(client.SocketPath())
	r, err := client.Call(conn.RegisterEventSource, &pb.RegisterEventSourceRequest{Source: "attacker"})
	if err != nil {
		conn.Close()
		return nil, 0, err
	}
	return conn, r.Handle, nil
}

func evlogReport(conn *client.Conn, h uint64, strs []string, data []byte) error {
	_, err := client.Call(conn.ReportEvent, &pb.ReportEventRequest{Handle: h, Type: 4, EventId: 1, Strings: strs, Data: data})
	return err
}

// evlogCode is an answer's Win32 code: 0 for none, 1722 when scmd did not
// answer with one.
func evlogCode(err error) uint64 {
	if err == nil {
		return 0
	}
	if e, ok := err.(windows.Errno); ok {
		return uint64(e)
	}
	return uint64(windows.RPC_S_SERVER_UNAVAILABLE)
}
