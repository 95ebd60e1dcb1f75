package replication

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// A proxy is the network between a replica and its primary: it listens
// on a free loopback port and forwards every connection to the primary,
// so that a test can break the link without touching either server. The
// replica's replicaof names the proxy's port; the primary sees the
// proxy's connection (and the listening port the replica announces).
//
// cut() breaks the link as a dead connection does: the open connections
// are closed on both sides, and new ones are closed as soon as they are
// accepted, so the replica sees the drop at once and keeps retrying.
// stall() breaks it as a partition does: the connections stay open but
// no byte crosses, so each side only notices by what stops arriving
// (the primary by missing REPLCONF ACKs, the replica after repl-timeout).
// heal() forwards again; after a stall the bytes held back are
// delivered, in order.
type proxy struct {
	t      testing.TB
	target string
	ln     net.Listener
	addr   string
	port   int

	mu    sync.Mutex
	cutOn bool
	// open is closed while bytes may cross; stall replaces it with an
	// open channel, heal closes it.
	open  chan struct{}
	links map[*proxyLink]struct{}
	// accepted counts the connections forwarded, refused those closed
	// at once because the link was cut.
	accepted, refused int
	closed            bool
	wg                sync.WaitGroup
}

// A proxyLink is one forwarded connection: the accepted side and the
// one to the target.
type proxyLink struct {
	in, out net.Conn
	done    chan struct{} // closed when the link is torn down
	once    sync.Once
}

func (l *proxyLink) close() {
	l.once.Do(func() {
		close(l.done)
		l.in.Close()
		l.out.Close()
	})
}

// newProxy starts a proxy to target (host:port), closed when the test
// ends.
func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	close(open)
	p := &proxy{t: t, target: target, ln: ln, addr: ln.Addr().String(),
		port: ln.Addr().(*net.TCPAddr).Port, open: open, links: map[*proxyLink]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// portString is the proxy's port, for REPLICAOF.
func (p *proxy) portString() string { return strconv.Itoa(p.port) }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		if p.closed || p.cutOn {
			p.refused++
			p.mu.Unlock()
			in.Close()
			continue
		}
		p.mu.Unlock()
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		l := &proxyLink{in: in, out: out, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed || p.cutOn {
			p.refused++
			p.mu.Unlock()
			l.close()
			continue
		}
		p.accepted++
		p.links[l] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.forward(l, l.out, l.in)
		go p.forward(l, l.in, l.out)
	}
}

// forward copies src to dst until either side closes, then tears the
// whole link down (as a dead TCP connection does to both ends).
func (p *proxy) forward(l *proxyLink, dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(&gatedWriter{p: p, l: l, w: dst}, src)
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// gatedWriter holds each write until the proxy is not stalled.
type gatedWriter struct {
	p *proxy
	l *proxyLink
	w io.Writer
}

var errLinkClosed = errors.New("proxy: link closed")

func (g *gatedWriter) Write(b []byte) (int, error) {
	g.p.mu.Lock()
	open := g.p.open
	g.p.mu.Unlock()
	select {
	case <-open:
	case <-g.l.done:
		return 0, errLinkClosed
	}
	return g.w.Write(b)
}

// cut closes every forwarded connection and closes new ones at once
// until heal.
func (p *proxy) cut() {
	p.mu.Lock()
	p.cutOn = true
	links := make([]*proxyLink, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

// stall stops every byte from crossing, in both directions, without
// closing anything, until heal.
func (p *proxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already stalled
	}
}

// heal ends a cut or a stall: new connections are forwarded again, and
// bytes held back by a stall are delivered.
func (p *proxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutOn = false
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// counts returns how many connections were forwarded and how many were
// closed at once during cuts.
func (p *proxy) counts() (accepted, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted, p.refused
}

// close stops listening, tears every link down and waits for the
// forwarding goroutines.
func (p *proxy) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.cut()
	p.heal() // release writers held by a stall
	p.wg.Wait()
}
