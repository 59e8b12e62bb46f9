package windows

import (
	"unicode/utf16"
	"unsafe"
)

// layout places structures and their strings in a caller's buffer as the
// SCM's calls do: the structures first, the strings after them. Run once
// with no buffer it only counts, so that a call can say how many bytes it
// needs (bytesNeeded) before it fills anything.
type layout struct {
	buf  []byte // nil while counting
	used int
}

// reserve takes n bytes aligned for a pointer, for a structure.
func (l *layout) reserve(n int) unsafe.Pointer {
	l.used = (l.used + 7) &^ 7
	at := l.used
	l.used += n
	if l.buf == nil {
		return nil
	}
	return unsafe.Pointer(&l.buf[at])
}

// str places a zero-terminated UTF-16 string and returns where it is.
func (l *layout) str(s string) *uint16 { return l.units(utf16.Encode([]rune(s + "\x00"))) }

// multi places a list of strings, each zero-terminated, and one more zero.
func (l *layout) multi(list []string) *uint16 {
	var u []uint16
	for _, s := range list {
		u = append(u, utf16.Encode([]rune(s))...)
		u = append(u, 0)
	}
	return l.units(append(u, 0))
}

func (l *layout) units(u []uint16) *uint16 {
	l.used = (l.used + 1) &^ 1
	at := l.used
	l.used += 2 * len(u)
	if l.buf == nil {
		return nil
	}
	dst := unsafe.Slice((*uint16)(unsafe.Pointer(&l.buf[at])), len(u))
	copy(dst, u)
	return &dst[0]
}

// fill lays out with place into the caller's buffer at p, of size bytes,
// after counting: ERROR_INSUFFICIENT_BUFFER, with bytesNeeded set, when
// it is too small.
func fill(p unsafe.Pointer, size uint32, bytesNeeded *uint32, place func(*layout)) error {
	var count layout
	place(&count)
	if bytesNeeded != nil {
		*bytesNeeded = uint32(count.used)
	}
	if p == nil || int(size) < count.used {
		return ERROR_INSUFFICIENT_BUFFER
	}
	place(&layout{buf: unsafe.Slice((*byte)(p), size)})
	return nil
}

// multiString reads a list of zero-terminated strings ended by one more
// zero.
func multiString(p *uint16) []string {
	var out []string
	for p != nil && *p != 0 {
		s := UTF16PtrToString(p)
		out = append(out, s)
		p = (*uint16)(unsafe.Add(unsafe.Pointer(p), 2*(len(utf16.Encode([]rune(s)))+1)))
	}
	return out
}
