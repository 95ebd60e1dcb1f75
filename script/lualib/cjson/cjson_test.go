package cjson

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

func TestModuleAsRedis(t *testing.T) {
	d := newDiffer(t)
	d.Check(
		`return cjson._NAME .. " " .. cjson._VERSION`,
		`local t = {} for k in pairs(cjson) do t[#t+1] = k end table.sort(t) return table.concat(t, ",")`,
		`return type(cjson.null) .. " " .. tostring(cjson.null)`,
		`return tostring(cjson.null == cjson.null) .. tostring(cjson.decode("null") == cjson.null)`,
		`return tostring(cjson.new().decode("null") == cjson.null) .. tostring(cjson.new().null == cjson.null)`,
		`local t = {[cjson.null] = "x"} return t[cjson.decode("null")]`,
		`return tostring(coroutine.wrap(function() return cjson.decode("[null]")[1] end)() == cjson.null)`,
		`return cjson.encode({cjson.null, a = nil}) .. cjson.encode(cjson.null) .. cjson.encode(nil)`,
		// cjson.new's settings are its own.
		`local c = cjson.new() c.encode_max_depth(2) return cjson.encode_max_depth() .. " " .. c.encode_max_depth() .. " " .. c._VERSION`,
		`local c = cjson.new() c.encode_max_depth(1) local ok, e = pcall(c.encode, {{}}) return tostring(ok) .. e .. cjson.encode({{}})`,
	)
}

func TestEncodeAsRedis(t *testing.T) {
	d := newDiffer(t)
	d.Check(
		`return cjson.encode({1,2,{a=3}})`,
		`return cjson.encode({})`,
		`return cjson.encode({{}, {{}}, {a={}}})`,
		`return cjson.encode({a={b={c={d="e"}}}})`,
		`return cjson.encode("")`,
		`return cjson.encode(true) .. cjson.encode(false) .. cjson.encode({true, false})`,
		`return cjson.encode({1, nil, 3})`,
		`return cjson.encode({nil, nil, 3})`,
		`return cjson.encode({[1] = "a", [2] = "b", [4] = "d"})`,
		// Escapes: every byte.
		`local t = {} for i = 0, 255 do t[#t+1] = string.char(i) end return cjson.encode(table.concat(t))`,
		`return cjson.encode("a\"b\\c/d\0e\1\31\127\128\255 é €")`,
		`return cjson.encode({["a/b\n\0"] = "x"})`,
		// Number keys are written with %.14g, in quotes.
		`return cjson.encode({[1.5] = 1})`,
		`return cjson.encode({[0] = 1})`,
		`return cjson.encode({[-1] = 1})`,
		`return cjson.encode({[2^31] = 1})`,
		`return cjson.encode({[1e15] = 1})`,
		`return cjson.encode({[1/3] = 1})`,
		`return cjson.encode({1, 2, [2^31] = 3})`,
		`return cjson.encode({["1"] = 1})`,
		`return cjson.encode({[2^53] = 1})`,
		// Mixed tables are objects; their key order is unspecified, so
		// decode them back.
		`local s = cjson.encode({1, 2, x = 1}) local d = cjson.decode(s) return #s .. d["1"] .. d["2"] .. d.x`,
		`local s = cjson.encode({[1] = 1, [3] = 3, [-1] = 0}) local d = cjson.decode(s) return #s .. d["1"] .. d["3"] .. d["-1"]`,
		`local s = cjson.encode({a = 1, b = {c = 2, d = {3}}}) local d = cjson.decode(s) return #s .. d.a .. d.b.c .. d.b.d[1]`,
		// Unsupported values and keys.
		errOf(`cjson.encode(type)`),
		errOf(`cjson.encode({type})`),
		errOf(`cjson.encode({a = {b = coroutine.create(function() end)}})`),
		errOf(`cjson.encode({[true] = 1})`),
		errOf(`cjson.encode({[{}] = 1})`),
		errOf(`cjson.encode({[type] = 1})`),
		errOf(`cjson.encode({[cjson.null] = 1})`),
		// Invalid numbers.
		errOf(`cjson.encode((1/0))`),
		errOf(`cjson.encode({-(1/0)})`),
		errOf(`cjson.encode({a = 0/0})`),
		errOf(`cjson.encode({[(1/0)] = 1})`),
		`cjson.encode_invalid_numbers(true) return cjson.encode({(1/0), -(1/0), 0/0, -(0/0), 1})`,
		`cjson.encode_invalid_numbers("on") return cjson.encode({[(1/0)] = 1})`,
		`cjson.encode_invalid_numbers("null") return cjson.encode({(1/0), -(1/0), 0/0, 1})`,
		`cjson.encode_invalid_numbers("null") return cjson.encode({[-(1/0)] = 1})`,
		`cjson.encode_invalid_numbers("null") cjson.encode_invalid_numbers(false) `+errOf(`cjson.encode(0/0)`),
		// Arguments.
		errOf(`cjson.encode()`),
		errOf(`cjson.encode(1, 2)`),
		errOf(`cjson.encode(nil, nil)`),
		`local ok, e = pcall(cjson.encode) return e`,
		`local ok, e = pcall(cjson.encode, 1, 2) return e`,
		"local ok, e = pcall(function()\n local enc = cjson.encode\n\n return enc()\nend) return e",
		"local ok, e = pcall(function()\n local x = cjson.encode({1, {type}})\n return x\nend) return e",
		// Keeping the buffer or not changes nothing.
		`cjson.encode_keep_buffer(false) local a = cjson.encode({1, "x", {y = 2}}) cjson.encode_keep_buffer(true) return a .. cjson.encode({1, "x", {y = 2}}) .. cjson.encode("z")`,
		`cjson.encode_keep_buffer(false) return cjson.encode({1,2,3}) .. cjson.encode("abc")`,
		`local big = string.rep("ab\"c", 100000) return cjson.encode({big}):sub(1, 50) .. #cjson.encode(big)`,
	)
}

func TestEncodeNegativeZeroAsRedis(t *testing.T) {
	d := newDiffer(t)
	d.Check(
		`local z = 0 return cjson.encode({-z, z, {[-z] = 1}})`,
	)
}

func TestEncodeSparseAsRedis(t *testing.T) {
	d := newDiffer(t)
	d.Check(
		`return cjson.encode({[10] = 1})`,
		errOf(`cjson.encode({[11] = 1})`),
		`return cjson.encode({[1] = 1, [2] = 2, [4] = 4})`,
		`return cjson.encode({1, 2, 3, 4, 5, [12] = 12})`,
		errOf(`cjson.encode({1, 2, 3, 4, 5, [13] = 13})`),
		errOf(`cjson.encode({a = {[1] = 1, [20] = 1}})`),
		errOf(`cjson.encode({[2^31 - 1] = 1})`),
		`local t = {} for i = 1, 100 do t[i] = i end t[201] = 1 `+errOf(`cjson.encode(t)`),
		`local t = {} for i = 1, 100 do t[i] = i end t[200] = 1 return cjson.encode(t)`,
		// Conversion to an object.
		`cjson.encode_sparse_array(true) return cjson.encode({[20] = 1})`,
		`cjson.encode_sparse_array(true) return cjson.encode({[10] = 1})`,
		`cjson.encode_sparse_array("on") local s = cjson.encode({1, [30] = 2}) local d = cjson.decode(s) return #s .. d["1"] .. d["30"]`,
		// Keys past gopher-lua's array part (2^26).
		errOf(`cjson.encode({[2^26 + 5] = 1})`),
		`cjson.encode_sparse_array(true) return cjson.encode({[2^26 + 5] = 1})`,
		`cjson.encode_sparse_array(true) local s = cjson.encode({1, 2, [2^26] = 3}) local d = cjson.decode(s) return #s .. d["1"] .. d["2"] .. d["67108864"]`,
		`cjson.encode_sparse_array(false, 0) local s = cjson.encode({[2^31] = 1, [2^40] = 2}) local d = cjson.decode(s) return #s .. d["2147483648"] .. d["1099511627776"]`,
		// Ratio 0: never sparse.
		`cjson.encode_sparse_array(false, 0) return cjson.encode({[20] = 1})`,
		`cjson.encode_sparse_array(nil, 0) return cjson.encode({[3] = 1, [1000] = 2})`,
		// Ratio 1: an array must have all its elements, beyond safe.
		`cjson.encode_sparse_array(false, 1, 0) `+errOf(`cjson.encode({1, nil, 3})`),
		`cjson.encode_sparse_array(false, 1, 0) return cjson.encode({1, 2, 3})`,
		`cjson.encode_sparse_array(false, 3, 100) return cjson.encode({[100] = 1})`,
		`cjson.encode_sparse_array(false, 3, 1) `+errOf(`cjson.encode({[4] = 1})`),
		`cjson.encode_sparse_array(false, 3, 1) return cjson.encode({[3] = 1})`,
		// items * ratio wraps in 32 bits.
		`cjson.encode_sparse_array(false, 2147483647, 0) `+errOf(`cjson.encode({1, 2, [5] = 5})`),
		`cjson.encode_sparse_array(false, 1073741824, 0) `+errOf(`cjson.encode({1, 2, [5] = 5})`),
		`cjson.encode_sparse_array(false, 1073741823, 0) `+errOf(`cjson.encode({1, 2, [5] = 5})`),
		`cjson.encode_sparse_array(false, 715827882, 0) `+errOf(`cjson.encode({1, 2, [5] = 5})`),
		`cjson.encode_sparse_array(false, 715827883, 0) `+errOf(`cjson.encode({1, 2, [5] = 5})`),
	)
}

func TestEncodeDepthAsRedis(t *testing.T) {
	d := newDiffer(t)
	arrays := func(n int) string {
		return fmt.Sprintf(`local t = {} local c = t for i = 2, %d do c[1] = {} c = c[1] end `, n)
	}
	objects := func(n int) string {
		return fmt.Sprintf(`local t = {} local c = t for i = 2, %d do c.a = {} c = c.a end `, n)
	}
	mixed := func(n int) string {
		return fmt.Sprintf(`local t = {} local c = t for i = 2, %d do if i %% 2 == 0 then c.a = {} c = c.a else c[1] = {} c = c[1] end end `, n)
	}
	d.Check(
		arrays(1000)+`return cjson.encode(t)`,
		arrays(1001)+errOf(`cjson.encode(t)`),
		objects(1000)+`return cjson.encode(t)`,
		objects(1001)+errOf(`cjson.encode(t)`),
		`local t = {} t[1] = t `+errOf(`cjson.encode(t)`),
		`local t = {} t.a = t `+errOf(`cjson.encode(t)`),
		`cjson.encode_max_depth(1) return cjson.encode({1, 2})`,
		`cjson.encode_max_depth(1) `+errOf(`cjson.encode({{}})`),
		`cjson.encode_max_depth(3) `+errOf(`cjson.encode({a = {b = {c = {}}}})`),
		`cjson.encode_max_depth(3) return cjson.encode({a = {b = {c = 1}}})`,
		// Beyond Lua's stack limit for C functions (8000 slots): arrays
		// take one slot a level, objects two.
		`cjson.encode_max_depth(100000) `+arrays(7997)+errOf(`#cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+arrays(7998)+errOf(`cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+arrays(9000)+errOf(`cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+objects(3999)+errOf(`#cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+objects(4000)+errOf(`cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+mixed(5331)+errOf(`#cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+mixed(5333)+errOf(`cjson.encode(t)`),
		`cjson.encode_max_depth(100000) `+mixed(5334)+errOf(`cjson.encode(t)`),
	)
}

// numberLiterals returns Lua literals of doubles of many shapes: Go's
// shortest representation reads back exactly in both Luas.
func numberLiterals(n int, seed int64) []string {
	r := rand.New(rand.NewSource(seed))
	fixed := []float64{0, 1, -1, 0.1, 0.5, 1.0 / 3, 2.0 / 3, 100, 1e14 - 1, 1e14, 1e14 + 1, 1e15 - 1, 1e15, 1e16,
		123456789012345, 12345678901234.5, 99999999999999.5, 999999999999999, 1 << 53, 1<<53 + 2, 1 << 62, 1 << 63,
		-(1 << 63), 1e21, 1e22, 1e100, 1e300, 1.7976931348623157e308, 2.2250738585072014e-308, 5e-324,
		1e-4, 1e-5, 0.0001234, 0.00001234, 123.456, -1.5e-7, 3.14159265358979, 2.718281828459045, 4.35, 0.3,
		1e-300, 9.5, 0.95, 0.095, 12345.5, 2147483647, 2147483648, -2147483648, 4294967296, 4294967295.5}
	var out []string
	for _, f := range fixed {
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
		if f != 0 {
			out = append(out, strconv.FormatFloat(-f, 'g', -1, 64))
		}
	}
	for len(out) < n {
		var f float64
		switch r.Intn(5) {
		case 0:
			f = math.Float64frombits(r.Uint64())
		case 1:
			f = float64(r.Int63n(1e16)) / math.Pow(10, float64(r.Intn(20)))
		case 2:
			f = math.Round(r.NormFloat64()*1e6) / 1e3
		case 3:
			f = float64(r.Int63()) * math.Pow(10, float64(r.Intn(60)-30))
		case 4:
			f = float64(r.Int63n(1e15)) + 0.5
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return out
}

func TestEncodeNumbersAsRedis(t *testing.T) {
	d := newDiffer(t)
	lits := numberLiterals(1200, 1)
	var snippets []string
	for i := 0; i < len(lits); i += 200 {
		list := strings.Join(lits[i:min(i+200, len(lits))], ",")
		snippets = append(snippets,
			`return cjson.encode({`+list+`})`,
			// Every precision.
			`local v = {`+list+`} local out = {} for p = 1, 14 do cjson.encode_number_precision(p) out[#out+1] = cjson.encode(v) end return table.concat(out, "\n")`,
		)
	}
	d.Check(snippets...)
	d.Check(
		`cjson.encode_number_precision(3) return cjson.encode({[1/3] = 1})`,
		`cjson.encode_number_precision(1) return cjson.encode({9.5, 95, 0.95, 1e15, 12})`,
		`cjson.encode_number_precision(14) return cjson.encode({1/3})`,
	)
}

func TestDecodeAsRedis(t *testing.T) {
	d := newDiffer(t)
	rt := func(json string) string {
		return `return cjson.encode(cjson.decode(` + luaQuote(json) + `))`
	}
	d.Check(
		rt(`[1,2,3]`),
		rt(`[]`),
		rt(`{}`),
		rt(`[[],{},[[]],[{}]]`),
		rt(`{"a":{"b":{"c":[1,"x",true,false,null]}}}`),
		rt(" \t\r\n[ 1 , 2 ,\n\t3 ] \r\n"),
		rt(`"abc"`),
		rt(`true`),
		rt(`null`),
		rt(`123`),
		rt(`[1, -1, 1.5, 1e5, 1E+5, 1e-5, -0, 0.1e-2, 123456789012345678901234567890, 1e-400]`),
		`cjson.encode_invalid_numbers(true) `+rt(`[1e400, -1e400, 1e309]`),
		rt(`{"a":1,"a":2}`),
		rt(`{"":""}`),
		rt(`["a\u0041\u00e9\u20ac\ud83d\ude00\u0000b", "\uDBFF\uDFFF", "\u007f\u0080\u07ff\u0800\uffff"]`),
		rt(`["\"\\\/\b\f\n\r\t"]`),
		rt("[\"raw\x01\x1f\x7f\x80\xff controls\"]"),
		rt(`[1]`+"\x00"+`garbage`),
		rt(`[1, "a\u0000b"]`),
		`return cjson.encode(cjson.decode(123))`,
		`return cjson.encode(cjson.decode(-1.5))`,
		`return cjson.encode(cjson.decode(2^60))`,
		// Decoded values: types, null, array lengths.
		`local t = cjson.decode('[1,"2",null,true,{"a":null}]') return #t .. type(t[1]) .. type(t[2]) .. tostring(t[3] == cjson.null) .. type(t[4]) .. tostring(t[5].a == cjson.null)`,
		`local t = cjson.decode('{"1":1,"b":2}') return tostring(t[1]) .. t["1"] .. t.b`,
		`local t = cjson.decode('[1,2,[3,4]]') return #t .. #t[3]`,
		`return string.format("%.17g", cjson.decode("0.1")) .. string.format(" %.17g", cjson.decode("[1.7976931348623157e308]")[1])`,
		`local t = cjson.decode("[2.2250738585072011e-308, 4.9e-324, 2.4703282292062328e-324, 2.4703282292062327e-324]") return string.format("%.17g %.17g %.17g %.17g", t[1], t[2], t[3], t[4])`,
		`local t = cjson.decode("[9007199254740993, 0.30000000000000004, 123456789.12345678]") return string.format("%.17g %.17g %.17g", t[1], t[2], t[3])`,
	)
}

func TestDecodeInvalidNumbersAsRedis(t *testing.T) {
	d := newDiffer(t)
	nums := []string{"0x10", "-0x10", "0X1F", "0x1p4", "0x1.8p1", "-0x.8", "0x", "0x.", "+1", "+", "-", "--1", "-.5", ".5",
		"01", "-01", "00", "1.", "1.e2", "1e", "1e+", "1E-2", "Infinity", "-Infinity", "infinity", "inf", "-inf", "INF",
		"Inf", "infinit", "NaN", "nan", "-nan", "NAN", "nan(123)", "-nan(0x10)", "nan(", "nan()", "Nan", "+inf",
		"+nan", "i", "n", "nu", "nul", "t", "tru", "f", "fals", "true1", "nullx", "-x", "1x", "1-2", "0x1g", "0xg"}
	var snippets []string
	for _, n := range nums {
		json := "[" + n + "]"
		// The numbers are re-encoded with invalid numbers allowed, the
		// errors returned.
		snippets = append(snippets,
			`cjson.encode_invalid_numbers(true) local ok, v = pcall(cjson.decode, `+luaQuote(json)+`) if ok then return cjson.encode(v) end return v`,
			`cjson.decode_invalid_numbers(false) cjson.encode_invalid_numbers(true) local ok, v = pcall(cjson.decode, `+luaQuote(json)+`) if ok then return cjson.encode(v) end return v`,
			`cjson.encode_invalid_numbers(true) local ok, v = pcall(cjson.decode, `+luaQuote(n)+`) if ok then return cjson.encode(v) end return v`,
		)
	}
	d.Check(snippets...)
}

func TestDecodeErrorsAsRedis(t *testing.T) {
	d := newDiffer(t)
	docs := []string{"", " ", "[", "[1,", "[1,]", "[1 2]", "[1;", "{", "{}}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}",
		"{1:2}", "{\"a\":1 \"b\":2}", "{[]:1}", "{null:1}", "]", "}", ",", ":", "1 2", "[1] [2]", "\"abc", "\"a\\", "\"\\x\"",
		"\"\\u12\"", "\"\\u12g4\"", "\"\\uD800\"", "\"\\uD800x\"", "\"\\uD800\\u0041\"", "\"\\uDC00\\uD800\"", "\"\\uDBFF\"",
		"\"\\uD800\\uDBFF\"", "\"\\uD800\\", "\"\\u", "'a'", "abc", "True", "@", "[1,2,3,@]", "{\"a\":[1,{\"b\":x}]}",
		"\x00", "\x00\x00", "a\x00", "[\x00]", "\"ab\x00cd\"", "[1,\x00", "\xef\xbb\xbf[1]", "/* */[1]", "[1]//",
		"[\"\\u00e9\", \"\\uZZZZ\"]", "\"\\/\\'\"", "[-]", "[1e999999999999, -]", "{\"a\":1,\"b\":2,\"c\"}"}
	var snippets []string
	for _, doc := range docs {
		snippets = append(snippets, `local ok, e = pcall(cjson.decode, `+luaQuote(doc)+`) return tostring(ok) .. " " .. (ok and "" or e)`)
	}
	d.Check(snippets...)
	d.Check(
		errOf(`cjson.decode()`),
		errOf(`cjson.decode("1", 2)`),
		errOf(`cjson.decode(nil)`),
		errOf(`cjson.decode({})`),
		errOf(`cjson.decode(true)`),
		errOf(`cjson.decode(type)`),
		errOf(`cjson.decode("[1,")`),
		`local ok, e = pcall(cjson.decode) return e`,
		`local ok, e = pcall(cjson.decode, "[", 1) return e`,
		"local ok, e = pcall(function()\n\n local dec = cjson.decode\n return dec('{\"a\":') end) return e",
		"local ok, e = pcall(function()\n local x = cjson.decode('{\"a\" 1}')\n return x end) return e",
	)
}

func TestDecodeDepthAsRedis(t *testing.T) {
	d := newDiffer(t)
	arrays := func(n int) string {
		return `string.rep("[", ` + strconv.Itoa(n) + `) .. string.rep("]", ` + strconv.Itoa(n) + `)`
	}
	objects := func(n int) string {
		return `string.rep('{"a":', ` + strconv.Itoa(n) + `) .. "1" .. string.rep("}", ` + strconv.Itoa(n) + `)`
	}
	mixed := func(n int) string {
		return `string.rep('{"a":[', ` + strconv.Itoa(n/2) + `) .. "1" .. string.rep("]}", ` + strconv.Itoa(n/2) + `)`
	}
	dec := func(doc string) string {
		return `local ok, v = pcall(cjson.decode, ` + doc + `) if not ok then return v end local ok2, s = pcall(cjson.encode, v) return "ok " .. (ok2 and #s or s)`
	}
	d.Check(
		dec(arrays(1000)),
		dec(arrays(1001)),
		dec(objects(1000)),
		dec(objects(1001)),
		dec(`"  " .. `+arrays(1001)),
		dec(`"[1, [2, " .. `+objects(999)+` .. "]]"`),
		`cjson.decode_max_depth(1) `+dec(`"[1,2]"`),
		`cjson.decode_max_depth(1) `+dec(`"[[1]]"`),
		`cjson.decode_max_depth(2) `+dec(`'{"a":{"b":[]}}'`),
		`cjson.decode_max_depth(3) `+dec(`'{"a":{"b":[]}}'`),
		// Beyond Lua's stack limit for C functions.
		`cjson.decode_max_depth(100000) cjson.encode_max_depth(100000) `+dec(arrays(7998)),
		`cjson.decode_max_depth(100000) `+dec(arrays(7999)),
		`cjson.decode_max_depth(100000) cjson.encode_max_depth(100000) `+dec(objects(3998)),
		`cjson.decode_max_depth(100000) `+dec(objects(3999)),
		`cjson.decode_max_depth(100000) cjson.encode_max_depth(100000) `+dec(mixed(5330)),
		`cjson.decode_max_depth(100000) `+dec(mixed(5332)),
		`cjson.decode_max_depth(100000) `+dec(mixed(5334)),
	)
}

func TestSettingsAsRedis(t *testing.T) {
	d := newDiffer(t)
	show := `local a, b, c = cjson.encode_sparse_array() return table.concat({tostring(a), b, c, cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), tostring(cjson.encode_keep_buffer()), tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers())}, " ")`
	d.Check(
		show,
		`local a, b, c = cjson.encode_sparse_array(true, 5, 7) return tostring(a) .. b .. c`,
		`cjson.encode_sparse_array("on", 5) `+show,
		`cjson.encode_sparse_array(nil, nil, 3) `+show,
		`cjson.encode_max_depth(5) cjson.decode_max_depth("6") cjson.encode_number_precision(7.9) cjson.encode_keep_buffer("off") cjson.encode_invalid_numbers("null") cjson.decode_invalid_numbers(false) `+show,
		`cjson.encode_invalid_numbers("on") cjson.decode_invalid_numbers("off") `+show,
		`cjson.encode_max_depth(2^32 + 5) `+show,
		`cjson.encode_max_depth(" 0x10 ") `+show,
		`return tostring(cjson.encode_invalid_numbers(false)) .. tostring(cjson.encode_invalid_numbers("null")) .. tostring(cjson.encode_invalid_numbers(true))`,
		`return tostring(cjson.encode_keep_buffer(false)) .. tostring(cjson.decode_invalid_numbers(true))`,
		errOf(`cjson.encode_max_depth(0)`),
		errOf(`cjson.encode_max_depth(-1)`),
		errOf(`cjson.encode_max_depth(2^31)`),
		errOf(`cjson.encode_max_depth(2^63)`),
		errOf(`cjson.encode_max_depth(0/0)`),
		errOf(`cjson.encode_max_depth("x")`),
		errOf(`cjson.encode_max_depth("")`),
		errOf(`cjson.encode_max_depth(true)`),
		errOf(`cjson.encode_max_depth({})`),
		errOf(`cjson.encode_max_depth(1, 2)`),
		errOf(`cjson.decode_max_depth(0)`),
		errOf(`cjson.decode_max_depth(nil, nil)`),
		errOf(`cjson.encode_number_precision(0)`),
		errOf(`cjson.encode_number_precision(15)`),
		errOf(`cjson.encode_number_precision(14)`),
		errOf(`cjson.encode_number_precision(1)`),
		errOf(`cjson.encode_sparse_array(true, -1)`),
		errOf(`cjson.encode_sparse_array(true, 1, -1)`),
		errOf(`cjson.encode_sparse_array(true, 1, 1, 1)`),
		errOf(`cjson.encode_sparse_array("yes")`),
		errOf(`cjson.encode_sparse_array(1)`),
		errOf(`cjson.encode_sparse_array({})`),
		errOf(`cjson.encode_sparse_array(false, "x")`),
		// A failed call keeps what it changed before failing.
		`pcall(cjson.encode_sparse_array, true, -1) `+show,
		`pcall(cjson.encode_sparse_array, true, 4, "x") `+show,
		errOf(`cjson.encode_invalid_numbers("maybe")`),
		errOf(`cjson.encode_invalid_numbers(1)`),
		errOf(`cjson.encode_invalid_numbers("on\0x")`),
		errOf(`cjson.encode_invalid_numbers("no\0x")`),
		errOf(`cjson.encode_invalid_numbers({})`),
		errOf(`cjson.decode_invalid_numbers("null")`),
		errOf(`cjson.encode_keep_buffer(0)`),
		errOf(`cjson.encode_keep_buffer(true, 1)`),
		`local ok, e = pcall(cjson.encode_max_depth, 0) return e`,
		`local ok, e = pcall(cjson.encode_keep_buffer, "x") return e`,
		`local ok, e = pcall(cjson.encode_sparse_array, nil, nil, nil, nil) return e`,
		"local ok, e = pcall(function()\n local f = cjson.encode_number_precision\n return f(99)\nend) return e",
	)
}

// TestDecodeNumberGrammarAsRedis feeds strtod's grammar, at random, to
// decode, with both settings of decode_invalid_numbers, and prints what
// it reads with all 17 digits.
func TestDecodeNumberGrammarAsRedis(t *testing.T) {
	d := newDiffer(t)
	r := rand.New(rand.NewSource(3))
	const alphabet = "0123456789012345678901234567890123456789.eE+-xXpPaAfFinINtyY()_ ,]["
	for _, invalid := range []string{"true", "false"} {
		for chunk := 0; chunk < 4; chunk++ {
			var docs []string
			for i := 0; i < 400; i++ {
				var b strings.Builder
				array := r.Intn(2) == 0
				if array {
					b.WriteByte('[')
				}
				if i%2 == 0 {
					for n := 1 + r.Intn(14); n > 0; n-- {
						b.WriteByte(alphabet[r.Intn(len(alphabet))])
					}
				} else {
					b.WriteString(numberish(r))
					if array {
						b.WriteByte(']')
					}
				}
				docs = append(docs, luaQuote(b.String()))
			}
			d.Check(`cjson.decode_invalid_numbers(` + invalid + `) cjson.encode_invalid_numbers(true)
local docs, out = {` + strings.Join(docs, ",") + `}, {}
local function show(v)
  if type(v) == "table" then
    local s = {} for i = 1, #v do s[i] = show(v[i]) end return "[" .. table.concat(s, ",") .. "]"
  elseif type(v) == "number" and v == v and v ~= 1/0 and v ~= -1/0 then
    return string.format("%.17g", v)
  end
  return cjson.encode(v)
end
for i = 1, #docs do
  local ok, v = pcall(cjson.decode, docs[i])
  out[i] = ok and show(v) or v
end
return table.concat(out, "\n")`)
		}
	}
}

// numberish makes a string that is a number to strtod, mostly.
func numberish(r *rand.Rand) string {
	pick := func(s ...string) string { return s[r.Intn(len(s))] }
	digits := func(set string, max int) string {
		var b strings.Builder
		for n := r.Intn(max + 1); n > 0; n-- {
			b.WriteByte(set[r.Intn(len(set))])
		}
		return b.String()
	}
	const dec, hex = "0123456789", "0123456789abcdefABCDEF"
	s := pick("", "", "-", "+")
	switch r.Intn(6) {
	case 0, 1, 2:
		s += digits(dec, 20)
		if r.Intn(2) == 0 {
			s += "." + digits(dec, 20)
		}
		if r.Intn(2) == 0 {
			s += pick("e", "E") + pick("", "+", "-") + digits(dec, 4)
		}
	case 3:
		s += pick("0x", "0X") + digits(hex, 16)
		if r.Intn(2) == 0 {
			s += "." + digits(hex, 16)
		}
		if r.Intn(2) == 0 {
			s += pick("p", "P") + pick("", "+", "-") + digits(dec, 5)
		}
	case 4:
		s += pick("inf", "Inf", "INF", "infinity", "Infinity", "INFINITY", "infin")
	case 5:
		s += pick("nan", "NaN", "NAN") + pick("", "(", "()", "("+digits(hex+"xX_", 8)+")")
	}
	return s + pick("", "", "", " ", "]", "x", ",1]", "e", ".")
}
