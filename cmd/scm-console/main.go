// Command scm-console serves services.msc as a web page to the user who
// runs it: on loopback, to the browser that opens the address it prints
// (once), acting on scmd as that user.
//
//	scm-console [--listen 127.0.0.1:0] [--host B]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/openscm/scm/internal/console"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve the console on; anything but loopback lets others on the network try the login")
	host := flag.String("host", "", "the computer whose services the console shows first (default: this one)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("scm-console: ")

	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if a, ok := l.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		log.Printf("warning: serving on %s, reachable from other machines", a)
	}
	c := console.New(console.Options{Host: *host})
	defer c.Close()
	c.Serving(l.Addr().String())
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("Open http://%s%s\n", l.Addr(), c.LoginPath())
	os.Stdout.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
