package launch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StartTime is a process's start time in clock ticks since boot (field 22
// of /proc/PID/stat): with the pid, it names one process for good.
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return 0, errors.New("short /proc stat")
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// The kernel gives a process's start time as its CLOCK_BOOTTIME at the
// fork, in clock ticks (AT_CLKTCK, 100 a second). A child forked between
// two readings of that clock that fall in the same tick started in that
// tick: its start time is known without reading /proc, which right after
// a fork costs as much as the rest of the launch's bookkeeping.
var ticksPerSecond = func() uint64 {
	auxv, err := unix.Auxv()
	if err != nil {
		return 0
	}
	for _, kv := range auxv {
		if kv[0] == 17 { // AT_CLKTCK
			return uint64(kv[1])
		}
	}
	return 0
}()

// bootTicks is the time since boot in clock ticks, or 0 if the tick is
// not known.
func bootTicks() uint64 {
	var ts unix.Timespec
	if ticksPerSecond == 0 || 1e9%ticksPerSecond != 0 || unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) != nil {
		return 0
	}
	return uint64(ts.Nano()) / (1e9 / ticksPerSecond)
}

// startTimeOfChild is the start time of a child forked after bootTicks
// read before and before it read after.
func startTimeOfChild(pid int, before, after uint64) (uint64, error) {
	if before != 0 && before == after {
		return before, nil
	}
	return StartTime(pid)
}
