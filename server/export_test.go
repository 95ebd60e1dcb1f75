package server

import "time"

// StretchLatency makes the measured operation of each event of m last at
// least that much longer (see latencyStretch), until the returned
// function is called.
func StretchLatency(m map[string]time.Duration) (restore func()) {
	latencyStretch.Store(&m)
	return func() { latencyStretch.Store(nil) }
}

// SetKeysStep sets the keys one step of a KEYS walk looks at, and the
// database size from which KEYS walks in steps, until restore is called.
// pause is slept between steps.
func SetKeysStep(n int64, pause time.Duration) (restore func()) {
	old, oldPause := keysStepKeys.Swap(n), keysStepPause.Swap(int64(pause))
	return func() { keysStepKeys.Store(old); keysStepPause.Store(oldPause) }
}
