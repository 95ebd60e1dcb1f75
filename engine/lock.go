package engine

import (
	"sync"
	"sync/atomic"
)

// lock is the engine lock: a mutex whose holder can declare itself busy
// (a script past busy-reply-threshold), so that those who want the lock
// can learn it at once instead of waiting (Redis answers them -BUSY).
//
// It is a one-slot channel rather than a sync.Mutex so that a waiter can
// wait on "the lock is free" and "the holder is busy" at once.
type lock struct {
	sem chan struct{}
	mu  sync.Mutex // guards busyCh
	// busyCh is closed when the holder declares itself busy; a new one
	// replaces it when that holder releases the lock.
	busyCh chan struct{}
	busy   atomic.Bool
	// tasks are functions handed to a busy holder to run under the lock
	// (Do); guarded by mu.
	tasks []task
}

type task struct {
	fn   func()
	done chan struct{}
}

func newLock() *lock {
	return &lock{sem: make(chan struct{}, 1), busyCh: make(chan struct{})}
}

func (l *lock) Lock() { l.sem <- struct{}{} }

func (l *lock) Unlock() {
	if l.busy.Load() {
		// Run what was handed over before the holder stops being busy:
		// a task queued after this point finds the lock not busy and
		// takes it instead.
		for {
			l.mu.Lock()
			if len(l.tasks) == 0 {
				l.busyCh = make(chan struct{})
				l.busy.Store(false)
				l.mu.Unlock()
				break
			}
			tasks := l.tasks
			l.tasks = nil
			l.mu.Unlock()
			runTasks(tasks)
		}
	}
	<-l.sem
}

// Do runs fn under the lock: it takes the lock, or, when the holder is
// busy, hands fn to it and waits until the holder ran it (Poll).
func (l *lock) Do(fn func()) {
	for {
		if l.LockOrBusy() {
			fn()
			l.Unlock()
			return
		}
		l.mu.Lock()
		if !l.busy.Load() {
			// The busy holder released the lock meanwhile.
			l.mu.Unlock()
			continue
		}
		t := task{fn: fn, done: make(chan struct{})}
		l.tasks = append(l.tasks, t)
		l.mu.Unlock()
		<-t.done
		return
	}
}

// Poll runs the functions handed over by Do. Only a busy holder calls it.
func (l *lock) Poll() {
	l.mu.Lock()
	tasks := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	runTasks(tasks)
}

func runTasks(tasks []task) {
	for _, t := range tasks {
		t.fn()
		close(t.done)
	}
}

// LockOrBusy takes the lock and returns true, or returns false without
// it if the holder is, or becomes while we wait, busy.
func (l *lock) LockOrBusy() bool {
	for {
		l.mu.Lock()
		ch := l.busyCh
		l.mu.Unlock()
		select {
		case l.sem <- struct{}{}:
			return true
		case <-ch:
			if l.busy.Load() {
				return false
			}
			// That holder released the lock since: wait again.
		}
	}
}

// SetBusy declares the holder busy. Only the holder calls it.
func (l *lock) SetBusy() {
	if l.busy.Load() {
		return
	}
	l.mu.Lock()
	l.busy.Store(true)
	close(l.busyCh)
	l.mu.Unlock()
}

// Busy reports whether the holder has declared itself busy.
func (l *lock) Busy() bool { return l.busy.Load() }
