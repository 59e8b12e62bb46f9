package server

import (
	"net"
	"sync"
	"time"
)

// Bounds of the remote listener, before a caller is known: the TLS
// handshake is all an unauthenticated peer can make scmd do, and these
// keep what it costs small and shared fairly between networks, so that no
// one network can keep another's callers out.
const (
	// HandshakeTimeout is how long a remote peer has to complete TLS.
	HandshakeTimeout = 10 * time.Second

	// HelloTimeout is how long it has to start: a client sends its hello
	// as soon as it connects.
	HelloTimeout = 2 * time.Second

	// MaxHandshakes is how many handshakes run at once. When all are
	// taken, a newcomer takes the oldest of the network holding the most,
	// if that network would still hold as many as the newcomer's then
	// does (so that two networks do not take turns evicting each other).
	MaxHandshakes = 64

	// MaxHandshakesPerNetwork is how many of them one network may hold:
	// an IPv4 /24, an IPv6 /48 (a site's allocation: a /64 each is cheap
	// to come by), or loopback (which every local user can connect from,
	// at any of its addresses).
	MaxHandshakesPerNetwork = 8

	// HandshakeRate and HandshakeBurst bound the handshakes one network may
	// start: each costs scmd a signature and a key exchange.
	HandshakeRate  = 50 // per second
	HandshakeBurst = 100
)

// handshakeGate admits connections to a handshake.
type handshakeGate struct {
	mu       sync.Mutex
	pending  int
	networks map[string][]*pendingHandshake // oldest first
	buckets  map[string]*bucket
	now      func() time.Time
}

type pendingHandshake struct {
	conn    net.Conn
	network string
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newHandshakeGate() *handshakeGate {
	return &handshakeGate{networks: map[string][]*pendingHandshake{}, buckets: map[string]*bucket{}, now: time.Now}
}

// admit reserves a handshake for c, or says no; a connection it evicts to
// make room is closed, which ends its handshake.
func (g *handshakeGate) admit(c net.Conn) (*pendingHandshake, bool) {
	p := &pendingHandshake{conn: c, network: networkOf(c.RemoteAddr())}
	var evicted net.Conn
	defer func() {
		if evicted != nil {
			evicted.Close()
		}
	}()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.take(p.network) {
		return nil, false
	}
	mine := len(g.networks[p.network])
	if mine >= MaxHandshakesPerNetwork {
		return nil, false
	}
	if g.pending >= MaxHandshakes {
		heaviest := ""
		for n, list := range g.networks {
			if heaviest == "" || len(list) > len(g.networks[heaviest]) {
				heaviest = n
			}
		}
		if len(g.networks[heaviest]) <= mine+1 {
			return nil, false
		}
		victim := g.networks[heaviest][0]
		g.remove(victim)
		evicted = victim.conn
	}
	g.networks[p.network] = append(g.networks[p.network], p)
	g.pending++
	return p, true
}

// done ends p's reservation, if it was not evicted.
func (g *handshakeGate) done(p *pendingHandshake) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.remove(p)
}

func (g *handshakeGate) remove(p *pendingHandshake) {
	list := g.networks[p.network]
	for i, q := range list {
		if q == p {
			list = append(list[:i:i], list[i+1:]...)
			g.pending--
			if len(list) == 0 {
				delete(g.networks, p.network)
			} else {
				g.networks[p.network] = list
			}
			return
		}
	}
}

// take spends one of network's handshake tokens. g.mu is held.
func (g *handshakeGate) take(network string) bool {
	now := g.now()
	b := g.buckets[network]
	if b == nil {
		if len(g.buckets) >= 4096 {
			g.forgetFull(now)
		}
		b = &bucket{tokens: HandshakeBurst, last: now}
		g.buckets[network] = b
	}
	b.tokens = min(HandshakeBurst, b.tokens+now.Sub(b.last).Seconds()*HandshakeRate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forgetFull drops the buckets that have refilled: a network that has
// been quiet starts afresh anyway.
func (g *handshakeGate) forgetFull(now time.Time) {
	for n, b := range g.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*HandshakeRate >= HandshakeBurst {
			delete(g.buckets, n)
		}
	}
}

// networkOf is the network a peer counts in: its IPv4 /24, its IPv6 /48,
// or loopback.
func networkOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.To4() != nil:
		return ip.To4().Mask(net.CIDRMask(24, 32)).String() + "/24"
	default:
		return ip.Mask(net.CIDRMask(48, 128)).String() + "/48"
	}
}
