package hll

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/redoubt-db/redoubt/command"
)

// pfselftest checks, as Redis's PFSELFTEST does, that dense registers
// keep their values without disturbing their neighbours, and that dense
// and sparse HLLs fed the same ten million elements agree and stay within
// six standard errors of the true count at each power of ten.
func pfselftest(c *command.Ctx) {
	if msg := selfTest(sparseMaxBytes(c.Cfg)); msg != "" {
		c.Err(msg)
		return
	}
	c.W.OK()
}

// selfTest returns a TESTFAILED error, or "" if every check passed.
func selfTest(sparseMax int) string {
	dense := make([]byte, denseSize)
	copy(dense, "HYLL")
	r := dense[hdrSize:]
	var want [registers]uint8
	for range 1000 {
		for i := range want {
			want[i] = uint8(rand.Uint32() & regMax)
			denseSet(r, i, want[i])
		}
		for i, w := range want {
			if got := denseGet(r, i); got != w {
				return fmt.Sprintf("TESTFAILED Register %d should be %d but is %d", i, w, got)
			}
		}
	}

	clear(r)
	sparse := value{b: []byte(emptySparse), limit: sparseMax}
	relErr := 1.04 / math.Sqrt(registers)
	seed := rand.Uint64()
	var ele [8]byte
	for j, checkpoint := uint64(1), uint64(1); j <= 10_000_000; j++ {
		binary.LittleEndian.PutUint64(ele[:], j^seed)
		i, n := patLen(ele[:])
		denseAdd(r, i, n)
		sparse.set(i, n)
		if j != checkpoint {
			continue
		}
		if j < uint64(sparseMax/2) && sparse.b[4] != encSparse {
			return "TESTFAILED sparse encoding not used"
		}
		card, _ := cardinality(dense)
		if other, _ := cardinality(sparse.b); other != card {
			return "TESTFAILED dense/sparse disagree"
		}
		maxErr := uint64(math.Ceil(relErr * 6 * float64(checkpoint)))
		if j == 10 {
			// Collisions make a larger error at ten elements likely enough.
			maxErr = 1
		}
		absErr := int64(checkpoint) - int64(card)
		if absErr < 0 {
			absErr = -absErr
		}
		if absErr > int64(maxErr) {
			return fmt.Sprintf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, absErr)
		}
		checkpoint *= 10
	}
	return ""
}
