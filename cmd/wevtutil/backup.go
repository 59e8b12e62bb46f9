package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"syscall"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// clearWithBackup is `wevtutil cl LOG /bu:FILE`, ClearEventLog with a
// backup file name. Windows checks the right to clear first, refuses a
// backup file that exists (ERROR_FILE_EXISTS), and writes the file as the
// caller. Here the caller's own process writes it: scmd checks the right
// and hands over the records, this process creates the file (never
// following a symbolic link, never over an existing file), and only once
// the backup is on disk are the records it holds cleared.
func clearWithBackup(conn *client.Conn, log, path string) error {
	r, err := client.Call(conn.ClearEventLog, &pb.ClearEventLogRequest{Log: log, ReadForBackup: true})
	if err != nil {
		return err
	}
	if err := writeBackup(path, log, r.Records); err != nil {
		return err
	}
	var through uint64
	for _, e := range r.Records {
		through = max(through, e.RecordNumber)
	}
	if through == 0 {
		return nil // the log was empty: nothing to clear, nothing written since is lost
	}
	_, err = client.Call(conn.ClearEventLog, &pb.ClearEventLogRequest{Log: log, Through: through})
	return err
}

// writeBackup creates path exclusively and writes the events to it; on
// any failure the partial file is removed.
func writeBackup(path, log string, records []*pb.EventRecord) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fileError(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "<Events>\n")
	for _, e := range records {
		printXML(w, log, e, true)
	}
	fmt.Fprint(w, "</Events>\n")
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fileError(err)
	}
	return nil
}

// fileError gives a file system error Windows' code for it.
func fileError(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case syscall.EEXIST:
		return windows.ERROR_FILE_EXISTS
	case syscall.EACCES, syscall.EPERM, syscall.EROFS:
		return windows.ERROR_ACCESS_DENIED
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP:
		return windows.ERROR_PATH_NOT_FOUND
	case syscall.ENOSPC, syscall.EDQUOT:
		return windows.ERROR_DISK_FULL
	}
	return err
}
