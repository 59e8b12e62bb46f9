package mgr_test

import (
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// golang.org/x/sys/windows/svc/mgr's own tests pass against this package,
// but for the one that opens Windows' own LanmanServer. The tests that
// change services run only on Go's builders (GO_BUILDER_NAME): here, on a
// scmd of their own.
func TestUpstreamMgrTests(t *testing.T) {
	scmtest.Start(t)
	scmtest.Upstream(t, "windows/svc/mgr", []string{"mgr_test.go", "upstream_test.go"},
		map[string]bool{"TestOpenLanManServer": true},
		[]string{"TestMyService", "TestListDependentServices"}, "GO_BUILDER_NAME=scm")
}
