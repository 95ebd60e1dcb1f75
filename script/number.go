package script

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/protocol"
)

var mathInf = math.Inf(1)

// appendG17 formats a number as redis.call passes it to a command:
// C's %.17g, which keeps every bit of a double.
func appendG17(b []byte, f float64) []byte { return protocol.AppendG(b, f, 17) }

// parseNumber reads a number as Lua's tonumber does for decimal strings.
func parseNumber(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
