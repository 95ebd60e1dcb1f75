package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// startTLS configures TLS if the settings ask for it, starts the TLS
// event loops and listens on tls-port. It runs at Start. The loops use
// io-poller's poller: on epoll, one that runs crypto/tls's record layer
// in the loop (poller_tls.go); on the portable poller, the portable
// path, whose reader and writer goroutines block in crypto/tls.
func (s *Server) startTLS() error {
	for range s.cfg.IoThreads {
		l, err := newLoop(s)
		if err != nil {
			return err
		}
		l.p = tlsLoopPoller(l.p)
		s.tls.loops = append(s.tls.loops, l)
		s.loops = append(s.loops, l)
	}
	if !tlsWanted(&s.cfg.Values) {
		return nil
	}
	if err := s.configureTLS(); err != nil {
		s.log.Warningf("Failed to configure TLS. Check logs for more info.")
		return loggedError{err}
	}
	ls, err := s.bind(s.cfg.Bind, int(s.cfg.TLSPort))
	if err != nil {
		s.log.Warningf("Warning: %v", err)
		s.log.Warningf("Failed listening on port %d (TLS), aborting.", s.cfg.TLSPort)
		return loggedError{err}
	}
	s.tls.listeners = ls
	return nil
}

// serveTLSListeners accepts on tls-port's sockets.
func (s *Server) serveTLSListeners(ls []net.Listener) {
	for _, l := range ls {
		s.wg.Add(1)
		go s.acceptLoopWith(l, s.handshake)
	}
}

// handshake completes a TLS connection's handshake, in a goroutine of
// its own and within tlsHandshakeTimeout, then hands it to a TLS loop.
// A client speaking plain text to the TLS port, or presenting a
// certificate the CAs do not vouch for, is closed after a log line
// (verbose, as Redis logs a failed accept).
func (s *Server) handshake(conn net.Conn) {
	setTCPOptions(conn, s.cfg.TCPKeepalive)
	go func() {
		// On the epoll loops, the handshake runs over the transport
		// the loop will read and write without blocking (poller_tls.go).
		if w, ok := s.tls.loops[0].p.(interface{ wrapConn(net.Conn) net.Conn }); ok {
			conn = w.wrapConn(conn)
		}
		tc := tls.Server(conn, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			if c := s.tls.server.Load(); c != nil {
				return c, nil
			}
			return nil, errors.New("TLS is not configured")
		}})
		ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.log.Verbosef("Error accepting a client connection: %v (addr=%s laddr=%s)", err, conn.RemoteAddr(), conn.LocalAddr())
			conn.Close()
			return
		}
		s.attach(tc, s.tls.loops)
	}()
}

// rebindTLS applies a new tls-port (or bind) at run time, as rebind does
// for port.
func (s *Server) rebindTLS() error {
	for _, l := range s.tls.listeners {
		l.Close()
	}
	s.tls.listeners = nil
	if s.cfg.TLSPort == 0 {
		return nil
	}
	ls, err := s.bind(s.cfg.Bind, int(s.cfg.TLSPort))
	if err != nil {
		s.log.Warningf("%v", err)
		return err
	}
	s.tls.listeners = ls
	s.serveTLSListeners(ls)
	return nil
}

// registerTLSAppliers makes CONFIG SET of the tls-* settings take
// effect, with Redis's messages when they cannot.
func (s *Server) registerTLSAppliers() {
	s.cfg.OnApply("tls-cert-file", func() error { // the "tls" group
		if tlsWanted(&s.cfg.Values) && s.configureTLS() != nil {
			return errors.New("Unable to update TLS configuration. Check server logs.")
		}
		return nil
	})
	s.cfg.OnApply("tls-port", func() error {
		if s.cfg.TLSPort != 0 && s.tls.server.Load() == nil && s.configureTLS() != nil {
			return errors.New("Unable to update TLS configuration. Check server logs.")
		}
		if s.rebindTLS() != nil {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
}

// dialTLS wraps a connection we opened in TLS when the setting for its
// kind (tls-replication, tls-cluster) asks for it.
func (s *Server) dialTLS(conn net.Conn, want bool, timeout time.Duration) (net.Conn, error) {
	if !want {
		return conn, nil
	}
	cfg := s.tls.client.Load()
	if cfg == nil {
		conn.Close()
		return nil, errors.New("TLS is not configured")
	}
	tc := tls.Client(conn, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// tlsReplication reads tls-replication for the replication link's
// goroutine.
func (s *Server) tlsReplication() bool {
	s.eng.Lock()
	defer s.eng.Unlock()
	return s.cfg.TLSReplication
}
