// Command readysvc is the service the comparison benchmarks run under
// supervisors other than scm, and the floor they are all measured against:
// a Go program that does nothing but start, say it is ready, and run until
// it is told to stop.
//
// It says it is ready only when asked to, by writing a newline to a
// descriptor and closing it: the one -ready-fd names (the floor's one byte
// back), or, run as a service directory's run file, the one the directory's
// notification-fd names (s6's readiness protocol). The run file is a
// symbolic link to this program, so no shell starts in between. Under
// runit, daemontools and supervisord, which have no readiness protocol, it
// says nothing.
//
// With -echo-fd it instead sends every packet it reads on that descriptor
// back, as the other end of the floor of a status query.
package main

import (
	"flag"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	readyFD := flag.Int("ready-fd", -1, "descriptor to write a newline to once ready")
	echoFD := flag.Int("echo-fd", -1, "descriptor whose packets are sent back")
	flag.Parse()
	if *echoFD >= 0 {
		echo(*echoFD)
		return
	}
	if *readyFD < 0 {
		*readyFD = notificationFD()
	}
	// SIGTERM is the stop request of every supervisor compared here.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if *readyFD >= 0 {
		syscall.Write(*readyFD, []byte{'\n'})
		syscall.Close(*readyFD)
	}
	<-stop
}

// notificationFD is the descriptor s6-supervise has the service write its
// readiness to, or -1.
func notificationFD() int {
	b, err := os.ReadFile("notification-fd")
	if err != nil {
		return -1
	}
	fd, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return fd
}

func echo(fd int) {
	buf := make([]byte, 64)
	for {
		n, err := syscall.Read(fd, buf)
		if err != nil || n <= 0 {
			return
		}
		syscall.Write(fd, buf[:n])
	}
}
