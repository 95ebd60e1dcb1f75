package cjson

import (
	lua "github.com/yuin/gopher-lua"
)

const (
	// lua-cjson's defaults (those of Redis's build).
	defaultMaxDepth    = 1000
	defaultPrecision   = 14
	defaultSparseRatio = 2
	defaultSparseSafe  = 10

	// luaMaxCStack is Lua 5.1's LUAI_MAXCSTACK: the stack slots a C
	// function may use. lua-cjson asks for slots at each nesting level
	// and reports the same "too many nested" errors when it is refused,
	// so a depth limit raised by a script is still capped by it; the
	// encoder and decoder count the slots Redis's would hold.
	luaMaxCStack = 8000

	// keptBufferMax caps the encode buffer kept between calls: C keeps
	// whatever it grew to, which Go need not copy to match the output.
	keptBufferMax = 1 << 20
)

// The values of encode_invalid_numbers.
const (
	invalidOff  = iota // error
	invalidOn          // "nan", "inf", "-inf"
	invalidNull        // null
)

// config is one module table's settings, shared by its functions as the
// C library shares its configuration userdata.
type config struct {
	encodeMaxDepth int32
	decodeMaxDepth int32
	sparseRatio    int32
	sparseSafe     int32
	sparseConvert  bool
	keepBuffer     bool
	decodeInvalid  bool
	encodeInvalid  int
	precision      int

	buf  []byte     // the kept encode buffer
	tmp  []byte     // scratch for decoding strings with escapes
	null lua.LValue // cjson.null
}

// Loader pushes a new cjson module table, with the default settings, and
// returns 1: the function luaopen_cjson is in Redis.
func Loader(L *lua.LState) int {
	cfg := &config{
		encodeMaxDepth: defaultMaxDepth,
		decodeMaxDepth: defaultMaxDepth,
		sparseRatio:    defaultSparseRatio,
		sparseSafe:     defaultSparseSafe,
		keepBuffer:     true,
		decodeInvalid:  true,
		encodeInvalid:  invalidOff,
		precision:      defaultPrecision,
		null:           Null(L),
	}
	t := L.CreateTable(0, 13)
	for _, f := range []struct {
		name string
		fn   func(*lua.LState, *config) int
	}{
		{"encode", encode},
		{"decode", decode},
		{"encode_sparse_array", optEncodeSparseArray},
		{"encode_max_depth", optEncodeMaxDepth},
		{"decode_max_depth", optDecodeMaxDepth},
		{"encode_number_precision", optEncodeNumberPrecision},
		{"encode_keep_buffer", optEncodeKeepBuffer},
		{"encode_invalid_numbers", optEncodeInvalidNumbers},
		{"decode_invalid_numbers", optDecodeInvalidNumbers},
	} {
		fn := f.fn
		t.RawSetString(f.name, L.NewFunction(func(L *lua.LState) int { return fn(L, cfg) }))
	}
	// cjson.new() makes a module with settings of its own.
	t.RawSetString("new", L.NewFunction(Loader))
	t.RawSetString("null", cfg.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	L.Push(t)
	return 1
}
