// Package registry provides access to the registry, as
// golang.org/x/sys/windows/registry does on Windows: the same names,
// signatures and errors, over scmd's registry and its access checks.
// LOCAL_MACHINE is the machine's; CURRENT_USER is the calling user's own
// hive, which that user may write; USERS lists the users' hives.
package registry

import (
	"io"
	"strings"

	"github.com/openscm/scm/internal/client"
	"syscall"
	"time"
	"unicode/utf16"

	"github.com/openscm/scm/windows"
)

const (
	// Registry key security and access rights.
	ALL_ACCESS         = 0xf003f
	CREATE_LINK        = 0x00020
	CREATE_SUB_KEY     = 0x00004
	ENUMERATE_SUB_KEYS = 0x00008
	EXECUTE            = 0x20019
	NOTIFY             = 0x00010
	QUERY_VALUE        = 0x00001
	READ               = 0x20019
	SET_VALUE          = 0x00002
	WOW64_32KEY        = 0x00200
	WOW64_64KEY        = 0x00100
	WRITE              = 0x20006
)

// Key is a handle to an open registry key. Keys can be obtained by calling
// OpenKey; there are also some predefined root keys such as CURRENT_USER.
// A handle is valid in the whole process, as on Windows.
type Key uintptr

const (
	// The predefined root keys, always open.
	CLASSES_ROOT     = Key(windows.HKEY_CLASSES_ROOT)
	CURRENT_USER     = Key(windows.HKEY_CURRENT_USER)
	LOCAL_MACHINE    = Key(windows.HKEY_LOCAL_MACHINE)
	USERS            = Key(windows.HKEY_USERS)
	CURRENT_CONFIG   = Key(windows.HKEY_CURRENT_CONFIG)
	PERFORMANCE_DATA = Key(windows.HKEY_PERFORMANCE_DATA)
)

// Close closes open key k. Closing a predefined key does nothing.
func (k Key) Close() error {
	if _, ok := rootPath(k); ok {
		return nil
	}
	return keys.close(k)
}

// OpenKey opens a new key with path name relative to key k. It accepts any
// open key, including CURRENT_USER and others, and returns the new key and
// an error. The access parameter specifies desired access rights to the
// key to be opened.
func OpenKey(k Key, path string, access uint32) (Key, error) {
	full, err := subPath(k, path)
	if err != nil {
		return 0, err
	}
	if _, err := query(full); err != nil {
		return 0, err
	}
	return keys.open(full, access), nil
}

// OpenRemoteKey opens a predefined registry key on another computer pcname.
// The key to be opened is specified by k, but can only be one of
// LOCAL_MACHINE, PERFORMANCE_DATA or USERS. If pcname is "", OpenRemoteKey
// returns local computer key. Another computer is reached as
// mgr.ConnectRemote reaches it, and the keys opened under the key
// returned are that computer's.
func OpenRemoteKey(pcname string, k Key) (Key, error) {
	root, ok := rootPath(k)
	if !ok || (k != LOCAL_MACHINE && k != PERFORMANCE_DATA && k != USERS) {
		return 0, windows.ERROR_INVALID_HANDLE
	}
	host := strings.TrimPrefix(pcname, `\\`)
	if client.IsLocalMachine(host) {
		return k, nil
	}
	full := `\\` + host + `\` + root
	if _, err := query(full); err != nil {
		return 0, err
	}
	return keys.open(full, ALL_ACCESS), nil
}

// ReadSubKeyNames returns the names of subkeys of key k. The parameter n
// controls the number of returned names, analogous to the way
// os.File.Readdirnames works.
func (k Key) ReadSubKeyNames(n int) ([]string, error) {
	if err := keys.check(k, ENUMERATE_SUB_KEYS); err != nil {
		return nil, err
	}
	key, err := queryKey(k)
	if err != nil {
		return nil, err
	}
	return firstN(key.SubkeyNames, n)
}

// firstN is Readdirnames' rule: n > 0 asks for at most n, and io.EOF says
// there were fewer; n <= 0 asks for all.
func firstN(names []string, n int) ([]string, error) {
	if names == nil {
		names = []string{}
	}
	if n <= 0 {
		return names, nil
	}
	if n > len(names) {
		return names, io.EOF
	}
	return names[:n], nil
}

// CreateKey creates a key named path under open key k. CreateKey returns
// the new key and a boolean flag that reports whether the key already
// existed. The access parameter specifies the access rights for the key
// to be created.
func CreateKey(k Key, path string, access uint32) (newk Key, openedExisting bool, err error) {
	full, err := subPath(k, path)
	if err != nil {
		return 0, false, err
	}
	_, qerr := query(full)
	switch qerr {
	case nil:
		openedExisting = true
	case ErrNotExist:
		if err := call(full, func(c conn, p string) error { return c.createKey(p) }); err != nil {
			return 0, false, err
		}
	default:
		return 0, false, qerr
	}
	return keys.open(full, access), openedExisting, nil
}

// DeleteKey deletes the subkey path of key k and its values. A key that has
// subkeys is not deleted: ERROR_ACCESS_DENIED, as from RegDeleteKey.
func DeleteKey(k Key, path string) error {
	full, err := subPath(k, path)
	if err != nil {
		return err
	}
	key, err := query(full)
	if err != nil {
		return err
	}
	if len(key.SubkeyNames) > 0 {
		return windows.ERROR_ACCESS_DENIED
	}
	return call(full, func(c conn, p string) error { return c.deleteKey(p) })
}

// A KeyInfo describes the statistics of a key. It is returned by Stat.
type KeyInfo struct {
	SubKeyCount     uint32
	MaxSubKeyLen    uint32 // size of the key's subkey with the longest name, in Unicode characters, not including the terminating zero byte
	ValueCount      uint32
	MaxValueNameLen uint32 // size of the key's longest value name, in Unicode characters, not including the terminating zero byte
	MaxValueLen     uint32 // longest data component among the key's values, in bytes
	lastWriteTime   filetime
}

// filetime is Windows' FILETIME: 100-nanosecond intervals since 1601.
type filetime struct {
	LowDateTime  uint32
	HighDateTime uint32
}

// ModTime returns the key's last write time.
func (ki *KeyInfo) ModTime() time.Time {
	hsec := uint64(ki.lastWriteTime.HighDateTime)<<32 + uint64(ki.lastWriteTime.LowDateTime)
	sec := int64(hsec/1e7) - 11644473600
	nsec := int64(hsec%1e7) * 100
	return time.Unix(sec, nsec)
}

func (ki *KeyInfo) modTimeZero() bool {
	return ki.lastWriteTime.LowDateTime == 0 && ki.lastWriteTime.HighDateTime == 0
}

// Stat retrieves information about the open key k.
func (k Key) Stat() (*KeyInfo, error) {
	if err := keys.check(k, QUERY_VALUE); err != nil {
		return nil, err
	}
	key, err := queryKey(k)
	if err != nil {
		return nil, err
	}
	ki := &KeyInfo{SubKeyCount: uint32(len(key.SubkeyNames)), ValueCount: uint32(len(key.Values))}
	for _, name := range key.SubkeyNames {
		ki.MaxSubKeyLen = max(ki.MaxSubKeyLen, utf16Len(name))
	}
	for _, v := range key.Values {
		ki.MaxValueNameLen = max(ki.MaxValueNameLen, utf16Len(v.Name))
		ki.MaxValueLen = max(ki.MaxValueLen, uint32(len(windowsData(v.Type, v.Data))))
	}
	if key.LastWriteTime != 0 {
		ft := uint64(key.LastWriteTime/100) + 116444736000000000
		ki.lastWriteTime = filetime{LowDateTime: uint32(ft), HighDateTime: uint32(ft >> 32)}
	}
	return ki, nil
}

func utf16Len(s string) uint32 { return uint32(len(utf16.Encode([]rune(s)))) }

// subPath is the full path of path under k.
func subPath(k Key, path string) (string, error) {
	base, ok := rootPath(k)
	if !ok {
		var err error
		if base, err = keys.path(k); err != nil {
			return "", err
		}
	}
	if strings.IndexByte(path, 0) >= 0 {
		return "", syscall.EINVAL
	}
	path = strings.Trim(path, `\`)
	if path == "" {
		return base, nil
	}
	return base + `\` + path, nil
}

// rootPath is a predefined key's hive.
func rootPath(k Key) (string, bool) {
	switch k {
	case CLASSES_ROOT:
		return "HKCR", true
	case CURRENT_USER:
		return "HKCU", true
	case LOCAL_MACHINE:
		return "HKLM", true
	case USERS:
		return "HKU", true
	case CURRENT_CONFIG:
		return "HKCC", true
	case PERFORMANCE_DATA:
		return "HKPD", true
	}
	return "", false
}
