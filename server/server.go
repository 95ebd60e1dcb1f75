// Package server is Redoubt's networking and execution layer: it accepts
// connections, parses requests, runs commands against the keyspace, and
// writes replies (Redis's server.c and networking.c).
//
// Concurrency model. Connections are served by event loops, one per core
// (netloop.go), so socket I/O and parsing use every core. Command
// execution is serialised by one engine lock: a loop takes it once per
// iteration for every command it has read, runs them, and releases it
// before writing each client's replies with a single write. Holding one
// lock gives Redis's semantics for free: a command, a MULTI/EXEC block or
// a script is atomic, and the order in which commands take effect is one
// total order, the order the AOF and replicas will see. See
// docs/ARCHITECTURE.md for how this carries to several shards.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/engine"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/slowlog"
)

// Version is the Redis version Redoubt is compatible with, reported as
// redis_version so that clients enable the features they expect.
const Version = "7.0.15"

// RedoubtVersion is Redoubt's own version.
const RedoubtVersion = "0.1.0"

// Server is a running Redoubt instance.
type Server struct {
	// eng runs the commands; its lock guards the keyspace, the client
	// table and every piece of shared state below unless noted otherwise.
	eng *engine.Engine
	// scripts is EVAL's and FUNCTION's state.
	scripts scripting
	// metrics is the Prometheus endpoint.
	metrics metricsServer
	// latency is the latency monitor's series, by event.
	latency map[string]*latencySeries
	// latencyQ holds samples measured outside the engine lock.
	latencyQ latencyQueue
	// running is the loop running commands under the engine lock, nil
	// when none is (the cron, loading at start-up).
	running *loop
	cfg     *config.Config
	ks      *keyspace.Keyspace
	cmds    *command.Table
	log     *Logger

	listeners []net.Listener
	// unixListener is the unixsocket listener, if any; port and bind
	// changes leave it alone.
	unixListener net.Listener
	loops        []*loop // every event loop
	netLoops     []*loop // the loops of port's and unixsocket's clients
	tls          tlsState
	acl          aclState
	authGuard    authGuard
	clients      map[int64]*client
	nextID       atomic.Int64
	monitors     []*client
	ps           pubsub
	// Clients blocked on keys, in arrival order.
	blockedOn      map[blockKey][]*client
	blockedClients int
	// notifyMask is notify-keyspace-events as event classes.
	notifyMask command.Event
	obuf       obufLimits
	watched    map[watchKey][]*watch
	repl       replState
	aof        aofPersist
	// aofW is aof.w for the client loops, which read it without the
	// engine lock.
	aofW    atomic.Pointer[aof.Writer]
	loading loadingState
	// ident is the data directory's identity (package datadir);
	// identFinding, when set, is why it refuses writes to a directory
	// CONFIG SET dir moved to.
	ident        *datadir.Identity
	identFinding *datadir.Finding
	pause        pauseState
	shutdownWait shutdownWaitState
	evictState   evictState
	guard        guardState
	bigKeys      bigKeysState
	slowlog      *slowlog.Log
	stats        stats
	errStats     map[string]int64

	runID     string
	startTime time.Time
	lastSave  int64
	persist   persistStats
	// migrateConns are MIGRATE's connections, by target address.
	migrateConns map[string]*migrateConn
	pid          int
	// startupMemory is used_memory right after start; peakMemory its peak.
	startupMemory, peakMemory int64
	// startupHeap is the live Go heap right after start, counted in
	// used_memory as the server's own.
	startupHeap int64
	// cronPaused is DEBUG PAUSE-CRON's switch.
	cronPaused bool
	// tracking is client-side caching's state; trackingEffort grows while
	// the table stays over tracking-table-max-keys.
	tracking       tracking
	trackingEffort int
	keyRefs        []command.KeyRef // scratch for key extraction

	quit     chan struct{} // closed when shutdown starts
	done     chan struct{} // closed when shutdown is complete
	stopOnce sync.Once
	wg       sync.WaitGroup
	// exitCode is what the process should exit with after a shutdown.
	exitCode    int
	exitOnFatal bool
	goLimit     goLimit
	// clientsMem is the clients' buffers, kept up to date by each client
	// (client.syncMem).
	clientsMem atomic.Int64
	// cronTicks counts the cron's ticks; evictClientsIdle is the last
	// walk of the clients that found none to evict (clientevict.go).
	cronTicks        uint64
	rehashDB         int // the database the cron rehashes first
	evictClientsIdle evictIdle
	replyBuf         replyBufState
	compact          compactState
	// shutdownASAP is a signal asking for a shutdown that the cron has
	// not carried out yet (sigTerm, sigInt), or 0.
	shutdownASAP atomic.Int32
	// watchdogPeriod is watchdog-period in ms, 0 when off.
	watchdogPeriod atomic.Int64
	jobBinary      string
}

// Options are what an embedding program can give beyond the config.
type Options struct {
	// LogOutput receives the log when no logfile is configured; nil means
	// standard output.
	LogOutput io.Writer
	// Listener, if set, is used instead of binding bind/port: embedders
	// pass one on 127.0.0.1:0 to get a free port.
	Listener net.Listener
	// JobBinary is the server's own executable, started as the stand-in
	// process of each background job (see jobproc.go); empty for none.
	JobBinary string
	// ExitOnFatal makes an error the server cannot go on after (an AOF
	// write failing under appendfsync always) end the process, as Redis
	// exits; otherwise the server shuts down with exit code 1 and the
	// embedding program decides.
	ExitOnFatal bool
	// GoMemoryLimit lets the server set the Go runtime's soft memory
	// limit from maxmemory (gomemlimit.go). The limit is the process's,
	// so only a server that owns its process sets it: redoubt-server
	// does, an embedding program decides.
	GoMemoryLimit bool
}

// New creates a server from a loaded configuration; it does not listen
// yet.
func New(cfg *config.Config, opts Options) (*Server, error) {
	out := opts.LogOutput
	if out == nil {
		out = os.Stdout
	}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.Path(cfg.LogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("Can't open the log file: %v", err)
		}
		out = f
	}
	s := &Server{
		cfg:       cfg,
		ks:        keyspace.New(int(cfg.Databases)),
		log:       NewLogger(out, cfg.LogLevel),
		clients:   map[int64]*client{},
		replyBuf:  replyBufState{peakReset: replyBufPeakResetDefault},
		watched:   map[watchKey][]*watch{},
		ps:        newPubsub(),
		blockedOn: map[blockKey][]*client{},
		slowlog:   slowlog.New(),
		errStats:  map[string]int64{},
		startTime: time.Now(),
		pid:       os.Getpid(),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	s.runID = newRunID()
	s.lastSave = time.Now().Unix()
	s.persist.lastBgSecs = -1
	s.aof.lastRwSecs, s.aof.selDB = -1, -1
	s.eng = engine.New(s.ks, s)
	s.initRepl()
	s.initScripting()
	// A database's table does not grow its buckets past maxmemory while
	// its chains are short (Redis's dictExpandAllowed).
	s.ks.GrowAllowed = func(more int64) bool {
		m := s.cfg.MaxMemory
		return m <= 0 || s.evictUsed()+more <= m
	}
	s.cmds = s.newCommandTable()
	for i, r := range cfg.Renames {
		if err := s.cmds.Rename(r[0], r[1]); err != nil {
			return nil, cfg.RenameError(i, err)
		}
	}
	s.applyConfig()
	s.registerConfigAppliers()
	s.registerTLSAppliers()
	if err := s.initACL(); err != nil {
		return nil, err
	}
	s.registerMetricsAppliers()
	s.startupHeap = liveHeap()
	s.startupMemory = s.memory().used()
	if opts.Listener != nil {
		s.listeners = append(s.listeners, opts.Listener)
	}
	s.exitOnFatal = opts.ExitOnFatal
	s.goLimit.on = opts.GoMemoryLimit && os.Getenv("GOMEMLIMIT") == ""
	s.jobBinary = opts.JobBinary
	return s, nil
}

func newRunID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start binds the configured addresses (unless a listener was given),
// starts serving, and loads the data: as Redis does, clients can connect
// while a big dataset loads, and are answered -LOADING until it is done.
// It returns once the server is ready.
func (s *Server) Start() error {
	if len(s.listeners) == 0 {
		ls, err := s.bind(s.cfg.Bind, int(s.cfg.Port))
		if err != nil {
			// Redis's words: tools watch the log for the second line to
			// retry on another port.
			s.log.Warningf("Warning: %v", err)
			s.log.Warningf("Failed listening on port %d (tcp), aborting.", s.cfg.Port)
			return loggedError{err}
		}
		s.listeners = ls
	}
	if path := s.cfg.UnixSocket; path != "" {
		if err := s.listenUnix(path); err != nil {
			s.log.Warningf("Failed opening Unix socket: %v", err)
			for _, l := range s.listeners {
				l.Close()
			}
			return loggedError{err}
		}
	}
	// One event loop per io-threads, Redis's knob for threads doing
	// network I/O: Redis's default of 1 is also the fastest when the
	// clients share the machine's cores (see docs/ARCHITECTURE.md).
	for range s.cfg.IoThreads {
		l, err := newLoop(s)
		if err != nil {
			return err
		}
		s.loops = append(s.loops, l)
	}
	s.netLoops = s.loops
	if err := s.startTLS(); err != nil {
		for _, l := range s.listeners {
			l.Close()
		}
		for _, l := range s.loops {
			l.p.close()
		}
		return err
	}
	for _, l := range s.loops {
		s.wg.Add(1)
		go l.loopMain()
	}
	s.log.Noticef("Serving clients on %d event loop(s) with the %s poller", len(s.netLoops), pollerName(s.netLoops[0].p))
	s.banner()
	s.log.Noticef("Server initialized")
	s.eng.Lock()
	s.loading.active = true
	s.eng.Unlock()
	s.serveListeners(s.listeners)
	s.serveTLSListeners(s.tls.listeners)
	if s.unixListener != nil {
		s.serveListeners([]net.Listener{s.unixListener})
	}
	s.eng.Lock()
	err := s.loadAtStart()
	if err == nil {
		s.startReplication()
	}
	s.eng.Unlock()
	if err != nil {
		s.shutdown(1)
		<-s.done
		return loggedError{err}
	}
	// An endpoint that was asked for and cannot be served stops the
	// start, as a busy client port does: a server running unwatched
	// while its operators believe it is watched is worse than one that
	// does not start.
	if err := s.startMetrics(); err != nil {
		s.log.Warningf("Failed listening on metrics port %d (tcp): %v, aborting.", s.cfg.MetricsPort, err)
		s.shutdown(1)
		<-s.done
		return loggedError{err}
	}
	s.wg.Add(2)
	go s.cronLoop()
	go s.watchdog()
	s.log.Noticef("Ready to accept connections tcp")
	return nil
}

// loggedError is an error the server has already logged, in Redis's
// words: Start's caller should not log it again (tools read the last
// line of the log to see why a server stopped).
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// Logged reports whether err was already written to the server's log.
func Logged(err error) bool {
	var le loggedError
	return errors.As(err, &le)
}

// banner logs the start-up banner, with the fields Redis's logo shows
// (tools read " PID: " from it to know the server is up), or Redis's one
// line without it.
func (s *Server) banner() {
	port := int64(0)
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		port = int64(a.Port)
	}
	if !s.cfg.AlwaysShowLogo {
		s.log.Noticef("Running mode=standalone, port=%d.", port)
		return
	}
	s.log.Raw(fmt.Sprintf("\n"+
		"    +------------------------------------------+\n"+
		"    |  Redoubt %-8s (redis_version %s)  |\n"+
		"    |  64 bit, running in standalone mode      |\n"+
		"    |  Port: %-6d                            |\n"+
		"    |  PID: %-8d                           |\n"+
		"    +------------------------------------------+\n\n",
		RedoubtVersion, Version, port, s.pid))
}

// fatal stops after an error the server cannot go on after: the process
// exits, as Redis does, or the embedded server shuts down.
func (s *Server) fatal() {
	if s.exitOnFatal {
		os.Exit(1)
	}
	go s.shutdown(1)
}

func (s *Server) serveListeners(ls []net.Listener) {
	for _, l := range ls {
		s.wg.Add(1)
		go s.acceptLoop(l)
	}
}

// rebind applies a new port or bind at run time. As Redis does, it closes
// the listening sockets first (the new set may use the same addresses),
// and if the new ones cannot all be opened it listens on the old
// addresses again.
func (s *Server) rebind() error {
	old := s.listeners
	addrs := make([]net.Addr, len(old))
	for i, l := range old {
		addrs[i] = l.Addr()
		l.Close()
	}
	ls, err := s.bind(s.cfg.Bind, int(s.cfg.Port))
	if err != nil {
		s.log.Warningf("%v", err)
		s.listeners = nil
		for _, a := range addrs {
			if l, lerr := net.Listen(a.Network(), a.String()); lerr == nil {
				s.listeners = append(s.listeners, l)
			} else {
				s.log.Warningf("Restoring listener %s: %v", a, lerr)
			}
		}
		s.serveListeners(s.listeners)
		return err
	}
	s.listeners = ls
	s.serveListeners(ls)
	return nil
}

// bind listens on every bind address; an address prefixed with '-' may
// fail (an IPv6 loopback on a host without IPv6, say).
func (s *Server) bind(addrs []string, port int) ([]net.Listener, error) {
	if port == 0 {
		return nil, nil
	}
	if len(addrs) == 0 {
		addrs = []string{"*", "-::*"}
	}
	var out []net.Listener
	for _, a := range addrs {
		optional := strings.HasPrefix(a, "-")
		a = strings.TrimPrefix(a, "-")
		network := "tcp"
		switch ip := net.ParseIP(a); {
		case a == "*":
			a, network = "0.0.0.0", "tcp4"
		case a == "::*":
			a, network = "::", "tcp6"
		case ip != nil && ip.To4() != nil:
			// An IPv4 address binds IPv4 only: Go's "tcp" on 0.0.0.0
			// would also open IPv6, which Redis's bind does not.
			network = "tcp4"
		case ip != nil:
			network = "tcp6"
		}
		l, err := net.Listen(network, net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			if optional {
				s.log.Warningf("Could not create server TCP listening socket %s:%d: %v", a, port, err)
				continue
			}
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("Could not create server TCP listening socket %s:%d: %v", a, port, err)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, errors.New("Failed listening on port " + strconv.Itoa(port) + " (tcp), aborting.")
	}
	return out, nil
}

// listenUnix listens on the Unix socket path (unixsocket), with the
// permissions of unixsocketperm, as Redis does: a stale socket file is
// replaced.
func (s *Server) listenUnix(path string) error {
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	if perm := s.cfg.UnixSocketPerm; perm != 0 {
		if err := os.Chmod(path, os.FileMode(perm)); err != nil {
			l.Close()
			return err
		}
	}
	// Closing the listener must not unlink a file a new server made.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	s.unixListener = l
	return nil
}

// Addr is the address of the first listener.
func (s *Server) Addr() net.Addr {
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Done is closed when the server has shut down.
func (s *Server) Done() <-chan struct{} { return s.done }

// ExitCode is the status the process should exit with after shutdown.
func (s *Server) ExitCode() int { return s.exitCode }

// Close shuts the server down without saving, closing every client.
func (s *Server) Close() error {
	s.shutdown(0)
	<-s.done
	return nil
}

// shutdown stops accepting, closes clients and ends the cron. It is safe
// to call more than once and from any goroutine that does not hold the engine lock.
func (s *Server) shutdown(code int) {
	s.stopOnce.Do(func() {
		// A script past busy-reply-threshold is stopped, without
		// propagating anything of it, as SHUTDOWN NOSAVE stops it.
		s.eng.Do(func() {
			if r := s.busyScript(); r != nil {
				r.Killed = true
				s.scripts.abandon = true
			}
		})
		s.eng.Lock()
		s.abortBackgroundSave()
		if lk := s.repl.master; lk != nil {
			s.stopLink(lk)
		}
		if s.aof.rw != nil {
			s.log.Warningf("There is a child rewriting the AOF. Killing it!")
			s.abortRewrite()
		}
		if s.aof.w != nil {
			s.log.Noticef("Calling fsync() on the AOF file.")
			s.detachWriter()
		}
		s.eng.Unlock()
		s.exitCode = code
		close(s.quit)
		s.closeListeners()
		s.stopMetrics()
		// Each loop closes its clients when it sees quit.
		for _, l := range s.loops {
			l.p.wake()
		}
		go func() {
			s.wg.Wait()
			// The dataset lives in memory mapped outside the Go heap:
			// give it back, or every stopped embedded server leaks it.
			s.ks.Arena.Release()
			for addr := range s.migrateConns {
				s.closeMigrateConn(addr)
			}
			close(s.done)
		}()
	})
}

// closeListeners stops accepting connections. It may run more than
// once.
func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	for _, l := range s.tls.listeners {
		l.Close()
	}
	if l := s.unixListener; l != nil {
		l.Close()
		os.Remove(s.cfg.UnixSocket)
	}
}

func (s *Server) acceptLoop(l net.Listener) { s.acceptLoopWith(l, s.attachPlain) }

// acceptLoopWith accepts connections on l and hands each to attach.
func (s *Server) acceptLoopWith(l net.Listener, attach func(net.Conn)) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			select {
			case <-s.quit:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: back off.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warningf("Accepting client connection: %v", err)
				time.Sleep(delay)
				continue
			}
			if !errors.Is(err, net.ErrClosed) {
				s.log.Warningf("Accepting client connection: %v", err)
			}
			return
		}
		delay = 0
		attach(conn)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// applyConfig pushes configuration values into the subsystems that keep
// their own copy. It runs at start and after every CONFIG SET.
func (s *Server) applyConfig() {
	s.ks.LFU = strings.Contains(s.cfg.MaxMemoryPolicy, "lfu")
	s.ks.LFULogFactor = int(s.cfg.LFULogFactor)
	s.ks.LFUDecayTime = int(s.cfg.LFUDecayTime)
	s.log.SetLevel(s.cfg.LogLevel)
	s.slowlog.SetMaxLen(int(s.cfg.SlowlogMaxLen))
	s.notifyMask = notifyMask(s.cfg.NotifyKeyspaceEvents)
	s.eng.NotifyMask = s.notifyMask
	s.watchdogPeriod.Store(s.cfg.WatchdogPeriod)
	s.latencyQ.threshold.Store(s.cfg.LatencyMonitorThresh)
	s.eng.Watch(s.cfg.WatchdogPeriod > 0)
	s.eng.LazyExpire = s.cfg.LazyfreeLazyExpire
	s.ks.LazyExpire = s.cfg.LazyfreeLazyExpire
	s.ks.LazyServerDel = s.cfg.LazyfreeLazyServerDel
	s.obuf = obufLimits(s.cfg.ClientOutputBufferLimits)
	s.ks.WritableReplica = !s.cfg.ReplicaReadOnly
	switch every := s.cfg.HotKeysSampleEvery; {
	case every <= 0:
		s.ks.Hot = nil
	case s.ks.Hot == nil:
		s.ks.Hot = &keyspace.HotKeys{Every: uint32(every)}
	default:
		s.ks.Hot.Every = uint32(every)
	}
}

// now is the wall clock in milliseconds.
func now() int64 { return time.Now().UnixMilli() }

// SetTimeSkew moves the time the dataset sees by skew from the wall
// clock (engine.SetSkew): TTLs, expiry and TIME. It is for tests that
// travel in time; the server's own timers keep the wall clock.
func (s *Server) SetTimeSkew(skew time.Duration) {
	s.eng.SetSkew(skew.Round(time.Millisecond).Milliseconds())
}

// TimeSkew is the skew set by SetTimeSkew.
func (s *Server) TimeSkew() time.Duration { return time.Duration(s.eng.Skew()) * time.Millisecond }

// Logf writes to the server's log.
func (s *Server) Logf(level int, format string, args ...any) { s.log.Logf(level, format, args...) }
