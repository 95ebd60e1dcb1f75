package server

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Background jobs (BGSAVE, BGREWRITEAOF) run in goroutines of the server:
// there is no forked child holding a copy of the dataset. What operators
// and tools do with Redis's child still works, though, because the
// server starts a stand-in process for each job: its own binary in
// JobArg mode, doing nothing but wait (a few MB, whatever the dataset).
// It is the server's child, so `pgrep -P` finds it; the job's temporary
// file carries its PID, as Redis's does; and killing it stops the job,
// as killing Redis's child does (SIGUSR1 quietly, any other signal as a
// failed job). When the job ends, the server ends the stand-in.
//
// An embedded server has no binary of its own to start: its jobs have
// no stand-in, and their files carry the server's PID.

// JobArg is the argument that makes redoubt-server a job's stand-in
// (package datadir knows it too: a stand-in whose server died owns no
// files).
const JobArg = datadir.StandInArg

// RunJobStandIn is the stand-in's whole life: wait until the server
// closes its standard input (the job ended), or dies.
func RunJobStandIn() int {
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// jobProc is a running stand-in.
type jobProc struct {
	pid   int
	stdin io.Closer
	done  bool // the server ended it; its exit means nothing
}

// runJob runs a background job's walk, writing path, in its own
// goroutine. When the walk returns, it ends the stand-in and sets *finish
// to end the job with done: as Redis learns that its child exited in
// serverCron, the cron calls it at its next tick, and until then INFO
// shows the job running.
func (s *Server) runJob(b *snapshot.Background, path string, job *jobProc, finish *func(), done func(error)) {
	delay := time.Duration(s.cfg.RDBKeySaveDelay) * time.Microsecond
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := b.Run(path, s.eng, delay)
		s.eng.Lock()
		defer s.eng.Unlock()
		job.end()
		*finish = func() { done(err) }
	}()
}

// startJobProc starts a stand-in for a job, if the server has a binary
// to start. killed runs, under the engine lock, if the stand-in dies of
// a signal while the job runs. pid is the stand-in's, or the server's
// without one.
func (s *Server) startJobProc(killed func(sig syscall.Signal)) (j *jobProc, pid int) {
	if s.jobBinary == "" {
		return nil, s.pid
	}
	// The stand-in never outlives the server: its standard input is a
	// pipe whose other end only the server holds, so it reads the end of
	// it when the server closes it or dies.
	cmd := exec.Command(s.jobBinary, JobArg)
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		s.log.Warningf("Can't start the background job's process: %v", err)
		return nil, s.pid
	}
	j = &jobProc{pid: cmd.Process.Pid, stdin: stdin}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return
		}
		st, ok := ee.Sys().(syscall.WaitStatus)
		if !ok || !st.Signaled() {
			return
		}
		s.eng.Lock()
		defer s.eng.Unlock()
		if !j.done {
			j.done = true
			killed(st.Signal())
		}
	}()
	return j, j.pid
}

// end ends a stand-in whose job is over. The caller holds the engine
// lock.
func (j *jobProc) end() {
	if j != nil && !j.done {
		j.done = true
		j.stdin.Close()
	}
}
