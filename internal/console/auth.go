package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Who may use the console: the browser that opened the URL scm-console
// printed, once. The secret in it becomes a session cookie (HttpOnly,
// SameSite=Strict) and is spent, as a notebook server's token is; nothing
// else is served without the cookie. Writes (any method but GET and HEAD)
// must carry the session's CSRF token in a header and come from the
// console's own origin, and every request must name the console's own
// host, so that a page of another site, or a DNS name rebound to
// loopback, gets nowhere.

const (
	cookieName = "scm_console"
	csrfHeader = "X-Csrf-Token"
)

type auth struct {
	token string // the login secret, "" once spent

	mu       sync.Mutex
	sessions map[string]string // session id → its CSRF token
	hosts    map[string]bool   // the Host headers the console answers to
}

func newAuth() *auth {
	return &auth{token: secret(), sessions: map[string]string{}, hosts: map[string]bool{}}
}

func secret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Serving tells the console the address it is reached at, for the Host
// check; on loopback, localhost too.
func (c *Console) Serving(addr string) {
	a := c.auth
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hosts[addr] = true
	if h, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			a.hosts[net.JoinHostPort("localhost", port)] = true
			a.hosts[net.JoinHostPort("127.0.0.1", port)] = true
		}
	}
}

// guard admits a request that names the console's host and carries the
// session, and a write that also proves it comes from the console's page.
func (a *auth) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		hostOK := a.hosts[r.Host]
		a.mu.Unlock()
		if !hostOK {
			http.Error(w, "unknown host", http.StatusMisdirectedRequest)
			return
		}
		if r.URL.Path == "/login" {
			a.login(w, r)
			return
		}
		csrf, ok := a.session(r)
		if !ok {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				http.Error(w, "not logged in", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(loginPage))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(csrf)) != 1 {
				http.Error(w, "cross-site request refused", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		return false
	}
	return true
}

// login spends the secret: the first request that brings it gets the
// session.
func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	got := r.URL.Query().Get("token")
	a.mu.Lock()
	ok := a.token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) == 1
	var id string
	if ok {
		a.token = ""
		id = secret()
		a.sessions[id] = secret()
	}
	a.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(loginPage))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	// The secret leaves the address bar and the history.
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// session is the CSRF token of the request's session, if it has one.
func (a *auth) session(r *http.Request) (string, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	csrf, ok := a.sessions[ck.Value]
	return csrf, ok
}

const loginPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>scm console</title></head>
<body><main><h1>Not signed in</h1><p>Open the address scm-console printed when it started. It works once;
start scm-console again for a new one.</p></main></body></html>`
