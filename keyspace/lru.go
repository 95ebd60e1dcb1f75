package keyspace

import "math"

// Access tracking, as Redis keeps it in each object's 24-bit lru field:
// under LRU policies, the time of last access in seconds (modulo 2^24);
// under LFU policies, the time of the last decrement in minutes (16 bits)
// and a logarithmic access counter (8 bits).

const (
	lfuInitVal  = 5
	lruClockMax = lruMask
)

// LRUClock is the current LRU clock: seconds, modulo 2^24.
func (ks *Keyspace) LRUClock() uint32 { return uint32(ks.env.Now()/1000) & lruClockMax }

func (ks *Keyspace) lfuMinutes() uint32 { return uint32(ks.env.Now()/60000) & 0xffff }

func (db *DB) initialAccess() uint32 {
	if db.ks.LFU {
		return db.ks.lfuMinutes()<<8 | lfuInitVal
	}
	return db.ks.LRUClock()
}

// touch records an access to a key.
func (db *DB) touch(id uint32) {
	e := db.dict.At(id)
	var lru uint32
	if db.ks.LFU {
		c := db.ks.lfuLogIncr(db.ks.lfuDecr(e.Meta & lruMask))
		lru = db.ks.lfuMinutes()<<8 | c
	} else {
		lru = db.ks.LRUClock()
	}
	e.Meta = e.Meta&^lruMask | lru
	if h := db.ks.Hot; h != nil {
		h.access(db, id)
	}
}

// lfuDecr returns the LFU counter of lru after the decay of the minutes
// elapsed since its last decrement.
func (ks *Keyspace) lfuDecr(lru uint32) uint32 {
	ldt, counter := lru>>8, lru&0xff
	now := ks.lfuMinutes()
	elapsed := now - ldt
	if now < ldt {
		elapsed = 65535 - ldt + now
	}
	if ks.LFUDecayTime > 0 {
		periods := elapsed / uint32(ks.LFUDecayTime)
		if periods > counter {
			return 0
		}
		counter -= periods
	}
	return counter
}

// lfuLogIncr increments a counter with probability 1/((c-5)*factor+1).
func (ks *Keyspace) lfuLogIncr(c uint32) uint32 {
	if c == 255 {
		return c
	}
	base := math.Max(float64(c)-lfuInitVal, 0)
	if ks.rng.Float64() < 1/(base*float64(ks.LFULogFactor)+1) {
		c++
	}
	return c
}

// IdleTime is OBJECT IDLETIME: seconds since the key was last accessed,
// under an LRU policy.
func (db *DB) IdleTime(id uint32) int64 {
	lru := db.dict.At(id).Meta & lruMask
	now := db.ks.LRUClock()
	if now >= lru {
		return int64(now - lru)
	}
	return int64(now + (lruClockMax - lru))
}

// Freq is OBJECT FREQ: the key's LFU counter after decay.
func (db *DB) Freq(id uint32) int64 {
	return int64(db.ks.lfuDecr(db.dict.At(id).Meta & lruMask))
}

// SetAccess sets the raw access data of a key (RESTORE IDLETIME/FREQ,
// DEBUG OBJECT). For LRU the value is an idle time in seconds, for LFU a
// counter.
func (db *DB) SetAccess(id uint32, lruIdle int64, lfuFreq int64) {
	e := db.dict.At(id)
	if db.ks.LFU {
		if lfuFreq >= 0 {
			e.Meta = e.Meta&^lruMask | db.ks.lfuMinutes()<<8 | uint32(min(lfuFreq, 255))
		}
		return
	}
	if lruIdle >= 0 {
		clock := (int64(db.ks.LRUClock()) - lruIdle) & lruClockMax
		e.Meta = e.Meta&^lruMask | uint32(clock)
	}
}
