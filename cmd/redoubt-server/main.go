// Command redoubt-server is a drop-in for redis-server:
//
//	redoubt-server [/path/to/redis.conf] [--name value ...]
//
// It reads Redis 7 configuration files and options, logs in Redis's
// format, and shuts down cleanly on SIGTERM or SIGINT.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/server"
)

func main() { os.Exit(run(os.Args[1:])) }

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: ./redoubt-server [/path/to/redis.conf] [options] [-]
       ./redoubt-server - (read config from stdin)
       ./redoubt-server -v or --version
       ./redoubt-server -h or --help

Examples:
       ./redoubt-server (run the server with default conf)
       ./redoubt-server /etc/redis/6379.conf
       ./redoubt-server --port 7777
       ./redoubt-server /etc/myredis.conf --loglevel verbose -
       ./redoubt-server /etc/myredis.conf --loglevel verbose
`)
}

func run(args []string) int {
	if len(args) == 1 && args[0] == server.JobArg {
		return server.RunJobStandIn()
	}
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Printf("Redis server v=%s sha=00000000:0 malloc=redoubt-arena bits=64 build=redoubt-%s\n", server.Version, server.RedoubtVersion)
			return 0
		case "-h", "--help":
			usage(os.Stdout)
			return 0
		}
	}
	cfg := config.New()
	// Early failures are logged the way Redis logs them before it is up:
	// role C, to standard output.
	early := server.NewLogger(os.Stdout, "notice")
	early.SetRole('C')

	// As redis-server: a first argument not starting with '-' is the
	// config file; a lone "-" first or last reads more config from stdin;
	// everything else is options appended after them.
	var file string
	opts := args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, opts = args[0], args[1:]
	}
	fromStdin := false
	var rest []string
	for i, a := range opts {
		if a == "-" && (i == len(opts)-1 || (file == "" && i == 0)) {
			fromStdin = true
			continue
		}
		if a == "--sentinel" {
			early.Warningf("Redoubt has no sentinel mode")
			return 1
		}
		rest = append(rest, a)
	}
	var text strings.Builder
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			early.Warningf("Fatal error, can't open config file '%s': %s", file, strerror(err))
			return 1
		}
		text.Write(data)
		if abs, err := filepath.Abs(file); err == nil {
			cfg.File = abs
		}
	}
	if fromStdin {
		early.Warningf("Reading config from stdin")
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			early.Warningf("Reading config from stdin: %v", err)
			return 1
		}
		text.Write(data)
	}
	text.WriteString(config.ArgsToConfig(rest))
	if err := cfg.Load(text.String()); err != nil {
		var le *config.LoadError
		if errors.As(err, &le) && le.Line == 0 && strings.HasPrefix(le.Msg, "Fatal error, can't open config file") {
			early.Warningf("%s", le.Msg)
			return 1
		}
		fatalConfig(err)
		return 1
	}
	if cfg.Dir == "" {
		cfg.Dir, _ = os.Getwd()
	}
	if cfg.Daemonize && os.Getenv("REDOUBT_DAEMONIZED") == "" {
		return daemonize()
	}

	// REDOUBT_CPUPROFILE=file profiles the whole run, for performance work.
	if path := os.Getenv("REDOUBT_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "REDOUBT_CPUPROFILE: %v\n", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "REDOUBT_CPUPROFILE: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	self, _ := os.Executable()
	srv, err := server.New(cfg, server.Options{ExitOnFatal: true, JobBinary: self, GoMemoryLimit: true})
	if err != nil {
		var le *config.LoadError
		if errors.As(err, &le) {
			fatalConfig(err)
		} else {
			fmt.Fprintf(os.Stderr, "%v\n", err)
		}
		return 1
	}
	// A fatal error of the Go runtime goes to the log too, not only to
	// standard error, so that the log tells why the process stopped.
	crashOut := os.Stdout
	if cfg.LogFile != "" {
		if f, err := os.OpenFile(cfg.Path(cfg.LogFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			crashOut = f
		}
	}
	debug.SetCrashOutput(crashOut, debug.CrashOptions{})
	srv.Logf(server.LogNotice, "oO0OoO0OoO0Oo Redoubt is starting oO0OoO0OoO0Oo")
	srv.Logf(server.LogNotice, "Redoubt version=%s, redis_version=%s, bits=64, pid=%d, just started", server.RedoubtVersion, server.Version, os.Getpid())
	if file == "" {
		srv.Logf(server.LogWarning, "Warning: no config file specified, using the default config. In order to specify a config file use %s /path/to/redis.conf", os.Args[0])
	} else {
		srv.Logf(server.LogNotice, "Configuration loaded")
	}
	// The signals are caught before the server serves anyone: a SIGTERM
	// that arrives as the first clients are answered, or while the data
	// loads, is kept and carried out once the start is done, not left to
	// the Go runtime's default, which ends the process without a
	// shutdown.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGABRT)
	if err := srv.Start(); err != nil {
		if !server.Logged(err) {
			srv.Logf(server.LogWarning, "%v", err)
		}
		return 1
	}
	// The start's code will not run again: its pages go back to the
	// kernel (pageout_linux.go).
	pageOutImage()
	if cfg.PidFile != "" {
		if err := os.WriteFile(cfg.Path(cfg.PidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			srv.Logf(server.LogWarning, "Failed to write PID file: %v", err)
		}
		defer os.Remove(cfg.Path(cfg.PidFile))
	}

	// A signal asks for a shutdown, which the server's cron carries out
	// (SHUTDOWN ABORT can cancel it meanwhile); a second SIGINT during it
	// ends the process at once.
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGABRT {
				srv.CrashOnSignal(int(syscall.SIGABRT), "SIGABRT")
				continue
			}
			name := "SIGTERM"
			if sig == syscall.SIGINT {
				name = "SIGINT"
			}
			if sig == syscall.SIGINT && srv.ShutdownPending() {
				srv.InsistExit()
			}
			srv.Logf(server.LogWarning, "Received %s scheduling shutdown...", name)
			srv.SignalShutdown(sig == syscall.SIGINT)
		case <-srv.Done():
			return srv.ExitCode()
		}
	}
}

// fatalConfig prints a configuration error the way redis-server does
// before exiting.
func fatalConfig(err error) {
	fmt.Fprintf(os.Stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n%v\n", server.Version, err)
}

// strerror renders an I/O error as C's strerror does ("No such file or
// directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

// daemonize starts the server again in a new session with its standard
// streams detached, which is what "daemonize yes" means, and returns.
func daemonize() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "daemonize: %v\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "daemonize: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), "REDOUBT_DAEMONIZED=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "daemonize: %v\n", err)
		return 1
	}
	return 0
}
