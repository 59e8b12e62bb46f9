package cmdline

import (
	"errors"
	"os"
	"strings"
)

// Split splits a command line as Windows' CommandLineToArgvW
// does. The program name is read on its own rules: up to the closing quote
// if it starts with one, else up to the first space or tab, with no
// backslash processing. Then, in the arguments, 2n backslashes before a
// quote are n backslashes and the quote opens or closes a quoted part,
// 2n+1 backslashes before a quote are n backslashes and a literal quote,
// other backslashes are literal, and "" inside a quoted part is a literal
// quote.
func Split(s string) []string {
	var args []string
	i := 0
	// argv[0]
	var prog strings.Builder
	if i < len(s) && s[i] == '"' {
		i++
		for i < len(s) && s[i] != '"' {
			prog.WriteByte(s[i])
			i++
		}
		if i < len(s) {
			i++
		}
	} else {
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			prog.WriteByte(s[i])
			i++
		}
	}
	args = append(args, prog.String())
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return args
		}
		var arg strings.Builder
		quoted := false
		for i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')) {
			switch s[i] {
			case '\\':
				n := 0
				for i < len(s) && s[i] == '\\' {
					n++
					i++
				}
				if i < len(s) && s[i] == '"' {
					arg.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						arg.WriteByte('"')
						i++
					}
				} else {
					arg.WriteString(strings.Repeat(`\`, n))
				}
			case '"':
				i++
				if quoted && i < len(s) && s[i] == '"' {
					arg.WriteByte('"')
					i++
				} else {
					quoted = !quoted
				}
			default:
				arg.WriteByte(s[i])
				i++
			}
		}
		args = append(args, arg.String())
	}
}

// errNoImage means no reading of an ImagePath names a program.
var errNoImage = errors.New("no executable named by the image path")

// ResolveImage turns an ImagePath into argv. An unquoted path with spaces
// is ambiguous; Windows' CreateProcess tries each place the path could end,
// shortest first ("/opt/my" before "/opt/my app/svc"), and so does this:
// the first that names an executable file wins.
func ResolveImage(imagePath string) ([]string, error) {
	expanded := expandEnv(imagePath)
	argv := Split(expanded)
	if argv[0] == "" {
		return nil, errNoImage
	}
	if strings.HasPrefix(strings.TrimLeft(expanded, " \t"), `"`) || isExecutable(argv[0]) {
		return argv, nil
	}
	words := strings.Fields(expanded)
	for n := 2; n <= len(words); n++ {
		candidate := strings.Join(words[:n], " ")
		if isExecutable(candidate) {
			rest := strings.TrimPrefix(strings.TrimLeft(expanded, " \t"), candidate)
			return append([]string{candidate}, Split("x" + rest)[1:]...), nil
		}
	}
	return argv, nil // the launch reports what is wrong with argv[0]
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// expandEnv expands %NAME% as Windows expands a REG_EXPAND_SZ, from the
// SCM's own environment; unknown names stay as they are.
func expandEnv(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+1 : i+1+j]
		b.WriteString(s[:i])
		if v, ok := os.LookupEnv(name); ok && name != "" {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+2])
		}
		s = s[i+j+2:]
	}
}

// Quote quotes an argument so that Split (and Windows'
// CommandLineToArgvW) reads it back as it was: upstream's EscapeArg rules.
func Quote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}
