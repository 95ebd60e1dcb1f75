package repl

import (
	"crypto/rand"
	"encoding/hex"
)

// IDLen is the length of a replication ID and of the diskless
// transfer's end mark (Redis's CONFIG_RUN_ID_SIZE).
const IDLen = 40

// NoID is the replication ID of no history (Redis clears master_replid2
// to forty zeros).
const NoID = "0000000000000000000000000000000000000000"

// NewID returns a random replication ID: 40 lower-case hex digits.
func NewID() string {
	var b [IDLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
