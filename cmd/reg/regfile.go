package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"

	pb "github.com/openscm/scm/internal/api/scmmsg"
	"github.com/openscm/scm/internal/client"
	"github.com/openscm/scm/internal/regdata"
	"github.com/openscm/scm/internal/winerror"
)

// The .reg format of regedit and reg export: "Windows Registry Editor
// Version 5.00", UTF-16LE with a BOM and CRLF lines; strings other than
// REG_SZ written as hex(N): of their UTF-16 bytes.
const regHeader = "Windows Registry Editor Version 5.00"

func (s *session) export(args []string) int {
	f, ok := parseFlags(args)
	if !ok || len(f.pos) != 2 {
		return s.syntax("EXPORT")
	}
	key, err := client.Call(s.conn.RegQueryKey, &pb.RegKeyRequest{Path: f.pos[0], Recursive: true})
	if err != nil {
		return s.fail(err)
	}
	if _, err := os.Stat(f.pos[1]); err == nil && !f.set["y"] {
		if !s.confirm(fmt.Sprintf("File %s already exists. Overwrite", f.pos[1])) {
			fmt.Fprint(s.out, "The operation was canceled by the user.\n")
			return 0
		}
	}
	var text strings.Builder
	text.WriteString(regHeader + "\r\n")
	s.walk(key, func(k *pb.RegKey) {
		fmt.Fprintf(&text, "\r\n[%s]\r\n", longPath(k.Path))
		for _, v := range k.Values {
			text.WriteString(regLine(v) + "\r\n")
		}
	})
	text.WriteString("\r\n")
	u := utf16.Encode([]rune(text.String()))
	out := []byte{0xff, 0xfe}
	for _, c := range u {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	if err := os.WriteFile(f.pos[1], out, 0o644); err != nil {
		fmt.Fprintf(s.errOut, "ERROR: %s\n", winerror.Message(err))
		return 1
	}
	return s.success()
}

func regLine(v *pb.RegValue) string {
	name := `@`
	if v.Name != "" {
		name = `"` + escape(v.Name) + `"`
	}
	switch regdata.ValueType(v.Type) {
	case regdata.SZ:
		return name + `="` + escape(string(v.Data)) + `"`
	case regdata.DWORD:
		return fmt.Sprintf("%s=dword:%08x", name, le32(v.Data))
	case regdata.BINARY:
		return wrapHex(name+"=hex:", v.Data)
	}
	data := v.Data
	switch regdata.ValueType(v.Type) {
	case regdata.EXPAND_SZ:
		data = utf16z(string(v.Data))
	case regdata.MULTI_SZ:
		data = nil
		for _, s := range (regdata.Value{Data: v.Data}).Strings() {
			data = append(data, utf16z(s)...)
		}
		data = append(data, 0, 0)
	}
	return wrapHex(fmt.Sprintf("%s=hex(%x):", name, v.Type), data)
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

func utf16z(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

// wrapHex writes bytes as comma-separated hex, continuing long lines with a
// backslash as regedit does at 80 columns.
func wrapHex(prefix string, data []byte) string {
	var b strings.Builder
	b.WriteString(prefix)
	col := len(prefix)
	for i, c := range data {
		piece := fmt.Sprintf("%02x", c)
		if i < len(data)-1 {
			piece += ","
		}
		if col+len(piece) > 78 && i < len(data)-1 {
			b.WriteString("\\\r\n  ")
			col = 2
		}
		b.WriteString(piece)
		col += len(piece)
	}
	return b.String()
}

func (s *session) importFile(args []string) int {
	f, ok := parseFlags(args)
	if !ok || len(f.pos) != 1 {
		return s.syntax("IMPORT")
	}
	raw, err := readLimited(f.pos[0], maxImportSize)
	if errors.Is(err, errTooLarge) {
		fmt.Fprintf(s.errOut, "ERROR: The file is larger than %d MB, the most reg import reads.\n", maxImportSize>>20)
		return 1
	}
	if err != nil {
		fmt.Fprint(s.errOut, "ERROR: Error opening the file. There may be a disk or file system error.\n")
		return 1
	}
	lines, ok := regLines(decodeText(raw))
	if !ok {
		fmt.Fprint(s.errOut, "ERROR: The specified file is not a registry file. You can import only registry files.\n")
		return 1
	}
	key := ""
	for _, line := range lines {
		var err error
		switch {
		case strings.HasPrefix(line, "[-") && strings.HasSuffix(line, "]"):
			key = ""
			_, err = client.Call(s.conn.RegDeleteKey, &pb.RegKeyRequest{Path: line[2 : len(line)-1]})
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			key = line[1 : len(line)-1]
			_, err = client.Call(s.conn.RegCreateKey, &pb.RegKeyRequest{Path: key})
		case key != "":
			name, v, del, ok := parseRegValue(line)
			if !ok {
				continue
			}
			if del {
				_, err = client.Call(s.conn.RegDeleteValue, &pb.RegDeleteValueRequest{Path: key, Name: name})
			} else {
				_, err = client.Call(s.conn.RegSetValue, &pb.RegSetValueRequest{Path: key, Value: v})
			}
		}
		if err != nil {
			return s.fail(err)
		}
	}
	return s.success()
}

func decodeText(raw []byte) string {
	if bytes.HasPrefix(raw, []byte{0xff, 0xfe}) {
		u := make([]uint16, (len(raw)-2)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(raw[2+2*i:])
		}
		return string(utf16.Decode(u))
	}
	return string(bytes.TrimPrefix(raw, []byte{0xef, 0xbb, 0xbf}))
}

// regLines checks the header and joins continued lines.
func regLines(text string) ([]string, bool) {
	raw := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(raw) == 0 || (strings.TrimSpace(raw[0]) != regHeader && strings.TrimSpace(raw[0]) != "REGEDIT4") {
		return nil, false
	}
	var lines []string
	cur := ""
	for _, l := range raw[1:] {
		l = strings.TrimSpace(l)
		if strings.HasSuffix(l, `\`) && !strings.HasPrefix(l, "[") && !strings.HasSuffix(l, `\\"`) && strings.Contains(cur+l, "=hex") {
			cur += strings.TrimSuffix(l, `\`)
			continue
		}
		cur += l
		if cur != "" && !strings.HasPrefix(cur, ";") {
			lines = append(lines, cur)
		}
		cur = ""
	}
	return lines, true
}

// parseRegValue reads one name=data line.
func parseRegValue(line string) (name string, v *pb.RegValue, del, ok bool) {
	rest := line
	if strings.HasPrefix(rest, "@=") {
		rest = rest[2:]
	} else {
		n, after, ok := readQuoted(rest)
		if !ok || !strings.HasPrefix(after, "=") {
			return "", nil, false, false
		}
		name, rest = n, after[1:]
	}
	if rest == "-" {
		return name, nil, true, true
	}
	v = &pb.RegValue{Name: name}
	switch {
	case strings.HasPrefix(rest, `"`):
		s, _, ok := readQuoted(rest)
		if !ok {
			return "", nil, false, false
		}
		v.Type, v.Data = uint32(regdata.SZ), []byte(s)
	case strings.HasPrefix(rest, "dword:"):
		n, err := strconv.ParseUint(rest[6:], 16, 32)
		if err != nil {
			return "", nil, false, false
		}
		v.Type, v.Data = uint32(regdata.DWORD), binary.LittleEndian.AppendUint32(nil, uint32(n))
	case strings.HasPrefix(rest, "hex"):
		t := regdata.BINARY
		colon := strings.IndexByte(rest, ':')
		if colon < 0 {
			return "", nil, false, false
		}
		if p := rest[3:colon]; p != "" {
			n, err := strconv.ParseUint(strings.Trim(p, "()"), 16, 32)
			if err != nil {
				return "", nil, false, false
			}
			t = regdata.ValueType(n)
		}
		var data []byte
		for _, h := range strings.Split(rest[colon+1:], ",") {
			if h = strings.TrimSpace(h); h == "" {
				continue
			}
			c, err := strconv.ParseUint(h, 16, 8)
			if err != nil {
				return "", nil, false, false
			}
			data = append(data, byte(c))
		}
		v.Type, v.Data = uint32(t), fromRegBytes(t, data)
	default:
		return "", nil, false, false
	}
	return name, v, false, true
}

// fromRegBytes turns a .reg file's UTF-16 string bytes into the store's
// UTF-8 form.
func fromRegBytes(t regdata.ValueType, data []byte) []byte {
	if t != regdata.EXPAND_SZ && t != regdata.MULTI_SZ && t != regdata.SZ {
		return data
	}
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
	var parts []string
	for _, p := range strings.Split(string(utf16.Decode(u)), "\x00") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if t == regdata.MULTI_SZ {
		return []byte(strings.Join(parts, "\x00"))
	}
	return []byte(strings.Join(parts, ""))
}

func readQuoted(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// maxImportSize bounds what reg import reads, so a file that never ends
// (/dev/zero, a FIFO kept open) cannot make it read forever. An export of
// the whole services database of 10,000 services is a few MB.
const maxImportSize = 64 << 20

var errTooLarge = errors.New("file too large")

// readLimited reads a whole file of at most max bytes.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, errTooLarge
	}
	return raw, nil
}
