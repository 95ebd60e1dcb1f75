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
}

func newLock() *lock {
	return &lock{sem: make(chan struct{}, 1), busyCh: make(chan struct{})}
}

func (l *lock) Lock() { l.sem <- struct{}{} }

func (l *lock) Unlock() {
	if l.busy.Load() {
		l.mu.Lock()
		l.busyCh = make(chan struct{})
		l.busy.Store(false)
		l.mu.Unlock()
	}
	<-l.sem
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
