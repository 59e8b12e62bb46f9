package registry

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"syscall"
	"unicode/utf16"

	"github.com/openscm/scm/windows"
)

const (
	// Registry value types.
	NONE                       = 0
	SZ                         = 1
	EXPAND_SZ                  = 2
	BINARY                     = 3
	DWORD                      = 4
	DWORD_BIG_ENDIAN           = 5
	LINK                       = 6
	MULTI_SZ                   = 7
	RESOURCE_LIST              = 8
	FULL_RESOURCE_DESCRIPTOR   = 9
	RESOURCE_REQUIREMENTS_LIST = 10
	QWORD                      = 11
)

var (
	// ErrShortBuffer is returned when the buffer was too short for the operation.
	ErrShortBuffer = windows.ERROR_MORE_DATA

	// ErrNotExist is returned when a registry key or value does not exist.
	ErrNotExist = windows.ERROR_FILE_NOT_FOUND

	// ErrUnexpectedType is returned by Get*Value when the value's type was unexpected.
	ErrUnexpectedType = errors.New("unexpected key value type")
)

// GetValue retrieves the type and data for the specified value associated
// with an open key k. It fills up buffer buf and returns the retrieved
// byte count n. If buf is too small to fit the stored value it returns
// ErrShortBuffer error along with the required buffer size n. If no
// buffer is provided, it returns true and actual buffer size n. If no
// buffer is provided, GetValue returns the value's type only. If the
// value does not exist, the error returned is ErrNotExist. Strings come in
// Windows' form: UTF-16, each ended by a zero.
func (k Key) GetValue(name string, buf []byte) (n int, valtype uint32, err error) {
	data, typ, err := k.value(name)
	if err != nil {
		return 0, 0, err
	}
	if len(buf) < len(data) {
		if len(buf) == 0 {
			return len(data), typ, nil
		}
		return len(data), typ, ErrShortBuffer
	}
	return copy(buf, data), typ, nil
}

// value is a value's type and data in Windows' form.
func (k Key) value(name string) ([]byte, uint32, error) {
	if err := keys.check(k, QUERY_VALUE); err != nil {
		return nil, 0, err
	}
	if strings.IndexByte(name, 0) >= 0 {
		return nil, 0, syscall.EINVAL
	}
	key, err := queryKey(k)
	if err != nil {
		return nil, 0, err
	}
	for _, v := range key.Values {
		if strings.EqualFold(v.Name, name) {
			return windowsData(v.Type, v.Data), v.Type, nil
		}
	}
	return nil, 0, ErrNotExist
}

// GetStringValue retrieves the string value for the specified value name
// associated with an open key k. It also returns the value's type. If
// value does not exist, GetStringValue returns ErrNotExist. If value is
// not SZ or EXPAND_SZ, it will return the correct value type and
// ErrUnexpectedType.
func (k Key) GetStringValue(name string) (val string, valtype uint32, err error) {
	data, typ, err := k.value(name)
	if err != nil {
		return "", typ, err
	}
	switch typ {
	case SZ, EXPAND_SZ:
	default:
		return "", typ, ErrUnexpectedType
	}
	return decodeString(data), typ, nil
}

// GetMUIStringValue retrieves the localized string value for the specified
// value name associated with an open key k. There are no resource DLLs to
// resolve an indirect string ("@file,-id") from here: such a value, like a
// missing one, is ErrNotExist; a plain string is itself.
func (k Key) GetMUIStringValue(name string) (string, error) {
	s, _, err := k.GetStringValue(name)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(s, "@") {
		return "", ErrNotExist
	}
	return s, nil
}

// LoadRegLoadMUIString reports whether RegLoadMUIString, which resolves
// indirect strings from resource DLLs, is there: it is not.
func LoadRegLoadMUIString() error { return windows.ERROR_CALL_NOT_IMPLEMENTED }

// ExpandString expands environment-variable strings and replaces them
// with the values defined for the current user. Use ExpandString to expand
// EXPAND_SZ strings. As Windows' ExpandEnvironmentStrings, a %NAME% whose
// variable is not set is left as it is, and names ignore case.
func ExpandString(value string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(value, '%')
		if i < 0 {
			break
		}
		j := strings.IndexByte(value[i+1:], '%')
		if j < 0 {
			break
		}
		name := value[i+1 : i+1+j]
		if v, ok := lookupEnv(name); ok && name != "" {
			b.WriteString(value[:i])
			b.WriteString(v)
			value = value[i+j+2:]
			continue
		}
		// Not a variable: the first % is text, and the second may open one.
		b.WriteString(value[:i+1+j])
		value = value[i+1+j:]
	}
	b.WriteString(value)
	return b.String(), nil
}

func lookupEnv(name string) (string, bool) {
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// GetStringsValue retrieves the []string value for the specified value
// name associated with an open key k. It also returns the value's type. If
// value does not exist, GetStringsValue returns ErrNotExist. If value is
// not MULTI_SZ, it will return the correct value type and
// ErrUnexpectedType.
func (k Key) GetStringsValue(name string) (val []string, valtype uint32, err error) {
	data, typ, err := k.value(name)
	if err != nil {
		return nil, typ, err
	}
	if typ != MULTI_SZ {
		return nil, typ, ErrUnexpectedType
	}
	if len(data) == 0 {
		return nil, typ, nil
	}
	p := utf16Units(data)
	if len(p) == 0 {
		return nil, typ, nil
	}
	if p[len(p)-1] == 0 {
		p = p[:len(p)-1] // the list's terminating zero
	}
	val = make([]string, 0, 5)
	from := 0
	for i, c := range p {
		if c == 0 {
			val = append(val, string(utf16.Decode(p[from:i])))
			from = i + 1
		}
	}
	return val, typ, nil
}

// GetIntegerValue retrieves the integer value for the specified value
// name associated with an open key k. It also returns the value's type. If
// value does not exist, GetIntegerValue returns ErrNotExist. If value is
// not DWORD or QWORD, it will return the correct value type and
// ErrUnexpectedType.
func (k Key) GetIntegerValue(name string) (val uint64, valtype uint32, err error) {
	data, typ, err := k.value(name)
	if err != nil {
		return 0, typ, err
	}
	switch typ {
	case DWORD:
		if len(data) != 4 {
			return 0, typ, errors.New("DWORD value is not 4 bytes long")
		}
		return uint64(binary.LittleEndian.Uint32(data)), DWORD, nil
	case QWORD:
		if len(data) != 8 {
			return 0, typ, errors.New("QWORD value is not 8 bytes long")
		}
		return binary.LittleEndian.Uint64(data), QWORD, nil
	}
	return 0, typ, ErrUnexpectedType
}

// GetBinaryValue retrieves the binary value for the specified value name
// associated with an open key k. It also returns the value's type. If
// value does not exist, GetBinaryValue returns ErrNotExist. If value is not
// BINARY, it will return the correct value type and ErrUnexpectedType.
func (k Key) GetBinaryValue(name string) (val []byte, valtype uint32, err error) {
	data, typ, err := k.value(name)
	if err != nil {
		return nil, typ, err
	}
	if typ != BINARY {
		return nil, typ, ErrUnexpectedType
	}
	return data, typ, nil
}

// setValue writes a value given in Windows' form.
func (k Key) setValue(name string, valtype uint32, data []byte) error {
	if err := keys.check(k, SET_VALUE); err != nil {
		return err
	}
	if strings.IndexByte(name, 0) >= 0 {
		return syscall.EINVAL
	}
	path, err := subPath(k, "")
	if err != nil {
		return err
	}
	return call(path, func(c conn, p string) error { return c.setValue(p, name, valtype, storeData(valtype, data)) })
}

// SetDWordValue sets the data and type of a name value under key k to
// value and DWORD.
func (k Key) SetDWordValue(name string, value uint32) error {
	return k.setValue(name, DWORD, binary.LittleEndian.AppendUint32(nil, value))
}

// SetQWordValue sets the data and type of a name value under key k to
// value and QWORD.
func (k Key) SetQWordValue(name string, value uint64) error {
	return k.setValue(name, QWORD, binary.LittleEndian.AppendUint64(nil, value))
}

func (k Key) setStringValue(name string, valtype uint32, value string) error {
	if strings.IndexByte(value, 0) >= 0 {
		return syscall.EINVAL
	}
	return k.setValue(name, valtype, utf16Bytes(value+"\x00"))
}

// SetStringValue sets the data and type of a name value under key k to
// value and SZ. The value must not contain a zero byte.
func (k Key) SetStringValue(name, value string) error {
	return k.setStringValue(name, SZ, value)
}

// SetExpandStringValue sets the data and type of a name value under key k
// to value and EXPAND_SZ. The value must not contain a zero byte.
func (k Key) SetExpandStringValue(name, value string) error {
	return k.setStringValue(name, EXPAND_SZ, value)
}

// SetStringsValue sets the data and type of a name value under key k to
// value and MULTI_SZ. The value strings must not contain a zero byte.
func (k Key) SetStringsValue(name string, value []string) error {
	ss := ""
	for _, s := range value {
		if strings.IndexByte(s, 0) >= 0 {
			return errors.New("string cannot have 0 inside")
		}
		ss += s + "\x00"
	}
	return k.setValue(name, MULTI_SZ, utf16Bytes(ss+"\x00"))
}

// SetBinaryValue sets the data and type of a name value under key k to
// value and BINARY.
func (k Key) SetBinaryValue(name string, value []byte) error {
	return k.setValue(name, BINARY, value)
}

// DeleteValue removes a named value from the key k.
func (k Key) DeleteValue(name string) error {
	if err := keys.check(k, SET_VALUE); err != nil {
		return err
	}
	path, err := subPath(k, "")
	if err != nil {
		return err
	}
	return call(path, func(c conn, p string) error { return c.deleteValue(p, name) })
}

// ReadValueNames returns the value names of key k. The parameter n
// controls the number of returned names, analogous to the way
// os.File.Readdirnames works.
func (k Key) ReadValueNames(n int) ([]string, error) {
	if err := keys.check(k, QUERY_VALUE); err != nil {
		return nil, err
	}
	key, err := queryKey(k)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(key.Values))
	for _, v := range key.Values {
		names = append(names, v.Name)
	}
	return firstN(names, n)
}
