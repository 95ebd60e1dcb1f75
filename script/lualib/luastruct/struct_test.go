package luastruct

import (
	"fmt"
	"testing"

	"github.com/redoubt-db/redoubt/script/lualib/internal/luadiff"
)

// The tests run each snippet of Lua with EVAL on the reference
// redis-server 7.0 and in a fresh gopher-lua state with this package
// loaded as the global "struct", and compare the strings the two return
// byte for byte. A snippet returns packed bytes (binary-safe) or a
// description of values built by luadiff.Prelude's helpers. Numbers are described
// by their exact binary value (num), never by tostring, whose float format
// differs between gopher-lua and Lua 5.1.
//
// Error messages are compared whole, positions included: the gopher-lua
// chunk is named "user_script" like Redis's, so "user_script:3: " is
// comparable, and both omit the position when the library function is
// called straight from pcall.

var lib = luadiff.Lib{Global: "struct", Loader: Loader}

func TestPackAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	values := []string{
		"0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "-256", "32767", "32768", "-32768", "-32769",
		"65535", "65536", "2^31-1", "2^31", "-2^31", "-2^31-1", "2^32-1", "2^32", "2^53+2", "-2^53-2",
		"2^63-1024", "2^63", "2^63+2048", "2^64-2048", "2^64", "2^70", "-2^63", "-2^63-2048", "-2^70",
		"1.5", "-1.5", "0.9", "-0.9", "1e30", "-1e30", "1/0", "-1/0", "0/0", "-(0/0)",
		"'10'", "' 0x10 '", "'1e2'", "'-7'", "'  12  '", "'0x'", "'inf'", "'-INFINITY'", "'nan'", "'1e400'", "'12\\0zz'",
	}
	var snippets []string
	for _, opt := range []string{"b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "I2", "i3", "I5", "i7", "i8", "I8",
		"i9", "I12", "i16", "I16", "i32", "i0", ">i", ">h", ">l", ">I3", ">i12", ">I32"} {
		for _, v := range values {
			snippets = append(snippets, fmt.Sprintf("return try(function() return hex(struct.pack('%s', %s)) end)", opt, v))
		}
	}
	for _, opt := range []string{"f", "d", ">f", ">d", "<f", "<d"} {
		for _, v := range append(values, "0.1", "1/3", "1e40", "-1e40", "3.4028235677973366e38", "2^-149", "2^-150", "2^-1074", "'0x1.8p1'", "'nan(0x5)'", "'-nan'") {
			snippets = append(snippets, fmt.Sprintf("return try(function() return hex(struct.pack('%s', %s)) end)", opt, v))
		}
	}
	snippets = append(snippets,
		// Strings: 's' adds a NUL, 'c' is cut or refused, 'c0' takes all.
		"return struct.pack('s', '')", "return struct.pack('s', 'abc')", "return struct.pack('s', 'a\\0b')",
		"return struct.pack('s', 12.5)", "return struct.pack('s', 1e100)", "return struct.pack('s', 2^63)", "return struct.pack('s', -0.1)",
		"return struct.pack('c0', 'hello')", "return struct.pack('c', 'hello')", "return struct.pack('c3', 'hello')",
		"return struct.pack('c5', 'hello')", "return struct.pack('c0c0s', 'a', 'b', 'c')", "return struct.pack('c2', 123)",
		"return struct.pack('c0', string.rep('x', 20000)) == string.rep('x', 20000) and 'same' or 'different'",
		"return try(struct.pack, 'c6', 'hello')", "return try(struct.pack, 'i c6 i', 1, 'hello', 2)",
		"return try(struct.pack, 'c2147483647', 'x')", "return try(struct.pack, 'c2147483648', 'x')",
		// Padding and alignment.
		"return hex(struct.pack('bxh', 1, 2))", "return hex(struct.pack('xxxx'))", "return hex(struct.pack(''))",
		"return hex(struct.pack('!bd', 1, 2))", "return hex(struct.pack('!8bd', 1, 2))", "return hex(struct.pack('!4bd', 1, 2))",
		"return hex(struct.pack('!2bd', 1, 2))", "return hex(struct.pack('!1bd', 1, 2))", "return hex(struct.pack('!16 b i16 b', 1, 2, 3))",
		"return hex(struct.pack('!8 b i3 b i3 b i5', 1, 2, 3, 4, 5, 6))", "return hex(struct.pack('!4 b i6 b i7', 1, 2, 3, 4))",
		"return hex(struct.pack('!4 b h b i b l b f b d', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10))",
		"return hex(struct.pack('b!4i', 1, 2))", "return hex(struct.pack('!4 b c3 i s i', 1, 'abc', 2, 'de', 3))",
		"return hex(struct.pack('>!4 h b i', 1, 2, 3))", "return hex(struct.pack('! b T', 1, 2))",
		"return hex(struct.pack('<i>i<i', 1, 2, 3))", "return hex(struct.pack(' b  b ', 1, 2))",
		"return try(struct.pack, '!2147483648 b', 1)",
		"return hex(struct.pack('!1024 b i32 b i32', 1, 2, 3, 4))", "return hex(struct.pack('!8 b x d', 1, 2))",
		"return hex(struct.pack('b\\0garbage', 1))",
	)
	lib.Diff(t, srv, snippets)
}

func TestUnpackAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	var snippets []string
	// Sign extension and byte order of every integer size, 0 to 32 bytes.
	datas := []string{
		"string.rep('\\255', 40)", "'\\128' .. string.rep('\\0', 39)", "string.rep('\\0', 39) .. '\\128'",
		"'\\1\\2\\3\\4\\5\\6\\7\\8\\9\\10\\11\\12\\13\\14\\15\\16\\17\\18\\19\\20\\21\\22\\23\\24\\25\\26\\27\\28\\29\\30\\31\\32\\33'",
		"'\\255\\254\\253\\252\\251\\250\\249\\248\\247\\246\\245\\244\\243\\242\\241\\240\\239\\238\\237\\236\\235\\234\\233\\232\\231\\230\\229\\228\\227\\226\\225\\224'",
		"string.rep('\\127', 40)", "'\\0\\0\\0\\0\\0\\0\\0\\128' .. string.rep('\\0', 32)", "'\\0\\0\\0\\0\\0\\0\\0\\0\\128' .. string.rep('\\0', 32)",
	}
	for _, d := range datas {
		for _, opt := range []string{"b", "B", "h", "H", "l", "L", "T", "i", "I", "f", "d"} {
			snippets = append(snippets,
				fmt.Sprintf("return try(struct.unpack, '<%s', %s)", opt, d),
				fmt.Sprintf("return try(struct.unpack, '>%s', %s)", opt, d))
		}
		for n := 0; n <= 32; n++ {
			snippets = append(snippets,
				fmt.Sprintf("return try(struct.unpack, '<i%d <I%d', %s .. %s)", n, n, d, d),
				fmt.Sprintf("return try(struct.unpack, '>i%d >I%d', %s .. %s, 3)", n, n, d, d))
		}
	}
	snippets = append(snippets,
		// Round trips.
		"return try(struct.unpack, 'b B h H l L T i I f d', struct.pack('b B h H l L T i I f d', -1, 255, -300, 60000, -2^40, 2^50, 7, -5, 5, 0.1, 0.1))",
		"return try(struct.unpack, '>!4 b i b d', struct.pack('>!4 b i b d', 1, 2, 3, 4.5))",
		"return try(struct.unpack, 's s c3 b c0', struct.pack('s s c3 b c0', 'ab', '', 'xyz', 4, 'tail'))",
		// Positions.
		"return try(struct.unpack, 'b', 'abc', 1)", "return try(struct.unpack, 'b', 'abc', 3)", "return try(struct.unpack, 'b', 'abc', 4)",
		"return try(struct.unpack, '', 'abc', 4)", "return try(struct.unpack, '', 'abc', 100)", "return try(struct.unpack, '<!', 'abc', 100)",
		"return try(struct.unpack, '', 'abc', -5)", "return try(struct.unpack, 'x', 'abc', -5)", "return try(struct.unpack, '<', 'abc', 100)",
		"return try(struct.unpack, 'b', 'abc', 0)", "return try(struct.unpack, 'b', 'abc', 2.9)", "return try(struct.unpack, 'b', 'abc', '2')",
		"return try(struct.unpack, 'b', 'abc', 'x')", "return try(struct.unpack, 'b', 'abc', nil)", "return try(struct.unpack, 'b', 'abc', 0.5)",
		"return try(struct.unpack, '', '', 2^53)", "return try(struct.unpack, '', '', -2^53)", "return try(struct.unpack, 'b', 'abc', -2^63)",
		"return try(struct.unpack, '!4 b i', 'a\\0\\0\\0\\1\\0\\0\\0')", "return try(struct.unpack, '!4 i', 'xx\\0\\0\\1\\0\\0\\0', 2)",
		"return try(struct.unpack, 'xxb', 'abc')", "return try(struct.unpack, 'xxxxb', 'abc')",
		// Strings.
		"return try(struct.unpack, 's', 'ab\\0cd\\0')", "return try(struct.unpack, 'ss', 'ab\\0cd\\0')", "return try(struct.unpack, 'sss', 'ab\\0cd\\0')",
		"return try(struct.unpack, 's', 'abc')", "return try(struct.unpack, 's', '\\0')", "return try(struct.unpack, 's', '')",
		"return try(struct.unpack, 'c2 c1', 'abc')", "return try(struct.unpack, 'c4', 'abc')", "return try(struct.unpack, 'c0', 'abc')",
		"return try(struct.unpack, 'c2147483647', 'abc')",
		// 'c0' takes its length from the previous result.
		"return try(struct.unpack, 'b c0', '\\3abcd')", "return try(struct.unpack, 'b c0 b', '\\3abcd')", "return try(struct.unpack, 'b c0', '\\0abcd')",
		"return try(struct.unpack, 'c0 b', '\\3abcd')", "return try(struct.unpack, 'x c0', '\\3abcd')", "return try(struct.unpack, 'b c0', '\\9abcd')",
		"return try(struct.unpack, 'b c0', '\\255abcd')", "return try(struct.unpack, 'c1 c0', '3abcd')", "return try(struct.unpack, 'c1 c0', 'zabcd')",
		"return try(struct.unpack, 'c2 c0', ' 2abcd')", "return try(struct.unpack, 'd c0', struct.pack('d', 2.7) .. 'abc')",
		"return try(struct.unpack, 'd c0', struct.pack('d', -1) .. 'abc')", "return try(struct.unpack, 'd c0', struct.pack('d', 0/0) .. 'abc')",
		"return try(struct.unpack, 'b b c0 c0', '\\1\\2abc')", "return try(struct.unpack, 'b c0 c0', '\\1abc')",
		// Arguments.
		"return try(struct.unpack, 'b')", "return try(struct.unpack, 'b', {})", "return try(struct.unpack, 'c2', 12)",
		"return try(struct.unpack)", "return try(struct.unpack, {}, 'a')", "return try(struct.unpack, 'q', 'abc')",
		"return try(struct.unpack, 'b\\0q', 'abc')",
	)
	lib.Diff(t, srv, snippets)
}

func TestSizeAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	var snippets []string
	for _, f := range []string{
		"", "b", "B", "h", "H", "l", "L", "T", "i", "I", "f", "d", "x", "c", "c7", "i0", "i1", "i32", "I17",
		"bd", "!bd", "!4bd", "!2 b h b i b l", "! b i3 b i3", "!16 b i16", "<>  <", "q", "z9", "5", "bq!4i",
		"c2147483647", "c2147483647 c2147483647 c2147483647", "!8 b c3 d", "b\\0d",
		// Errors.
		"s", "c0", "i33", "i99999999999", "!3", "!0", "%", "b{", "!2147483648", "\\200",
	} {
		snippets = append(snippets, "return try(function() return struct.size('"+f+"') end)")
	}
	snippets = append(snippets,
		"return try(struct.size)", "return try(struct.size, {})", "return try(struct.size, 12)", "return try(struct.size, 'bq\\0s')",
		"local n = {} for k in pairs(struct) do n[#n + 1] = k end table.sort(n) return table.concat(n, ',')",
	)
	lib.Diff(t, srv, snippets)
}

func TestErrorsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	lib.Diff(t, srv, []string{
		// Straight from pcall: no position, and no function name.
		"return try(struct.pack)", "return try(struct.pack, nil)", "return try(struct.pack, {})", "return try(struct.pack, 12)",
		"return try(struct.pack, 'q')", "return try(struct.pack, 'i%')", "return try(struct.pack, '\\200')",
		"return try(struct.pack, 'i')", "return try(struct.pack, 'i i', 1)", "return try(struct.pack, 's')", "return try(struct.pack, 'c')",
		"return try(struct.pack, 'i', {})", "return try(struct.pack, 'i', 'abc')", "return try(struct.pack, 's', {})", "return try(struct.pack, 'i', nil, 2)",
		"return try(struct.pack, 'f', true)", "return try(struct.pack, 'd', 'x')", "return try(struct.pack, 'i33', 1)", "return try(struct.pack, 'I99999999999', 1)",
		"return try(struct.pack, '!3 i', 1)", "return try(struct.pack, '!0 i', 1)", "return try(struct.pack, '!99999999999 i', 1)",
		"return try(struct.pack, 'i2147483647', 1)", "return try(struct.pack, 'i2147483648', 1)",
		// Called from Lua code by name: the position and the name show.
		"return try(function() return struct.pack('q') end)",
		"return try(function() local r = struct.pack('i') return r end)",
		"return try(function()\n\n  local x = struct.pack('i33', 1)\n return x end)",
		"return try(function()\n local x = struct.unpack('b', 'abc', 0)\n return x end)",
		"return try(function() local u = struct.unpack return u('s', 'abc') end)",
		"return try(function() local p = struct.pack local x = p('c5', 'ab') return x end)",
		"return try(function() return struct.size('s') end)",
		"return try(function() return struct['size']({}) end)",
		"return try(function() return struct.unpack('c0', 'abc') end)",
	})
}

func TestStackLimitsAsRedis(t *testing.T) {
	srv := luadiff.Start(t)
	var snippets []string
	// unpack keeps room for a result and the final position among the
	// 8000 slots Lua 5.1 lets a C function use.
	for _, n := range []int{7995, 7996, 7997, 7998, 7999, 8000} {
		snippets = append(snippets,
			fmt.Sprintf("return try(function() return select('#', struct.unpack(string.rep('b', %d), string.rep('a', 9000))) end)", n),
			fmt.Sprintf("return try(function() return select('#', struct.unpack(string.rep('b', %d), string.rep('a', 9000), 1, 2, 3)) end)", n),
			fmt.Sprintf("return try(function() return select('#', struct.unpack(string.rep('x', %d), string.rep('a', 9000))) end)", n),
			fmt.Sprintf("return try(function() return select('#', struct.unpack('b c0' .. string.rep('b', %d), '\\2' .. string.rep('a', 9000))) end)", n),
		)
	}
	lib.Diff(t, srv, snippets)
}
