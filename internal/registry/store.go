// Package registry is the SCM's registry: keys, subkeys and typed values,
// persisted in one bbolt file. Key and value names are case-insensitive and
// case-preserving, as on Windows. Every Update is fsynced before it returns.
package registry

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/openscm/scm/internal/regdata"

	"github.com/openscm/scm/windows"
	bolt "go.etcd.io/bbolt"
)

// The file holds two buckets. keysBucket maps each key's lower-cased full
// path to its full path as written, then a NUL and its last write time
// (unix nanoseconds, 8 bytes big-endian; absent on a hive's root and in
// files written before keys had one); valuesBucket maps a key's lower-cased
// path, a NUL and the lower-cased value name to the value. Flat buckets keep
// a key's values together on shared pages, so a database of thousands of
// services stays small.
var (
	keysBucket   = []byte("keys")
	valuesBucket = []byte("values")
)

// Store is an open registry file.
type Store struct {
	db *bolt.DB
}

// Open opens or creates the registry file at path. A second scmd on the same
// file waits a little and then fails rather than sharing it.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.Update(func(tx *Tx) error { return seedHives(tx) }); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction; the changes are on disk when
// Update returns nil, and none of them are if fn fails.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(btx *bolt.Tx) error {
		// Keys arrive mostly in order (a service's values next to each
		// other), so pages may be split fuller than bbolt's default half.
		for _, name := range [][]byte{keysBucket, valuesBucket} {
			if b := btx.Bucket(name); b != nil {
				b.FillPercent = 0.9
			}
		}
		return fn(&Tx{btx})
	})
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{btx}) })
}

// Tx is a registry transaction.
type Tx struct {
	btx *bolt.Tx
}

func seedHives(tx *Tx) error {
	for _, name := range []string{string(keysBucket), string(valuesBucket)} {
		if _, err := tx.btx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	keys := tx.btx.Bucket(keysBucket)
	for _, h := range regdata.Hives {
		if keys.Get(fold(h.Short)) == nil {
			if err := keys.Put(fold(h.Short), []byte(h.Short)); err != nil {
				return err
			}
		}
	}
	return nil
}

func fold(name string) []byte { return []byte(strings.ToLower(name)) }

// OpenKey opens an existing key; ERROR_FILE_NOT_FOUND if it is not there.
func (tx *Tx) OpenKey(path string) (*Key, error) {
	hive, names, ok := SplitPath(path)
	if !ok {
		return nil, windows.ERROR_BADKEY
	}
	lower := strings.ToLower(strings.Join(append([]string{hive}, names...), `\`))
	stored := tx.btx.Bucket(keysBucket).Get([]byte(lower))
	if stored == nil {
		return nil, windows.ERROR_FILE_NOT_FOUND
	}
	return openedKey(tx, lower, stored), nil
}

// openedKey is a key from its keysBucket entry.
func openedKey(tx *Tx, lower string, stored []byte) *Key {
	path, mod := splitStored(stored)
	return &Key{tx: tx, path: path, lower: lower, mod: mod}
}

// splitStored splits a keysBucket entry into the key's path and its last
// write time.
func splitStored(stored []byte) (string, int64) {
	i := bytes.IndexByte(stored, 0)
	if i < 0 || len(stored)-i-1 != 8 {
		return string(stored), 0
	}
	return string(stored[:i]), int64(binary.BigEndian.Uint64(stored[i+1:]))
}

// touch records that k changed now: its last write time.
func (k *Key) touch() error {
	if !strings.Contains(k.lower, `\`) {
		return nil // a hive's root has none
	}
	k.mod = time.Now().UnixNano()
	entry := binary.BigEndian.AppendUint64(append([]byte(k.path), 0), uint64(k.mod))
	return k.tx.btx.Bucket(keysBucket).Put([]byte(k.lower), entry)
}

// ModTime is when the key, its values or its direct subkeys last changed;
// zero if that was never recorded.
func (k *Key) ModTime() time.Time {
	if k.mod == 0 {
		return time.Time{}
	}
	return time.Unix(0, k.mod)
}

// parent is the key's parent, nil for a hive's root.
func (k *Key) parent() *Key {
	i := strings.LastIndexByte(k.lower, '\\')
	if i < 0 {
		return nil
	}
	lower := k.lower[:i]
	stored := k.tx.btx.Bucket(keysBucket).Get([]byte(lower))
	if stored == nil {
		return nil
	}
	return openedKey(k.tx, lower, stored)
}

// CreateKey opens a key, creating it and any missing parents. A key that
// already exists keeps the case of its name.
func (tx *Tx) CreateKey(path string) (*Key, error) {
	hive, names, ok := SplitPath(path)
	if !ok {
		return nil, windows.ERROR_BADKEY
	}
	k := &Key{tx: tx, path: hive, lower: strings.ToLower(hive)}
	for _, n := range names {
		sub, err := k.CreateSubKey(n)
		if err != nil {
			return nil, err
		}
		k = sub
	}
	return k, nil
}

// DeleteKey deletes a key and everything below it. Deleting a hive's root is
// refused, as on Windows.
func (tx *Tx) DeleteKey(path string) error {
	k, err := tx.OpenKey(path)
	if err != nil {
		return err
	}
	if !strings.Contains(k.lower, `\`) {
		return windows.ERROR_ACCESS_DENIED
	}
	keys, vals := tx.btx.Bucket(keysBucket), tx.btx.Bucket(valuesBucket)
	for _, r := range []struct {
		b      *bolt.Bucket
		prefix string
	}{
		{keys, k.lower + `\`}, {vals, k.lower + `\`}, {vals, k.lower + "\x00"},
	} {
		if err := deletePrefix(r.b, []byte(r.prefix)); err != nil {
			return err
		}
	}
	if err := keys.Delete([]byte(k.lower)); err != nil {
		return err
	}
	if p := k.parent(); p != nil {
		return p.touch()
	}
	return nil
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// Key is an open key inside a transaction.
type Key struct {
	tx    *Tx
	path  string // as written, hive by its short name
	lower string
	mod   int64 // last write time, unix nanoseconds; 0 if unknown
}

// Path returns the key's full path with its hive's short name and each name
// in its stored case.
func (k *Key) Path() string { return k.path }

// Name returns the key's own name in its stored case.
func (k *Key) Name() string { return k.path[strings.LastIndexByte(k.path, '\\')+1:] }

// SubKey opens a direct subkey.
func (k *Key) SubKey(name string) (*Key, error) {
	if strings.Contains(name, `\`) || name == "" {
		return nil, windows.ERROR_FILE_NOT_FOUND
	}
	lower := k.lower + `\` + strings.ToLower(name)
	stored := k.tx.btx.Bucket(keysBucket).Get([]byte(lower))
	if stored == nil {
		return nil, windows.ERROR_FILE_NOT_FOUND
	}
	return openedKey(k.tx, lower, stored), nil
}

// CreateSubKey opens a direct subkey, creating it if needed.
func (k *Key) CreateSubKey(name string) (*Key, error) {
	if name == "" || len(name) > 255 || strings.Contains(name, `\`) {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	if sub, err := k.SubKey(name); err == nil {
		return sub, nil
	}
	sub := &Key{tx: k.tx, path: k.path + `\` + name, lower: k.lower + `\` + strings.ToLower(name)}
	if err := sub.touch(); err != nil {
		return nil, err
	}
	if err := k.touch(); err != nil {
		return nil, err
	}
	return sub, nil
}

// SubKeyNames returns the names of the direct subkeys, sorted without regard
// to case as Windows enumerates them.
func (k *Key) SubKeyNames() []string {
	var names []string
	prefix := []byte(k.lower + `\`)
	c := k.tx.btx.Bucket(keysBucket).Cursor()
	for key, stored := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); {
		rest := key[len(prefix):]
		if i := bytes.IndexByte(rest, '\\'); i >= 0 {
			// A grandchild: skip the rest of that child's subtree. '\\'+1
			// is ']', so this seeks to the first key after it.
			key, stored = c.Seek(append(append([]byte(nil), key[:len(prefix)+i]...), ']'))
			continue
		}
		path, _ := splitStored(stored)
		names = append(names, path[strings.LastIndexByte(path, '\\')+1:])
		key, stored = c.Next()
	}
	return names
}

// valueKey is a value's key: the key's path, a NUL, the value's name. The
// default value, whose name is empty, sorts first.
func (k *Key) valueKey(name string) []byte {
	return []byte(k.lower + "\x00" + strings.ToLower(name))
}

// Value returns one value; ERROR_FILE_NOT_FOUND if it is not there. The
// empty name is the key's default value.
func (k *Key) Value(name string) (Value, error) {
	raw := k.tx.btx.Bucket(valuesBucket).Get(k.valueKey(name))
	if raw == nil {
		return Value{}, windows.ERROR_FILE_NOT_FOUND
	}
	_, v, err := decodeValue(raw)
	return v, err
}

// Values returns all values in the order they were first written.
func (k *Key) Values() ([]Value, error) {
	type entry struct {
		seq uint64
		v   Value
	}
	var all []entry
	prefix := []byte(k.lower + "\x00")
	c := k.tx.btx.Bucket(valuesBucket).Cursor()
	for key, raw := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, raw = c.Next() {
		seq, v, err := decodeValue(raw)
		if err != nil {
			return nil, err
		}
		all = append(all, entry{seq, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	vs := make([]Value, len(all))
	for i, e := range all {
		vs[i] = e.v
	}
	return vs, nil
}

// SetValue writes a value, replacing one of the same name. A replaced value
// keeps its place in the order and takes the new name's case.
func (k *Key) SetValue(v Value) error {
	if err := v.Validate(); err != nil {
		return windows.ERROR_INVALID_PARAMETER
	}
	vals := k.tx.btx.Bucket(valuesBucket)
	key := k.valueKey(v.Name)
	var seq uint64
	if old := vals.Get(key); old != nil {
		seq, _, _ = decodeValue(old)
	} else {
		var err error
		if seq, err = vals.NextSequence(); err != nil {
			return err
		}
	}
	if err := vals.Put(key, encodeValue(seq, v)); err != nil {
		return err
	}
	return k.touch()
}

// DeleteValue removes a value; ERROR_FILE_NOT_FOUND if it is not there.
func (k *Key) DeleteValue(name string) error {
	vals := k.tx.btx.Bucket(valuesBucket)
	key := k.valueKey(name)
	if vals.Get(key) == nil {
		return windows.ERROR_FILE_NOT_FOUND
	}
	if err := vals.Delete(key); err != nil {
		return err
	}
	return k.touch()
}

// SetDefaults writes each value that is not already present.
func (k *Key) SetDefaults(vs ...Value) error {
	for _, v := range vs {
		if _, err := k.Value(v.Name); err == nil {
			continue
		}
		if err := k.SetValue(v); err != nil {
			return err
		}
	}
	return nil
}

// CopyTree replaces the key dst with a copy of src and everything below it.
func (tx *Tx) CopyTree(src, dst string) error {
	from, err := tx.OpenKey(src)
	if err != nil {
		return err
	}
	if err := tx.DeleteKey(dst); err != nil && err != windows.ERROR_FILE_NOT_FOUND {
		return err
	}
	to, err := tx.CreateKey(dst)
	if err != nil {
		return err
	}
	return copyKey(from, to)
}

func copyKey(from, to *Key) error {
	vals, err := from.Values()
	if err != nil {
		return err
	}
	for _, v := range vals {
		if err := to.SetValue(v); err != nil {
			return err
		}
	}
	for _, name := range from.SubKeyNames() {
		sf, err := from.SubKey(name)
		if err != nil {
			return err
		}
		st, err := to.CreateSubKey(name)
		if err != nil {
			return err
		}
		if err := copyKey(sf, st); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSubKey deletes a direct subkey and everything below it.
func (k *Key) DeleteSubKey(name string) error { return k.tx.DeleteKey(k.path + `\` + name) }
