// Package redoubt embeds a Redoubt server in a Go program: Start runs a
// real server, speaking the Redis protocol on a loopback port, inside the
// calling process. Tests that used an in-memory fake can talk to the real
// thing with any Redis client.
//
//	srv, err := redoubt.Start(ctx, redoubt.Config{})
//	...
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//	defer srv.Close()
package redoubt

import (
	"context"
	"io"
	"net"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/server"
)

// Config configures an embedded server.
type Config struct {
	// Settings are redis.conf directives, one per entry, such as
	// "databases 4" or "enable-debug-command yes".
	Settings []string
	// Addr is the address to listen on; the default, "127.0.0.1:0", picks
	// a free port.
	Addr string
	// Log receives the server's log; nil discards it.
	Log io.Writer
}

// Server is a running embedded server.
type Server struct {
	srv  *server.Server
	addr string
}

// Start starts a server. It stops when ctx is cancelled or Close is
// called.
func Start(ctx context.Context, c Config) (*Server, error) {
	cfg := config.New()
	// No save points unless the settings give some: tests and programs
	// that embed a server do not expect files on their way out.
	settings := append([]string{`save ""`}, c.Settings...)
	if err := cfg.Load(strings.Join(settings, "\n")); err != nil {
		return nil, err
	}
	addr := c.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// The server reports the port it really listens on (INFO, CONFIG GET).
	cfg.Port = int64(l.Addr().(*net.TCPAddr).Port)
	logw := c.Log
	if logw == nil {
		logw = io.Discard
	}
	srv, err := server.New(cfg, server.Options{LogOutput: logw, Listener: l})
	if err != nil {
		l.Close()
		return nil, err
	}
	if err := srv.Start(); err != nil {
		l.Close()
		return nil, err
	}
	s := &Server{srv: srv, addr: l.Addr().String()}
	go func() {
		select {
		case <-ctx.Done():
			srv.Close()
		case <-srv.Done():
		}
	}()
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Close stops the server and disconnects its clients.
func (s *Server) Close() error { return s.srv.Close() }

// FastForward moves the server's clock forward by d, as if that much
// time had passed for the dataset: keys whose TTL runs out in that time
// expire, TTL and PTTL answer less, and TIME moves on. Tests of code
// that uses TTLs call it instead of sleeping. The server's own timers
// (client timeouts, blocking commands' timeouts) keep the wall clock.
func (s *Server) FastForward(d time.Duration) { s.srv.SetTimeSkew(s.srv.TimeSkew() + d) }

// SetTime sets the server's clock to t, as FastForward does (going
// back is allowed), and the clock then runs on from there.
func (s *Server) SetTime(t time.Time) { s.srv.SetTimeSkew(time.Until(t)) }

// Done is closed when the server has stopped (Close, a cancelled context,
// or a SHUTDOWN command).
func (s *Server) Done() <-chan struct{} { return s.srv.Done() }
