package server

import "time"

// StretchLatency makes the measured operation of each event of m last at
// least that much longer (see latencyStretch), until the returned
// function is called.
func StretchLatency(m map[string]time.Duration) (restore func()) {
	latencyStretch.Store(&m)
	return func() { latencyStretch.Store(nil) }
}
