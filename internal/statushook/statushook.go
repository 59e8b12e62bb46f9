// Package statushook lets windows.SetServiceStatus reach the service that
// windows/svc runs in this process: windows cannot import windows/svc,
// which imports it, so windows/svc puts its entry point here.
package statushook

// SetServiceStatus reports status, a *windows.SERVICE_STATUS, for the
// service whose status handle is handle; nil until windows/svc sets it.
var SetServiceStatus func(handle uintptr, status any) error
