package repl

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/redoubt-db/redoubt/rdb"
)

// Checker sees a full resynchronisation's dataset go by and tells,
// before anything is loaded, whether it is a whole RDB file: the magic
// at its start, and the CRC-64 of everything before its last 8 bytes
// equal to them (a writer with rdbchecksum off writes zeros, which only
// the magic and the load itself then check). A replica that checks
// first keeps its data when a transfer arrives damaged.
type Checker struct {
	crc  uint64
	head []byte
	tail [8]byte
	n    int64
}

// Write adds bytes of the file; it never fails.
func (c *Checker) Write(p []byte) (int, error) {
	if len(c.head) < 5 {
		c.head = append(c.head, p[:min(len(p), 5-len(c.head))]...)
	}
	// The CRC runs 8 bytes behind: the last 8 are the checksum.
	held := int(min(c.n, 8))
	all := len(p) + held
	if all <= 8 {
		copy(c.tail[held:], p)
		c.n += int64(len(p))
		return len(p), nil
	}
	// Bytes leaving the tail first, then those of p beyond its last 8.
	out := all - 8
	if out <= held {
		c.crc = rdb.CRC64(c.crc, c.tail[:out])
		var t [8]byte
		n := copy(t[:], c.tail[out:held])
		copy(t[n:], p)
		c.tail = t
	} else {
		c.crc = rdb.CRC64(c.crc, c.tail[:held])
		c.crc = rdb.CRC64(c.crc, p[:len(p)-8])
		copy(c.tail[:], p[len(p)-8:])
	}
	c.n += int64(len(p))
	return len(p), nil
}

// ErrDamaged is Check's error for a transfer that is not a whole file.
var ErrDamaged = errors.New("the dataset received is damaged: its checksum does not match")

// Check reports whether what was written is a whole RDB file.
func (c *Checker) Check() error {
	if c.n < 9 || !bytes.Equal(c.head, []byte("REDIS")) {
		return errors.New("the dataset received is not an RDB file")
	}
	sum := binary.LittleEndian.Uint64(c.tail[:])
	if sum != 0 && sum != c.crc {
		return ErrDamaged
	}
	return nil
}
