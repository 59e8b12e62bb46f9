package devices

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// WatchClock calls changed(old, new) each time the wall clock is set
// (stepped), as the kernel reports it to a timerfd armed with
// TFD_TIMER_CANCEL_ON_SET. old is where the clock would be had nobody set
// it. It returns nil when ctx is done, or the error that ended the timerfd.
func WatchClock(ctx context.Context, changed func(old, new time.Time)) error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_CLOEXEC)
	if err != nil {
		return err
	}
	f, err := pollable(fd, "timerfd")
	if err != nil {
		return err
	}
	defer f.Close()
	defer closeWhenDone(ctx, f)()
	buf := make([]byte, 8)
	for {
		armedWall := time.Now()
		armedMono := monotonic()
		far := unix.NsecToTimespec(armedWall.Add(100 * 365 * 24 * time.Hour).UnixNano())
		spec := unix.ItimerSpec{Value: far}
		if err := unix.TimerfdSettime(int(f.Fd()), unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil); err != nil {
			return err
		}
		_, err := f.Read(buf)
		switch {
		case errors.Is(err, unix.ECANCELED):
			now := time.Now()
			old := armedWall.Add(monotonic() - armedMono)
			changed(old, now)
		case err == nil:
		case stopped(ctx, err):
			return nil
		default:
			return err
		}
	}
}

func monotonic() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// TimeChangeInfo is SERVICE_TIMECHANGE_INFO: the new and the old time as
// FILETIMEs (100 ns intervals since 1601), little-endian.
func TimeChangeInfo(old, new time.Time) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, filetime(new))
	binary.LittleEndian.PutUint64(b[8:], filetime(old))
	return b
}

func filetime(t time.Time) uint64 {
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	return uint64(t.UnixNano()/100) + epochDiff
}
