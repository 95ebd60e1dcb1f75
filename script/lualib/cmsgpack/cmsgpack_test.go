package cmsgpack

import (
	"fmt"
	"testing"

	"github.com/redoubt-db/redoubt/script/lualib/internal/luadiff"
)

// The tests run each snippet of Lua with EVAL on the reference
// redis-server 7.0 and in a fresh gopher-lua state with this package
// loaded, and compare the strings the two return byte for byte. A snippet
// must return a string: packed bytes (binary-safe), or a description of
// decoded values built by luadiff.Prelude's helpers. Numbers are described by
// their exact binary value (num), never by tostring, whose float format
// differs between gopher-lua and Lua 5.1; maps with several keys only by
// sorted dumps, their pairs order being the tables' own.
//
// Error messages are compared whole, positions included: the gopher-lua
// chunk is named "user_script" like Redis's, so "user_script:3: " is
// comparable, and both omit the position when the library function is
// called straight from pcall.

var lib = luadiff.Lib{Global: "cmsgpack", Loader: Loader}

// packs makes a snippet returning the packed bytes of each Lua expression.
func packs(exprs ...string) []string {
	out := make([]string, len(exprs))
	for i, e := range exprs {
		out[i] = "return cmsgpack.pack(" + e + ")"
	}
	return out
}

func TestPackScalarsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	var exprs []string
	// Every integer width, on both sides of each boundary.
	for _, n := range []string{
		"0", "1", "126", "127", "128", "254", "255", "256",
		"65534", "65535", "65536", "2^32-1", "2^32", "2^32+1", "2^53", "2^53+2",
		"2^62", "2^63-1024", "2^63", "2^63+2048", "2^64", "2^64-2048", "2^70", "1e19", "1e20",
		"-1", "-31", "-32", "-33", "-127", "-128", "-129", "-32767", "-32768", "-32769",
		"-2^31+1", "-2^31", "-2^31-1", "-2^53", "-2^63+1024", "-2^63", "-2^63-2048", "-2^64", "-1e20",
	} {
		exprs = append(exprs, n)
	}
	// Floats: float 32 when the double survives the round trip.
	for _, f := range []string{
		"0.5", "-0.5", "1.5", "0.1", "-0.1", "1/3", "2^-149", "2^-150", "2^-126", "2^-1022", "2^-1074",
		"3.4028234663852886e38", "3.4028235677973366e38", "3.4028236e38", "1e38", "1e39", "1e300", "-1e300",
		"1/0", "-1/0", "0/0", "-(0/0)", "123456.75", "123456.7", "16777217.5",
		"2^24+1", "(2^24+1)/2", "1.7976931348623157e308", "4.9e-324", "0.1+0.2", "math.pi", "-math.pi",
	} {
		exprs = append(exprs, f)
	}
	exprs = append(exprs,
		"nil", "true", "false", "function() end", "coroutine.create(function() end)",
		"''", "'a'", "'\\0'", "string.rep('x', 31)", "string.rep('x', 32)", "string.rep('\\255', 255)",
		"string.rep('y', 256)", "string.rep('z', 65535)", "string.rep('z', 65536)", "string.rep('\\0\\1', 40000)",
		"1, 2, 3", "nil, nil", "'a', 1, true, nil, 2.5", "1, {2}, {a=3}",
		"'12'", "'0x10'", // strings stay strings
	)
	snippets := packs(exprs...)
	snippets = append(snippets,
		"local z = 0 z = -z return cmsgpack.pack(z)", // -0 packs as the integer 0
		"local t = {} for i = 1, 1000 do t[i] = i * 1000 end return cmsgpack.pack(unpack(t))",
		// Metadata.
		"return cmsgpack._NAME .. '|' .. cmsgpack._VERSION .. '|' .. cmsgpack._COPYRIGHT .. '|' .. cmsgpack._DESCRIPTION",
		"local n = {} for k in pairs(cmsgpack) do n[#n+1] = k end table.sort(n) return table.concat(n, ',')",
	)
	lib.Diff(t, srv, snippets)
}

func TestPackTablesAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	snippets := packs(
		"{}", "{1}", "{1, 2, 3}", "{'a', 'b', {}}", "{{{}}}", "{a = 1}", "{[0] = 1}", "{[-1] = 1}",
		"{[1.5] = 1}", "{[2] = 1}", "{[1] = 1, [3] = 3}", "{1, 2, nil, 4}", "{nil, 2}", "{[true] = false}",
		"{[2^31 - 1] = 1}", "{[2^31] = 1}", "{[2^32 + 1] = 1}", "{[{}] = 1}", "{[{1}] = {x = {}}}",
		"{['1'] = 1}", "{[1] = 'a', n = 1}", "{f = function() end}", "{[1] = function() end}",
		"{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}",
		"{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}",
		// Nesting: the 17th level of tables is packed as nil.
		"nest(14, 1)", "nest(15, 1)", "nest(16, 1)", "nest(17, 1)", "nest(20, 'x')",
		"nest(15, {a = 1})", "nest(16, {a = 1})", "1, nest(16, 2), nest(17, 3)",
	)
	snippets = append(snippets,
		"local t = {} for i = 1, 65535 do t[i] = i % 7 end return cmsgpack.pack(t)",
		"local t = {} for i = 1, 65536 do t[i] = i % 7 end return cmsgpack.pack(t)",
		"local t = {} for i = 1, 100 do t[i] = i end t[50] = nil return hex(cmsgpack.pack(t):sub(1, 3))",
		// Cycles stop at the nesting limit.
		"local t = {} t[1] = t return cmsgpack.pack(t)",
		"local t = {} t.a = t return cmsgpack.pack(t)",
		"local t = {} t[t] = 1 return hex(cmsgpack.pack(t))",
		// Maps with several keys: the header, the length and a sorted
		// dump of the decoded map (pair order is the table's own).
		"local t = {} for i = 1, 15 do t['k' .. i] = i end local s = cmsgpack.pack(t) return hex(s:sub(1, 1)) .. #s .. dump(cmsgpack.unpack(s))",
		"local t = {} for i = 1, 16 do t['k' .. i] = i end local s = cmsgpack.pack(t) return hex(s:sub(1, 3)) .. #s .. dump(cmsgpack.unpack(s))",
		"local t = {} for i = 1, 65536 do t['k' .. i] = i end local s = cmsgpack.pack(t) return hex(s:sub(1, 5)) .. #s",
		"local t = {1, 2, 3, x = 'y', [0] = 0, [-2] = {1}, [1.25] = true} local s = cmsgpack.pack(t) return hex(s:sub(1, 1)) .. #s .. dump(cmsgpack.unpack(s))",
		// Tables built in other orders, or emptied at the end.
		"local t = {1, 2, 3} t[3] = nil return cmsgpack.pack(t)",
		"local t = {1, 2, 3} t[1] = nil return cmsgpack.pack(t)",
		"local t = {} for i = 10, 1, -1 do t[i] = i end return cmsgpack.pack(t)",
		"local t = {} t[2] = 'b' t[1] = 'a' return cmsgpack.pack(t)",
		"local t = {} t[1] = 'a' t.x = 1 t.x = nil return cmsgpack.pack(t)",
		"local t = {a = 1} t.a = nil t[1] = 2 return cmsgpack.pack(t)",
		// (Not 2^26-1: gopher-lua fills its array part with nils up to it.)
		"return cmsgpack.pack({[2^26] = 1})", "local s = cmsgpack.pack({[2^26 + 1] = 1, [2^26] = 2}) return hex(s:sub(1, 1)) .. #s .. dump(cmsgpack.unpack(s))",
		"local t = {} for i = 1, 40 do t[i] = i end t[41] = nil t[2^26] = 1 return hex(cmsgpack.pack(t):sub(1, 1))",
		// Decoded maps whose keys are 1..n pack back as arrays.
		"return cmsgpack.pack(cmsgpack.unpack('\\130\\1\\161a\\2\\161b'))",
		"return cmsgpack.pack(cmsgpack.unpack('\\130\\2\\161b\\202\\63\\128\\0\\0\\161a'))",
		"return cmsgpack.pack(cmsgpack.unpack('\\130\\2\\161b\\3\\161a'))",
		// Tables nested in maps count a level each, keys included.
		"local k = nest(15, 1) return cmsgpack.pack({[k] = 1})",
		"local k = nest(14, 1) return cmsgpack.pack({[k] = nest(15, 2)})",
	)
	lib.Diff(t, srv, snippets)
}

func TestUnpackAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	// Inputs written as Lua string literals (decimal escapes).
	inputs := []string{
		// Fixints, every integer width, with values at the extremes.
		`'\0'`, `'\127'`, `'\224'`, `'\255'`, `'\204\0'`, `'\204\255'`, `'\205\0\0'`, `'\205\255\255'`, `'\205\1\2'`,
		`'\206\0\0\0\0'`, `'\206\255\255\255\255'`, `'\206\128\0\0\1'`,
		`'\207\0\0\0\0\0\0\0\0'`, `'\207\0\32\0\0\0\0\0\1'`, `'\207\127\255\255\255\255\255\255\255'`,
		`'\207\128\0\0\0\0\0\0\0'`, `'\207\255\255\255\255\255\255\255\255'`,
		`'\208\0'`, `'\208\127'`, `'\208\128'`, `'\208\255'`, `'\209\0\0'`, `'\209\127\255'`, `'\209\128\0'`, `'\209\255\1'`, `'\209\255\255'`,
		`'\210\0\0\0\0'`, `'\210\127\255\255\255'`, `'\210\128\0\0\0'`, `'\210\255\255\255\255'`,
		`'\211\0\0\0\0\0\0\0\0'`, `'\211\127\255\255\255\255\255\255\255'`, `'\211\128\0\0\0\0\0\0\0'`, `'\211\255\255\255\255\255\255\255\254'`,
		// Floats, NaNs and infinities included.
		`'\202\63\128\0\0'`, `'\202\127\128\0\0'`, `'\202\255\128\0\0'`, `'\202\0\0\0\1'`, `'\202\127\127\255\255'`,
		`'\203\63\240\0\0\0\0\0\1'`, `'\203\0\0\0\0\0\0\0\1'`, `'\203\127\240\0\0\0\0\0\0'`, `'\203\128\0\0\0\0\0\0\0'`,
		`'\192'`, `'\194'`, `'\195'`, `'\192\194\195'`,
		// Strings of every header.
		`'\160'`, `'\161a'`, `'\191' .. string.rep('x', 31)`, `'\217\0'`, `'\217\3abc'`, `'\217\255' .. string.rep('y', 255)`,
		`'\218\0\0'`, `'\218\0\2hi'`, `'\218\1\0' .. string.rep('z', 256)`, `'\219\0\0\0\0'`, `'\219\0\0\0\3a\0b'`,
		`'\219\0\1\0\0' .. string.rep('w', 65536)`,
		// Arrays and maps of every header.
		`'\144'`, `'\145\1'`, `'\147\1\2\3'`, `'\159' .. string.rep('\1', 15)`, `'\220\0\0'`, `'\220\0\2\1\2'`,
		`'\221\0\0\0\0'`, `'\221\0\0\0\2\192\1'`, `'\146\192\192'`, `'\147\1\192\3'`,
		`'\128'`, `'\129\161a\1'`, `'\129\1\161a'`, `'\130\1\2\1\3'`, `'\222\0\0'`, `'\222\0\1\161k\145\161v'`,
		`'\223\0\0\0\0'`, `'\223\0\0\0\1\195\194'`, `'\129\161a\192'`, `'\129\202\63\128\0\0\1'`,
		`'\131\161a\1\161b\146\1\2\161c\129\161d\128'`,
		// Several values in a row.
		`'\1\2\3'`, `'\161a\145\1\192'`, `string.rep('\7', 300)`,
		// Types lua-cmsgpack 0.4.0 does not know, and a lone 0xc1.
		`'\193'`, `'\196\1a'`, `'\197\0\1a'`, `'\198\0\0\0\1a'`, `'\199\1\1a'`, `'\200\0\1\1a'`, `'\201\0\0\0\1\1a'`,
		`'\212\1\1'`, `'\213\1\1\1'`, `'\214\1\1\1\1\1'`, `'\215\1' .. string.rep('\0', 8)`, `'\216\1' .. string.rep('\0', 16)`,
		`'\1\193'`, `'\145\193'`, `'\129\1\193'`,
		// Truncated values of every kind.
		`'\204'`, `'\205\1'`, `'\206\1\2\3'`, `'\207\1\2\3\4\5\6\7'`, `'\208'`, `'\209\1'`, `'\210\1\2\3'`, `'\211\1\2\3\4\5\6\7'`,
		`'\202\1\2\3'`, `'\203\1\2\3\4\5\6\7'`, `'\162a'`, `'\217'`, `'\217\2a'`, `'\218\0'`, `'\218\0\2a'`, `'\219\0\0\0'`,
		`'\219\255\255\255\255abc'`, `'\220\0'`, `'\220\0\3\1'`, `'\221\0\0\0'`, `'\221\255\255\255\255\1\2'`, `'\145'`,
		`'\222\0'`, `'\222\0\1\1'`, `'\223\0\0\0'`, `'\223\255\255\255\255\1\2'`, `'\129'`, `'\129\1'`, `'\1\2\204'`,
		// Keys Lua refuses.
		`'\129\192\1'`, `'\129\192\192'`, `'\129\203\127\248\0\0\0\0\0\0\1'`, `'\129\202\255\192\0\0\1'`, `'\129\192\204'`,
		// Numbers given instead of strings are read as their text.
		`12`, `-1`, `1.5`,
	}
	var snippets []string
	for _, in := range inputs {
		snippets = append(snippets,
			"return try(cmsgpack.unpack, "+in+")",
			"return try(cmsgpack.unpack_one, "+in+")",
			"return try(cmsgpack.unpack_limit, "+in+", 2)",
		)
	}
	snippets = append(snippets,
		// Round trips through pack.
		"return all(cmsgpack.unpack(cmsgpack.pack(1, -1, 2^40, -2^40, 0.5, 1/3, 'x', true, false, nil, {1, {2}}, {a = {b = 'c'}})))",
		"return all(cmsgpack.unpack(cmsgpack.pack(nest(20, 1))))",
		"return all(cmsgpack.unpack(cmsgpack.pack(2^63, -2^63, 2^64, 1e300, 1/0, -1/0)))",
		"return all(cmsgpack.unpack(cmsgpack.pack({[1] = 1, [3] = 3}, {[1.5] = 2})))",
		// Decoded arrays with nil holes. Their length (#) is not compared:
		// Lua 5.1 answers any border of the table, 1 for this one where
		// gopher-lua answers 3 (the last non-nil element of its array part).
		"return dump(cmsgpack.unpack('\\147\\1\\192\\3'))",
		"local t = cmsgpack.unpack('\\146\\192\\192') return #t .. dump(t)",
		// Decoded strings share nothing visible with the input.
		"local s = cmsgpack.pack('abc', 'de') local a, b = cmsgpack.unpack(s) return a .. b .. s",
	)
	lib.Diff(t, srv, snippets)
}

func TestUnpackOffsetsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	const stream = `local s = cmsgpack.pack(1, 'two', {3}, nil, 5.5, {a = 6}) `
	var snippets []string
	for _, args := range []string{
		"s", "s, 0", "s, 1", "s, 5", "s, 6", "s, 7", "s, #s - 1", "s, #s", "s, #s + 1", "s, -1", "s, -100",
		"s, 1.9", "s, '5'", "s, ' 0x5 '", "s, 'x'", "s, {}", "s, nil", "s, 2^32 + 5", "s, 2^40", "s, -2^32", "s, 0/0",
		"'', 0", "'', 1", "'\\1', 1",
	} {
		snippets = append(snippets, stream+"return try(cmsgpack.unpack_one, "+args+")")
	}
	for _, args := range []string{
		"s, 0", "s, 0, 0", "s, 0, 1", "s, 1", "s, 2", "s, 6", "s, 7", "s, 100", "s, 2, 1", "s, 3, 5", "s, 2, #s",
		"s, 2, #s + 1", "s, -1", "s, -1, 3", "s, 1, -1", "s", "s, nil", "s, 'x'", "s, '2'", "s, 2.9, 1.5",
		"s, 2^31, 0", "s, 2^40", "s, 0, #s", "s, 1, #s - 1", "'', 0", "'', 1", "'', 0, 1",
	} {
		snippets = append(snippets, stream+"return try(cmsgpack.unpack_limit, "+args+")")
	}
	snippets = append(snippets,
		// Walking a stream value by value, as the offsets are meant to be used.
		stream+"local out, off = {}, 0 while off ~= -1 do local r = {cmsgpack.unpack_one(s, off)} off = r[1] out[#out + 1] = off .. '=' .. dump(r[2]) end return table.concat(out, ' ')",
		stream+"local out, off = {}, 0 while off ~= -1 do local r = {cmsgpack.unpack_limit(s, 4, off)} off = r[1] out[#out + 1] = all(unpack(r, 1, table.maxn(r))) end return table.concat(out, ' / ')",
	)
	lib.Diff(t, srv, snippets)
}

func TestErrorsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	lib.Diff(t, srv, []string{
		// Straight from pcall: no position, and no function name.
		"return try(cmsgpack.pack)",
		"return try(cmsgpack.unpack)",
		"return try(cmsgpack.unpack, nil)",
		"return try(cmsgpack.unpack, {})",
		"return try(cmsgpack.unpack, true)",
		"return try(cmsgpack.unpack, '\\204')",
		"return try(cmsgpack.unpack, '\\193')",
		"return try(cmsgpack.unpack_one)",
		"return try(cmsgpack.unpack_one, {}, 1)",
		"return try(cmsgpack.unpack_one, {}, 'x')",
		"return try(cmsgpack.unpack_one, 'abc', 'x')",
		"return try(cmsgpack.unpack_one, 'abc', 4)",
		"return try(cmsgpack.unpack_limit, 'abc')",
		"return try(cmsgpack.unpack_limit, 'abc', {})",
		"return try(cmsgpack.unpack_limit, 'abc', -3, -2)",
		"return try(cmsgpack.unpack_limit, 'abc', 1, 2^33)",
		"return try(cmsgpack.unpack_limit, nil, 'x')",
		// Called from Lua code by name: the position and the name show.
		"return try(function() return cmsgpack.pack() end)",
		"return try(function() local r = cmsgpack.pack() return r end)",
		"return try(function()\n\n  local x = cmsgpack.unpack('\\204')\n return x end)",
		"return try(function()\n local x = cmsgpack.unpack_one('abc', -1)\n return x end)",
		"return try(function() local f = cmsgpack.unpack_one return f({}) end)",
		"return try(function() local u = cmsgpack.unpack_limit local x = u('a', 'b') return x end)",
		"return try(function() local t = {f = cmsgpack.unpack} return t.f('\\129\\192\\1') end)",
		"return try(function() return cmsgpack['unpack']() end)",
		// An error in the value wins over a nil key.
		"return try(cmsgpack.unpack, '\\129\\192\\204')",
	})
}

func TestStackLimitsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	var snippets []string
	// Top-level values: Lua 5.1 lets a C function use 8000 stack slots.
	for _, n := range []int{7997, 7998, 7999, 8000, 8001} {
		snippets = append(snippets,
			fmt.Sprintf("return try(function() return select('#', cmsgpack.unpack(string.rep('\\1', %d))) end)", n),
			fmt.Sprintf("return try(function() return select('#', cmsgpack.unpack(string.rep('\\1', %d), 1, 2)) end)", n),
			fmt.Sprintf("return try(function() return select('#', cmsgpack.unpack_limit(string.rep('\\1', %d), %d)) end)", n, n),
			fmt.Sprintf("return try(function() return select('#', cmsgpack.unpack_limit(string.rep('\\1', %d) .. '\\1', %d)) end)", n, n),
			fmt.Sprintf("return try(function() return select('#', cmsgpack.unpack(string.rep('\\1', %d) .. '\\145\\145\\1')) end)", n-4),
		)
	}
	// Nesting when decoding: each level of array holds two slots, each
	// level of map one or two.
	for _, d := range []int{3990, 3997, 3998, 3999, 4000, 4100, 100000} {
		snippets = append(snippets,
			fmt.Sprintf("return try(function() local t = cmsgpack.unpack(string.rep('\\145', %d) .. '\\1') local n = 0 while type(t) == 'table' do n = n + 1 t = t[1] end return n end)", d),
			fmt.Sprintf("return try(function() local t = cmsgpack.unpack(string.rep('\\145', %d) .. '\\144') local n = 0 while type(t) == 'table' do n = n + 1 t = t[1] end return n end)", d),
			fmt.Sprintf("return try(function() local t = cmsgpack.unpack(string.rep('\\129\\1', %d) .. '\\1') local n = 0 while type(t) == 'table' do n = n + 1 t = t[1] end return n end)", d*2),
			fmt.Sprintf("return try(function() local t = cmsgpack.unpack(string.rep('\\129', %d) .. '\\1\\1') return type(t) end)", d*2),
			fmt.Sprintf("return try(function() local t = cmsgpack.unpack(string.rep('\\145', %d)) return type(t) end)", d),
		)
	}
	// Packing many arguments: lua_checkstack(L, nargs), then tables near
	// the top of the stack.
	for _, n := range []int{3990, 3996, 3997, 3998, 3999, 4000, 4001, 5000, 7990} {
		snippets = append(snippets,
			fmt.Sprintf("local t = {} for i = 1, %d do t[i] = i end return try(function() return #cmsgpack.pack(unpack(t)) end)", n),
			fmt.Sprintf("local t = {} for i = 1, %d do t[i] = {} end return try(function() return #cmsgpack.pack(unpack(t)) end)", n),
			fmt.Sprintf("local t = {} for i = 1, %d do t[i] = {a = 1} end return try(function() return #cmsgpack.pack(unpack(t)) end)", n),
			fmt.Sprintf("local t = {} for i = 1, %d do t[i] = nest(16, 1) end return try(function() return #cmsgpack.pack(unpack(t)) end)", n),
		)
	}
	lib.Diff(t, srv, snippets)
}
