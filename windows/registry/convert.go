package registry

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// scmd keeps strings as UTF-8: a REG_SZ's text, a REG_MULTI_SZ's strings
// each followed by a zero (or, as scmd writes its own, separated by one).
// A program sees them as on Windows: UTF-16, each string ended by a zero,
// and a REG_MULTI_SZ's list by one more.

// windowsData is a value's data as Windows gives it.
func windowsData(typ uint32, data []byte) []byte {
	switch typ {
	case SZ, EXPAND_SZ:
		return utf16Bytes(string(data) + "\x00")
	case MULTI_SZ:
		var b strings.Builder
		for _, s := range storedStrings(data) {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(0)
		return utf16Bytes(b.String())
	}
	return data
}

// storedStrings are a stored REG_MULTI_SZ's strings.
func storedStrings(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	s := string(data)
	s = strings.TrimSuffix(s, "\x00")
	return strings.Split(s, "\x00")
}

// storeData is data given in Windows' form as scmd keeps it: a string up
// to its first zero; a list's strings, each that a zero ends, up to the
// list's end (an empty string where one more zero follows the list's
// last); anything else as it is.
func storeData(typ uint32, data []byte) []byte {
	switch typ {
	case SZ, EXPAND_SZ:
		return []byte(decodeString(data))
	case MULTI_SZ:
		p := utf16Units(data)
		if len(p) > 0 && p[len(p)-1] == 0 {
			p = p[:len(p)-1] // the list's terminating zero
		}
		var out bytes.Buffer
		from := 0
		for i, c := range p {
			if c == 0 {
				out.WriteString(string(utf16.Decode(p[from:i])))
				out.WriteByte(0)
				from = i + 1
			}
		}
		return out.Bytes()
	}
	return data
}

// decodeString is a UTF-16 string up to its first zero.
func decodeString(data []byte) string {
	p := utf16Units(data)
	for i, c := range p {
		if c == 0 {
			p = p[:i]
			break
		}
	}
	return string(utf16.Decode(p))
}

func utf16Units(data []byte) []uint16 {
	p := make([]uint16, len(data)/2)
	for i := range p {
		p[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
	return p
}

func utf16Bytes(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}
