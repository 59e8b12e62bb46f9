package wrap

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Log is a file a program's output is appended to, rotated by size and by
// age as NSSM rotates: the old file is renamed with a timestamp and a new
// one started, and only the newest Keep rotated files stay.
type Log struct {
	path    string
	bytes   uint64
	seconds uint32
	online  bool
	keep    uint32

	mu     sync.Mutex
	f      *os.File
	size   uint64
	opened time.Time
}

// OpenLog opens path for a program's output. With rotateAtStart, an
// existing file is rotated first if it is older than the rotation age or
// bigger than the rotation size (always, if neither is set).
func OpenLog(path string, c *Config, rotateAtStart bool) (*Log, error) {
	l := &Log{path: path, bytes: c.RotateBytes, seconds: c.RotateSeconds, online: c.RotateOnline, keep: c.RotateKeep}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if rotateAtStart {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			old := l.seconds > 0 && time.Since(fi.ModTime()) >= time.Duration(l.seconds)*time.Second
			big := l.bytes > 0 && uint64(fi.Size()) >= l.bytes
			if old || big || (l.seconds == 0 && l.bytes == 0) {
				if err := l.rename(); err != nil {
					return nil, err
				}
			}
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if c.Disposition == CreateAlways {
		flags |= os.O_TRUNC
	}
	if err := l.open(flags); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) open(flags int) error {
	f, err := os.OpenFile(l.path, flags, 0o644)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size, l.opened = f, uint64(fi.Size()), time.Now()
	return nil
}

// Write appends p, rotating when the file is due. With a size limit, p is
// cut at the last line break that still fits, so that no file grows past
// the limit however the program's output arrives (a line longer than the
// limit is cut where the limit falls).
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	written := 0
	for len(p) > 0 {
		if l.online && l.size > 0 && l.seconds > 0 && time.Since(l.opened) >= time.Duration(l.seconds)*time.Second {
			if err := l.rotateLocked(); err != nil {
				return written, err
			}
		}
		chunk := p
		if l.online && l.bytes > 0 && uint64(len(p)) > l.bytes-l.size {
			room := l.bytes - l.size
			switch i := bytes.LastIndexByte(p[:room], '\n'); {
			case i >= 0:
				chunk = p[:i+1]
			case l.size > 0:
				if err := l.rotateLocked(); err != nil {
					return written, err
				}
				continue
			default:
				chunk = p[:room] // one line longer than a whole file
			}
		}
		n, err := l.f.Write(chunk)
		l.size += uint64(n)
		written += n
		if err != nil {
			return written, err
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// Rotate rotates now.
func (l *Log) Rotate() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rotateLocked()
}

func (l *Log) rotateLocked() error {
	l.f.Close()
	if err := l.rename(); err != nil {
		return err
	}
	return l.open(os.O_CREATE | os.O_WRONLY | os.O_APPEND)
}

// rename moves the file aside as NAME-YYYYMMDDTHHMMSS.mmm.EXT, then prunes.
func (l *Log) rename() error {
	ext := filepath.Ext(l.path)
	base := strings.TrimSuffix(l.path, ext)
	now := time.Now()
	to := fmt.Sprintf("%s-%s.%03d%s", base, now.Format("20060102T150405"), now.Nanosecond()/1e6, ext)
	for i := 1; fileExists(to); i++ { // two rotations in one millisecond
		to = fmt.Sprintf("%s-%s.%03d-%d%s", base, now.Format("20060102T150405"), now.Nanosecond()/1e6, i, ext)
	}
	if err := os.Rename(l.path, to); err != nil {
		return err
	}
	return l.prune()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Rotated lists the rotated files of path, oldest first.
func Rotated(path string) []string {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	matches, _ := filepath.Glob(base + "-[0-9]*T[0-9]*" + ext)
	sort.Strings(matches)
	return matches
}

func (l *Log) prune() error {
	if l.keep == 0 {
		return nil
	}
	old := Rotated(l.path)
	for len(old) > int(l.keep) {
		if err := os.Remove(old[0]); err != nil {
			return err
		}
		old = old[1:]
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
