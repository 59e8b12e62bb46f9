package regdata

import "strings"

// Hives are the registry's roots, with the short names reg.exe accepts.
var Hives = []struct{ Long, Short string }{
	{"HKEY_LOCAL_MACHINE", "HKLM"},
	{"HKEY_CURRENT_USER", "HKCU"},
	{"HKEY_CLASSES_ROOT", "HKCR"},
	{"HKEY_USERS", "HKU"},
	{"HKEY_CURRENT_CONFIG", "HKCC"},
}

// SplitPath splits a key path such as HKLM\SYSTEM\CurrentControlSet into its
// hive's short name and the names below it. It reports false for an unknown
// hive.
func SplitPath(path string) (hive string, names []string, ok bool) {
	parts := strings.Split(strings.Trim(path, `\`), `\`)
	for _, h := range Hives {
		if strings.EqualFold(parts[0], h.Short) || strings.EqualFold(parts[0], h.Long) {
			hive = h.Short
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
	for _, h := range Hives {
		if h.Short == short {
			return h.Long
		}
	}
	return short
}
