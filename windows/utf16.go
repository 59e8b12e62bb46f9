package windows

import (
	"strings"
	"syscall"
	"unicode/utf16"
	"unsafe"
)

// The UTF-16 helpers of x/sys (and of syscall on Windows): Win32 calls
// take strings as pointers to zero-terminated UTF-16.

// UTF16FromString returns the UTF-16 encoding of the UTF-8 string s, with
// a terminating NUL added. If s contains a NUL byte at any location, it
// returns (nil, syscall.EINVAL).
func UTF16FromString(s string) ([]uint16, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, syscall.EINVAL
	}
	return utf16.Encode([]rune(s + "\x00")), nil
}

// UTF16ToString returns the UTF-8 encoding of the UTF-16 sequence s, with
// a terminating NUL and any bytes after the NUL removed.
func UTF16ToString(s []uint16) string {
	for i, v := range s {
		if v == 0 {
			s = s[:i]
			break
		}
	}
	return string(utf16.Decode(s))
}

// StringToUTF16 returns the UTF-16 encoding of the UTF-8 string s, with a
// terminating NUL added. If s contains a NUL byte this function panics
// instead of returning an error.
//
// Deprecated: Use UTF16FromString instead.
func StringToUTF16(s string) []uint16 {
	a, err := UTF16FromString(s)
	if err != nil {
		panic("windows: string with NUL passed to StringToUTF16")
	}
	return a
}

// UTF16PtrFromString returns pointer to the UTF-16 encoding of the UTF-8
// string s, with a terminating NUL added. If s contains a NUL byte at any
// location, it returns (nil, syscall.EINVAL).
func UTF16PtrFromString(s string) (*uint16, error) {
	a, err := UTF16FromString(s)
	if err != nil {
		return nil, err
	}
	return &a[0], nil
}

// StringToUTF16Ptr returns pointer to the UTF-16 encoding of the UTF-8
// string s, with a terminating NUL added. If s contains a NUL byte this
// function panics instead of returning an error.
//
// Deprecated: Use UTF16PtrFromString instead.
func StringToUTF16Ptr(s string) *uint16 { return &StringToUTF16(s)[0] }

// UTF16PtrToString takes a pointer to a UTF-16 sequence and returns the
// corresponding UTF-8 encoded string. If the pointer is nil, it returns
// the empty string. It assumes that the UTF-16 sequence is terminated at a
// zero word; if the zero word is not present, the program may crash.
func UTF16PtrToString(p *uint16) string {
	if p == nil || *p == 0 {
		return ""
	}
	n := 0
	for ptr := unsafe.Pointer(p); *(*uint16)(ptr) != 0; n++ {
		ptr = unsafe.Pointer(uintptr(ptr) + unsafe.Sizeof(*p))
	}
	return UTF16ToString(unsafe.Slice(p, n))
}

// EscapeArg rewrites command line argument s as prescribed in
// https://msdn.microsoft.com/en-us/library/ms880421. This function returns
// "" (2 double quotes) if s is empty. Alternatively, these transformations
// are done: each " is replaced by \"; a number of \ followed by " is
// doubled; the string is quoted if it holds a space or a tab.
func EscapeArg(s string) string {
	if len(s) == 0 {
		return `""`
	}
	if !strings.ContainsAny(s, "\"\\ \t") {
		return s
	}
	var b strings.Builder
	quote := strings.ContainsAny(s, " \t")
	if quote {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
			b.WriteByte(c)
		case '"':
			for ; slashes > 0; slashes-- {
				b.WriteByte('\\')
			}
			b.WriteString(`\"`)
		default:
			slashes = 0
			b.WriteByte(c)
		}
	}
	if quote {
		for ; slashes > 0; slashes-- {
			b.WriteByte('\\')
		}
		b.WriteByte('"')
	}
	return b.String()
}

// ComposeCommandLine escapes and joins the given arguments suitable for use
// as a Windows command line, in CreateProcess's lpCommandLine parameter.
// The program name, args[0], cannot escape a quotation mark: it is quoted
// when empty or when it holds a space or a control character (or starts
// with a quote), its quotation marks dropped. If args is empty,
// ComposeCommandLine returns an empty string.
func ComposeCommandLine(args []string) string {
	if len(args) == 0 {
		return ""
	}
	prog := args[0]
	quote := prog == ""
	for i := 0; i < len(prog); i++ {
		if c := prog[i]; c <= ' ' || (c == '"' && i == 0) {
			quote = true
			break
		}
	}
	var b strings.Builder
	if quote {
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(prog, `"`, ""))
		b.WriteByte('"')
	} else {
		b.WriteString(prog)
	}
	for _, a := range args[1:] {
		b.WriteByte(' ')
		b.WriteString(EscapeArg(a))
	}
	return b.String()
}

// utf16Arg is a string argument given as a pointer, "" for nil.
func utf16Arg(p *uint16) string { return UTF16PtrToString(p) }
