package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Mode descendants leaves behind every kind of process a service can use
// to outlive its stop: one that makes a session of its own, one that
// double-forks (its parent exits, so it is orphaned), one in a process
// group of its own, and one that ignores SIGTERM. Each writes "KIND PID"
// to the -pids file once it runs, so a test checks exactly those processes.
// Before it starts them, it logs the ones an earlier copy left that are
// still alive: a second copy must never run beside the first's leftovers.
var descendantKinds = []struct {
	kind string
	attr *syscall.SysProcAttr
}{
	{"setsid", &syscall.SysProcAttr{Setsid: true}},
	{"double-fork", nil},
	{"setpgid", &syscall.SysProcAttr{Setpgid: true}},
	{"ignore-term", nil},
}

func startDescendants() {
	for _, pid := range recordedPIDs() {
		if processAlive(pid) {
			logf("leftover alive pid=%d", pid)
		}
	}
	os.Remove(*pidsPath)
	for _, d := range descendantKinds {
		cmd := exec.Command(os.Args[0], "-child", d.kind, "-pids", *pidsPath)
		cmd.SysProcAttr = d.attr
		if err := cmd.Start(); err != nil {
			logf("starting descendant %s: %v", d.kind, err)
			return
		}
		go cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(recordedPIDs()) < len(descendantKinds) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	logf("descendants %v", recordedPIDs())
}

func runDescendant(kind string) {
	switch kind {
	case "double-fork":
		// The classic daemon: fork, setsid, fork again, and the middle
		// process exits, so the last one belongs to nobody.
		cmd := exec.Command(os.Args[0], "-child", "leaf", "-pids", *pidsPath)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	}
	f, err := os.OpenFile(*pidsPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		os.Exit(1)
	}
	fmt.Fprintf(f, "%s %d\n", kind, os.Getpid())
	f.Close()
	for {
		time.Sleep(time.Hour)
	}
}

func recordedPIDs() []int {
	f, err := os.Open(*pidsPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	var pids []int
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 2 {
			if pid, err := strconv.Atoi(fields[1]); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// processAlive: a zombie has exited, only its parent's wait is missing.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}
