package devices

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// pollable hands a non-blocking descriptor to the runtime's poller, so a
// read waits without holding a thread and a Close ends a read under way:
// a watcher must stop when its SCM does, and closing a raw descriptor does
// not wake a thread blocked reading it.
func pollable(fd int, name string) (*os.File, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// closeWhenDone closes f once ctx is done; the returned stop ends the wait
// when the watcher returns first.
func closeWhenDone(ctx context.Context, f *os.File) (stop func() bool) {
	return context.AfterFunc(ctx, func() { f.Close() })
}

// stopped reports whether a watcher's read failed because its context
// ended it.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, os.ErrClosed)
}
