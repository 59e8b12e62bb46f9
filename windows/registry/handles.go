package registry

import (
	"strings"
	"sync"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/windows"
)

// keys are the process's open keys: a handle names a key's path and the
// access it was opened with. scmd checks every call against the caller;
// the handle's access is checked here, as Windows checks a handle's.
var keys = handleTable{open_: map[Key]openKey{}, next: 0x1000}

type openKey struct {
	path   string
	access uint32
}

type handleTable struct {
	mu    sync.Mutex
	open_ map[Key]openKey
	next  Key
}

func (t *handleTable) open(path string, access uint32) Key {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next += 4
	t.open_[t.next] = openKey{path, access}
	return t.next
}

func (t *handleTable) close(k Key) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.open_[k]; !ok {
		return windows.ERROR_INVALID_HANDLE
	}
	delete(t.open_, k)
	return nil
}

func (t *handleTable) path(k Key) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.open_[k]
	if !ok {
		return "", windows.ERROR_INVALID_HANDLE
	}
	return o.path, nil
}

// check reports whether k was opened with the access a call needs; the
// predefined keys are open with all of it.
func (t *handleTable) check(k Key, need uint32) error {
	if _, ok := rootPath(k); ok {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.open_[k]
	switch {
	case !ok:
		return windows.ERROR_INVALID_HANDLE
	case o.access&need != need:
		return windows.ERROR_ACCESS_DENIED
	}
	return nil
}

// conn is the registry calls this package makes, on the process's
// connection to scmd, or to another machine's.
type conn struct{ c *client.Conn }

// call runs fn on the connection of the machine a full path is on, with
// the path as that machine knows it: `\\host\HKLM\...` is a key of
// OpenRemoteKey's, on host; any other path is this machine's.
func call(full string, fn func(c conn, path string) error) error {
	c, path := client.Shared(), full
	if rest, ok := strings.CutPrefix(full, `\\`); ok {
		host, p, _ := strings.Cut(rest, `\`)
		rc, err := client.Remote(host)
		if err != nil {
			return client.Errno(err)
		}
		c, path = rc, p
	}
	return client.Errno(fn(conn{c}, path))
}

func (c conn) query(path string) (*pb.RegKey, error) {
	return c.c.RegQueryKey(&pb.RegKeyRequest{Path: path})
}

func (c conn) createKey(path string) error {
	_, err := c.c.RegCreateKey(&pb.RegKeyRequest{Path: path})
	return err
}

func (c conn) deleteKey(path string) error {
	_, err := c.c.RegDeleteKey(&pb.RegKeyRequest{Path: path})
	return err
}

func (c conn) setValue(path, name string, typ uint32, data []byte) error {
	_, err := c.c.RegSetValue(&pb.RegSetValueRequest{Path: path, Value: &pb.RegValue{Name: name, Type: typ, Data: data}})
	return err
}

func (c conn) deleteValue(path, name string) error {
	_, err := c.c.RegDeleteValue(&pb.RegDeleteValueRequest{Path: path, Name: name})
	return err
}

// query reads a key: its values and its subkeys' names.
func query(path string) (*pb.RegKey, error) {
	var key *pb.RegKey
	err := call(path, func(c conn, p string) error {
		var err error
		key, err = c.query(p)
		return err
	})
	return key, err
}

// queryKey reads an open key.
func queryKey(k Key) (*pb.RegKey, error) {
	path, err := subPath(k, "")
	if err != nil {
		return nil, err
	}
	return query(path)
}
