package eventlog

import (
	"unicode/utf16"

	"github.com/openscm/scm/windows"
)

// Windows' limits on one event, as ReportEvent documents them: an
// insertion string holds at most 31,839 characters (UTF-16 code units),
// the binary data at most 61,440 bytes (beyond it Windows' RPC layer
// answers RPC_S_INVALID_BOUND), and the whole record, as the event log
// lays it out, at most 0x3FFFF bytes. The count of strings is a WORD;
// scmd takes at most 256 of them.
const (
	MaxStringChars = 31839
	MaxStrings     = 256
	MaxDataSize    = 61440
	MaxRecordSize  = 0x3FFFF
)

// CheckReport applies Windows' limits to an event about to be reported:
// ERROR_INVALID_PARAMETER for a string too long, too many strings or a
// record too large, RPC_S_INVALID_BOUND for too much binary data. An event
// that passes is at most MaxRecordSize bytes in Windows' layout, which
// bounds what one report can take of a log.
func CheckReport(r *Record) error {
	if len(r.Strings) > MaxStrings {
		return windows.ERROR_INVALID_PARAMETER
	}
	if len(r.Data) > MaxDataSize {
		return windows.RPC_S_INVALID_BOUND
	}
	size := windowsRecordSize(r)
	for _, s := range r.Strings {
		if utf16Len(s) > MaxStringChars {
			return windows.ERROR_INVALID_PARAMETER
		}
	}
	if size > MaxRecordSize {
		return windows.ERROR_INVALID_PARAMETER
	}
	return nil
}

// windowsRecordSize is the size of the EVENTLOGRECORD Windows would write:
// the fixed header, the source and computer names and the strings in
// UTF-16 with their terminators, the SID, the data, padding to a DWORD and
// the trailing length.
func windowsRecordSize(r *Record) int {
	const header, trailer = 56, 4
	size := header + 2*(utf16Len(r.Source)+1) + 2*(utf16Len(r.Computer)+1) + sidSize(r.UserSID)
	for _, s := range r.Strings {
		size += 2 * (utf16Len(s) + 1)
	}
	size += len(r.Data)
	size += (4 - size%4) % 4
	return size + trailer
}

// sidSize is the binary length of a SID in its string form S-1-A-S1-...:
// 8 bytes and 4 for each subauthority.
func sidSize(sid string) int {
	if sid == "" {
		return 0
	}
	parts := 1
	for i := 0; i < len(sid); i++ {
		if sid[i] == '-' {
			parts++
		}
	}
	return 8 + 4*max(parts-3, 0)
}

// utf16Len counts a string's UTF-16 code units, Windows' characters.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
