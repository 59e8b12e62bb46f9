package registry_test

import (
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// golang.org/x/sys/windows/registry's own tests pass against this package,
// but for those that read keys only Windows has (HKCR\TypeLib, the time
// zones, Perflib) or call kernel32.
func TestUpstreamRegistryTests(t *testing.T) {
	scmtest.Start(t)
	scmtest.Upstream(t, "windows/registry", []string{"registry_test.go", "upstream_test.go"},
		map[string]bool{
			"TestReadSubKeyNames": true, "TestGetMUIStringValue": true, "TestModTimeZeroValue": true,
			"DynamicTimezoneinformation": true, "GetDynamicTimeZoneInformation": true,
			"kernel32DLL": true, "procGetDynamicTimeZoneInformation": true,
		},
		[]string{"TestCreateOpenDeleteKey", "TestValues", "TestExpandString", "TestInvalidValues"})
}
