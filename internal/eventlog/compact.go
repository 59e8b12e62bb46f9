package eventlog

import (
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// pageSize is the file's page size (bbolt's default is the OS page size;
// 4096 on every Linux scmd runs on, and the charge below assumes it).
const pageSize = 4096

// recordCost is what a record of n encoded bytes is charged against its
// log's MaxSize: the bytes it takes in the file, so that a full log's pages
// fit in MaxSize. A record is a leaf element (16 bytes of header, its
// 8-byte key, the value) in a leaf page, plus a branch element (24 bytes)
// for each leaf page. Records are appended one transaction at a time, and
// bbolt splits the growing last leaf so that the new leaf keeps three
// elements: the page left behind holds two fewer than fit, and never fewer
// than two. A record too big for two to share a page lies in a run of
// pages shared with one other, rounded up to whole pages.
func recordCost(n int) uint64 {
	const pageHeader, elemHeader, key, branchElem = 16, 16, 8, 24
	elem := elemHeader + key + n
	fit := (pageSize - pageHeader) / elem
	perLeaf := max(fit-2, 2)
	pages := (pageHeader + perLeaf*elem + pageSize - 1) / pageSize
	leaf := pages * (pageSize + branchElem)
	return uint64((leaf + perLeaf - 1) / perLeaf)
}

// compactSuffix names the file a compaction writes before it replaces the
// log file.
const compactSuffix = ".compact"

// keepFileSize compacts the file when it has grown past the sum of its
// logs' sizes and FileSlack: bbolt reuses freed pages but never returns
// them, and a run of freed pages too short for a big record is not reused,
// so without this the file could grow past every log's MaxSize.
func (s *Store) keepFileSize() error {
	if !s.overgrown() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.overgrownLocked() {
		return nil // another writer compacted it meanwhile
	}
	return s.compactLocked()
}

func (s *Store) overgrown() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.overgrownLocked()
}

func (s *Store) overgrownLocked() bool {
	fi, err := os.Stat(s.path)
	if err != nil {
		return false
	}
	var live uint64
	s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			live += logSize(b)
			return nil
		})
	})
	return uint64(fi.Size()) > live+FileSlack
}

// compactLocked rewrites the file with only its live pages, packed, and
// puts it in place of the old one atomically: a crash leaves either file
// whole. s.mu is held for writing.
func (s *Store) compactLocked() error {
	tmp := s.path + compactSuffix
	os.Remove(tmp)
	dst, err := openBolt(tmp)
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, s.db, 4<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("eventlog: compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("eventlog: compact: %w", err)
	}
	if err := s.db.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	renameErr := os.Rename(tmp, s.path)
	if renameErr == nil {
		syncDir(filepath.Dir(s.path))
	} else {
		os.Remove(tmp)
	}
	db, err := openBolt(s.path)
	if err != nil {
		return err // s.db stays closed: calls fail with bbolt's ErrDatabaseNotOpen
	}
	s.db = db
	s.compactions++
	return renameErr
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
