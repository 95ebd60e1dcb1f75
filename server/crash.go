package server

import (
	"runtime"
	"strconv"
	"time"
)

// Crash reports and the watchdog (Redis's debug.c): what the log shows
// when the process dies of a signal or is stuck in one command. The
// stack traces are Go's, of every goroutine: the one that was running
// the command is among them, with the handler's name.

// crashReport logs a bug report with the stack of every goroutine.
func (s *Server) crashReport(reason string) {
	s.log.Warningf("%s", "\n\n=== REDOUBT BUG REPORT START: Cut & paste starting from here ===\n"+
		"Redoubt "+RedoubtVersion+" (redis_version "+Version+") "+reason+"\n\n"+
		"------ STACK TRACE ------\n"+allStacks()+
		"\n=== REDOUBT BUG REPORT END. Make sure to include from START to END. ===\n")
}

func allStacks() string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// CrashOnSignal is a fatal signal (SIGABRT, SIGSEGV sent from outside):
// the report is logged and the process ends, as Redis's sigsegvHandler
// does.
func (s *Server) CrashOnSignal(sig int, name string) {
	s.crashReport("crashed by signal: " + strconv.Itoa(sig) + " (" + name + ")")
	s.fatal()
}

// watchdog logs the stacks when one execution unit has run longer than
// watchdog-period milliseconds (Redis's software watchdog), once per
// unit. It runs while watchdog-period is set.
func (s *Server) watchdog() {
	defer s.wg.Done()
	var reported int64
	for {
		period := time.Duration(s.watchdogPeriod.Load()) * time.Millisecond
		if period <= 0 {
			period = time.Second
		}
		select {
		case <-s.quit:
			return
		case <-time.After(period / 2):
		}
		if s.watchdogPeriod.Load() == 0 {
			continue
		}
		started := s.eng.UnitStarted()
		if started == 0 || started == reported || time.Since(time.Unix(0, started)) < period {
			continue
		}
		reported = started
		s.log.Warningf("%s", "\n--- WATCHDOG TIMER EXPIRED ---\n"+allStacks()+"--------\n")
	}
}
