package eventlog_test

import (
	"testing"

	"github.com/openscm/scm/internal/scmtest"
)

// golang.org/x/sys/windows/svc/eventlog's own test passes against this
// package.
func TestUpstreamEventlogTests(t *testing.T) {
	scmtest.Start(t)
	scmtest.Upstream(t, "windows/svc/eventlog", []string{"upstream_test.go"}, nil, []string{"TestLog"})
}
