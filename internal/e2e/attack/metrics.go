package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

func init() {
	attacks["stall-scrapes"] = stallScrapes
}

// stallScrapes N asks for /metrics on N connections, reads no more of the
// replies than their headers, then prints "ready" and waits to be killed:
// a reply larger than the socket's buffers then stops in scmd's writes,
// and scmd must not keep anyone else's scrape waiting behind them.
func stallScrapes(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: stall-scrapes N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	var held []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("unix", socketPath())
		if err != nil {
			return err
		}
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: scm\r\n\r\n"); err != nil {
			return err
		}
		// The reply's headers: scmd is sending it now, and stops where
		// this side stops reading.
		head := make([]byte, 0, 512)
		for !bytes.Contains(head, []byte("\r\n\r\n")) {
			b := make([]byte, 64)
			n, err := c.Read(b)
			if err != nil {
				return err
			}
			head = append(head, b[:n]...)
		}
		if !bytes.HasPrefix(head, []byte("HTTP/1.1 200")) {
			return fmt.Errorf("scrape %d: %q", i, head)
		}
		held = append(held, c)
	}
	fmt.Println("ready", len(held))
	select {}
}
