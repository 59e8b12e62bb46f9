package server

import (
	"net/http"
	"strconv"

	"github.com/openscm/scm/internal/metrics"
	"github.com/openscm/scm/windows"
)

// metricsHandler serves GET /metrics (internal/metrics) on the API's
// listeners, the TLS one for other machines among them, to callers the SCM
// would let enumerate its services: granted SC_MANAGER_ENUMERATE_SERVICE
// on its descriptor. Anyone else gets 403 with Win32 error 5. One scrape
// is formatted at a time.
func (s *Server) metricsHandler() http.Handler {
	scrape := metrics.Handler(s.m.MetricsSnapshot)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.m.MetricsAccess(callerOf(r.Context()).Token); err != nil {
			w.Header().Set(Win32ErrorHeader, strconv.Itoa(int(windows.ERROR_ACCESS_DENIED)))
			http.Error(w, "access denied: reading the metrics takes SC_MANAGER_ENUMERATE_SERVICE on the SCM", http.StatusForbidden)
			return
		}
		scrape.ServeHTTP(w, r)
	})
}
