// Package registry is the SCM's registry: keys, subkeys and typed values,
// persisted in one bbolt file. Key and value names are case-insensitive and
// case-preserving, as on Windows. Every Update is fsynced before it returns.
package registry

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/openscm/scm/windows"
	bolt "go.etcd.io/bbolt"
)

// Within a key's bucket: its case-preserved name, its subkeys and its values.
var (
	nameEntry     = []byte("n")
	subkeysBucket = []byte("k")
	valuesBucket  = []byte("v")
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
	return s.db.Update(func(btx *bolt.Tx) error { return fn(&Tx{btx}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{btx}) })
}

// Tx is a registry transaction.
type Tx struct {
	btx *bolt.Tx
}

// Hives are the registry's roots, with the short names reg.exe accepts.
var hives = []struct{ long, short string }{
	{"HKEY_LOCAL_MACHINE", "HKLM"},
	{"HKEY_CURRENT_USER", "HKCU"},
	{"HKEY_CLASSES_ROOT", "HKCR"},
	{"HKEY_USERS", "HKU"},
	{"HKEY_CURRENT_CONFIG", "HKCC"},
}

func seedHives(tx *Tx) error {
	for _, h := range hives {
		b, err := tx.btx.CreateBucketIfNotExists([]byte(h.short))
		if err != nil {
			return err
		}
		if err := initKey(b, h.long); err != nil {
			return err
		}
	}
	return nil
}

func initKey(b *bolt.Bucket, name string) error {
	if b.Get(nameEntry) == nil {
		if err := b.Put(nameEntry, []byte(name)); err != nil {
			return err
		}
	}
	if _, err := b.CreateBucketIfNotExists(subkeysBucket); err != nil {
		return err
	}
	_, err := b.CreateBucketIfNotExists(valuesBucket)
	return err
}

// SplitPath splits a key path such as HKLM\SYSTEM\CurrentControlSet into its
// hive's short name and the names below it. It reports false for an unknown
// hive.
func SplitPath(path string) (hive string, names []string, ok bool) {
	parts := strings.Split(strings.Trim(path, `\`), `\`)
	for _, h := range hives {
		if strings.EqualFold(parts[0], h.short) || strings.EqualFold(parts[0], h.long) {
			hive = h.short
			break
		}
	}
	if hive == "" {
		return "", nil, false
	}
	for _, p := range parts[1:] {
		if p == "" {
			return "", nil, false
		}
		names = append(names, p)
	}
	return hive, names, true
}

// HiveName returns the long name of a hive given by its short name.
func HiveName(short string) string {
	for _, h := range hives {
		if h.short == short {
			return h.long
		}
	}
	return short
}

func fold(name string) []byte { return []byte(strings.ToLower(name)) }

// valueKey is a value's key in its bucket; the prefix gives the default
// value, whose name is empty, a key bbolt accepts.
func valueKey(name string) []byte { return append([]byte{'='}, fold(name)...) }

// OpenKey opens an existing key; ERROR_FILE_NOT_FOUND if it is not there.
func (tx *Tx) OpenKey(path string) (*Key, error) {
	hive, names, ok := SplitPath(path)
	if !ok {
		return nil, windows.ERROR_BADKEY
	}
	b := tx.btx.Bucket([]byte(hive))
	k := &Key{tx: tx, b: b, path: hive}
	for _, n := range names {
		sub := k.b.Bucket(subkeysBucket).Bucket(fold(n))
		if sub == nil {
			return nil, windows.ERROR_FILE_NOT_FOUND
		}
		k = &Key{tx: tx, b: sub, path: k.path + `\` + string(sub.Get(nameEntry))}
	}
	return k, nil
}

// CreateKey opens a key, creating it and any missing parents. A key that
// already exists keeps the case of its name.
func (tx *Tx) CreateKey(path string) (*Key, error) {
	hive, names, ok := SplitPath(path)
	if !ok {
		return nil, windows.ERROR_BADKEY
	}
	k := &Key{tx: tx, b: tx.btx.Bucket([]byte(hive)), path: hive}
	for _, n := range names {
		sub, err := k.createSubKey(n)
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
	hive, names, ok := SplitPath(path)
	if !ok {
		return windows.ERROR_BADKEY
	}
	if len(names) == 0 {
		return windows.ERROR_ACCESS_DENIED
	}
	parent, err := tx.OpenKey(hive + `\` + strings.Join(names[:len(names)-1], `\`))
	if err != nil {
		return err
	}
	subs := parent.b.Bucket(subkeysBucket)
	last := fold(names[len(names)-1])
	if subs.Bucket(last) == nil {
		return windows.ERROR_FILE_NOT_FOUND
	}
	return subs.DeleteBucket(last)
}

// Key is an open key inside a transaction.
type Key struct {
	tx   *Tx
	b    *bolt.Bucket
	path string
}

// Path returns the key's full path with its hive's short name and each name
// in its stored case.
func (k *Key) Path() string { return k.path }

// Name returns the key's own name in its stored case.
func (k *Key) Name() string { return string(k.b.Get(nameEntry)) }

func (k *Key) createSubKey(name string) (*Key, error) {
	if len(name) > 255 || strings.ContainsAny(name, `\`) {
		return nil, windows.ERROR_INVALID_PARAMETER
	}
	subs := k.b.Bucket(subkeysBucket)
	sub := subs.Bucket(fold(name))
	if sub == nil {
		var err error
		if sub, err = subs.CreateBucket(fold(name)); err != nil {
			return nil, err
		}
		if err := initKey(sub, name); err != nil {
			return nil, err
		}
	}
	return &Key{tx: k.tx, b: sub, path: k.path + `\` + string(sub.Get(nameEntry))}, nil
}

// SubKey opens a direct subkey.
func (k *Key) SubKey(name string) (*Key, error) {
	sub := k.b.Bucket(subkeysBucket).Bucket(fold(name))
	if sub == nil {
		return nil, windows.ERROR_FILE_NOT_FOUND
	}
	return &Key{tx: k.tx, b: sub, path: k.path + `\` + string(sub.Get(nameEntry))}, nil
}

// CreateSubKey opens a direct subkey, creating it if needed.
func (k *Key) CreateSubKey(name string) (*Key, error) { return k.createSubKey(name) }

// SubKeyNames returns the names of the direct subkeys, sorted without regard
// to case as Windows enumerates them.
func (k *Key) SubKeyNames() []string {
	var names []string
	k.b.Bucket(subkeysBucket).ForEachBucket(func(lower []byte) error {
		names = append(names, string(k.b.Bucket(subkeysBucket).Bucket(lower).Get(nameEntry)))
		return nil
	})
	return names
}

// Value returns one value; ERROR_FILE_NOT_FOUND if it is not there. The
// empty name is the key's default value.
func (k *Key) Value(name string) (Value, error) {
	raw := k.b.Bucket(valuesBucket).Get(valueKey(name))
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
	err := k.b.Bucket(valuesBucket).ForEach(func(_, raw []byte) error {
		seq, v, err := decodeValue(raw)
		all = append(all, entry{seq, v})
		return err
	})
	if err != nil {
		return nil, err
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
	vals := k.b.Bucket(valuesBucket)
	var seq uint64
	if old := vals.Get(valueKey(v.Name)); old != nil {
		seq, _, _ = decodeValue(old)
	} else {
		var err error
		if seq, err = vals.NextSequence(); err != nil {
			return err
		}
	}
	return vals.Put(valueKey(v.Name), encodeValue(seq, v))
}

// DeleteValue removes a value; ERROR_FILE_NOT_FOUND if it is not there.
func (k *Key) DeleteValue(name string) error {
	vals := k.b.Bucket(valuesBucket)
	if vals.Get(valueKey(name)) == nil {
		return windows.ERROR_FILE_NOT_FOUND
	}
	return vals.Delete(valueKey(name))
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
