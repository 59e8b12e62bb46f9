// Command querymon is a user's monitor for the benchmarks: it runs
// `sc query SERVICE` every interval until its standard input closes, then
// prints how long each query took, in microseconds, one per line. It says
// "ready" once it is running, so that what it measures can begin.
//
// It times the queries from a process of its own, as a user's shell or
// monitoring agent would: timed from the benchmark's process, a query's
// end waits on that process's own goroutines (a hundred clients starting
// services), which is none of the SCM's doing.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

func main() {
	sc := flag.String("sc", "sc", "the sc program")
	service := flag.String("service", "", "the service to query")
	every := flag.Duration("every", 5*time.Millisecond, "how often to query")
	flag.Parse()

	stop := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	fmt.Println("ready")
	var took []time.Duration
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			for _, d := range took {
				fmt.Println(d.Microseconds())
			}
			return
		case <-tick.C:
		}
		t0 := time.Now()
		if out, err := exec.Command(*sc, "query", *service).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "sc query %s: %v\n%s", *service, err, out)
			os.Exit(1)
		}
		took = append(took, time.Since(t0))
	}
}
