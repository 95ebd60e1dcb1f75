package cjson

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// The settings functions. Each takes its values as optional arguments
// (nil or absent leaves a setting alone) and returns the settings after
// the change, as lua-cjson's do, with its argument checks and their
// messages, quirks included: a number out of range is reported as
// argument #1 whichever argument it was.

var (
	offOn       = []string{"off", "on"}
	offOnNull   = []string{"off", "on", "null"}
	sparseRange = "expected integer between 0 and " + strconv.Itoa(math.MaxInt32)
	depthRange  = "expected integer between 1 and " + strconv.Itoa(math.MaxInt32)
)

// checkArgs fails with too many arguments, and pads the missing ones
// with nils, so that results pushed go above them.
func checkArgs(L *lua.LState, max int) {
	if L.GetTop() > max {
		lua51.ArgError(L, max+1, "found too many arguments")
	}
	for L.GetTop() < max {
		L.Push(lua.LNil)
	}
}

// intOption updates *setting from argument n, if given, to a value in
// [min, max], and pushes the setting.
func intOption(L *lua.LState, n int, setting *int32, min, max int32, rangeMsg string) {
	if L.Get(n) != lua.LNil {
		// C stores lua_Integer in an int: the low 32 bits.
		v := int32(lua51.CheckInteger(L, n))
		if v < min || v > max {
			lua51.ArgError(L, 1, rangeMsg)
		}
		*setting = v
	}
	L.Push(lua.LNumber(*setting))
}

// enumOption updates *setting from argument n, if given, to the index of
// one of options (true and false stand for "on" and "off"), and pushes
// the setting: a boolean for "off" and "on", the option's name otherwise.
func enumOption(L *lua.LState, n int, setting *int, options []string) {
	switch v := L.Get(n).(type) {
	case *lua.LNilType:
	case lua.LBool:
		*setting = 0
		if v {
			*setting = 1
		}
	default:
		*setting = checkOption(L, n, options)
	}
	if *setting <= 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
}

// checkOption is luaL_checkoption with no default. The name is a C
// string there: it ends at a NUL.
func checkOption(L *lua.LState, n int, options []string) int {
	name := lua51.CheckLString(L, n)
	if k := strings.IndexByte(name, 0); k >= 0 {
		name = name[:k]
	}
	for i, o := range options {
		if o == name {
			return i
		}
	}
	lua51.ArgError(L, n, "invalid option '"+name+"'")
	return 0
}

func boolOption(L *lua.LState, n int, setting *bool) {
	v := 0
	if *setting {
		v = 1
	}
	enumOption(L, n, &v, offOn)
	*setting = v == 1
}

// optEncodeSparseArray is cjson.encode_sparse_array([convert[, ratio[,
// safe]]]): whether an excessively sparse array becomes an object
// instead of an error; the ratio of the largest index to the number of
// elements above which an array is excessively sparse (0: never); and
// the largest index an array may always have.
func optEncodeSparseArray(L *lua.LState, cfg *config) int {
	checkArgs(L, 3)
	boolOption(L, 1, &cfg.sparseConvert)
	intOption(L, 2, &cfg.sparseRatio, 0, math.MaxInt32, sparseRange)
	intOption(L, 3, &cfg.sparseSafe, 0, math.MaxInt32, sparseRange)
	return 3
}

// optEncodeMaxDepth is cjson.encode_max_depth([depth]).
func optEncodeMaxDepth(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	intOption(L, 1, &cfg.encodeMaxDepth, 1, math.MaxInt32, depthRange)
	return 1
}

// optDecodeMaxDepth is cjson.decode_max_depth([depth]).
func optDecodeMaxDepth(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	intOption(L, 1, &cfg.decodeMaxDepth, 1, math.MaxInt32, depthRange)
	return 1
}

// optEncodeNumberPrecision is cjson.encode_number_precision([digits]):
// the significant digits of encoded numbers, 1 to 14.
func optEncodeNumberPrecision(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	p := int32(cfg.precision)
	intOption(L, 1, &p, 1, 14, "expected integer between 1 and 14")
	cfg.precision = int(p)
	return 1
}

// optEncodeKeepBuffer is cjson.encode_keep_buffer([keep]): whether
// encode keeps its buffer between calls. It changes no output.
func optEncodeKeepBuffer(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	boolOption(L, 1, &cfg.keepBuffer)
	if !cfg.keepBuffer {
		cfg.buf = nil
	}
	return 1
}

// optEncodeInvalidNumbers is cjson.encode_invalid_numbers([mode]): off
// (NaN and ±Inf are an error), on (written nan, inf, -inf) or "null".
func optEncodeInvalidNumbers(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	enumOption(L, 1, &cfg.encodeInvalid, offOnNull)
	return 1
}

// optDecodeInvalidNumbers is cjson.decode_invalid_numbers([accept]):
// whether decode reads what strtod reads beyond JSON's numbers (hex,
// Infinity, NaN, a leading "+" or zeros).
func optDecodeInvalidNumbers(L *lua.LState, cfg *config) int {
	checkArgs(L, 1)
	boolOption(L, 1, &cfg.decodeInvalid)
	return 1
}
