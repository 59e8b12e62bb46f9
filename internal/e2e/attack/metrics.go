package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

func init() {
	attacks["stall-scrapes"] = stallScrapes
}

// stallScrapes N asks for /metrics on N connections and never reads the
// replies, then prints "ready" and waits to be killed: scmd must not keep
// anyone else's scrape waiting behind them.
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
		// The smallest receive buffer: the reply stops in scmd's writes.
		c.(*net.UnixConn).SetReadBuffer(1)
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: scm\r\n\r\n"); err != nil {
			return err
		}
		held = append(held, c)
	}
	fmt.Println("ready", len(held))
	select {}
}
