package hash

import (
	"strconv"

	"github.com/redoubt-db/redoubt/command"
)

// Get returns the value of field in the hash at entry id, a listpack
// integer formatted into buf; found is false if the field is missing.
// The value aliases arena memory until the next change. SORT's
// "key->field" patterns read hashes through it.
func Get(c *command.Ctx, id uint32, field, buf []byte) (v []byte, found bool) {
	s, n, isInt, found := get(c, id, field)
	if isInt {
		s = strconv.AppendInt(buf[:0], n, 10)
	}
	return s, found
}
