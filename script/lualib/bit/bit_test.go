package bit

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// values are Lua expressions for arguments: integers around every
// boundary of the 32-bit conversion, fractions (ties round to even),
// numbers past 2^51 where the conversion loses bits, ±Inf, NaN, numeric
// strings, and random doubles.
func values(random int) []string {
	v := []string{"0", "1", "-1", "2", "-2", "3", "255", "256", "0.5", "1.5", "2.5", "-0.5", "-1.5", "-2.5",
		"0.49999999999999994", "3.7", "-3.7", "1e-300", "-1e-300",
		"2^31", "2^31-1", "2^31+0.5", "-2^31", "-2^31-1", "2^32", "2^32-1", "2^32+1", "-2^32", "2^33+5",
		"2^51", "2^51-1", "2^51+0.5", "2^51+1.5", "-2^51", "-2^51-0.5", "2^52", "2^52+1", "2^52+3", "-2^52-1",
		"2^53", "2^53+2", "2^53+6", "2^60+2^40+123*2^8", "2^63", "-2^63", "2^64", "2^64+2^20", "2^100",
		"1e10", "-1e10", "1e15", "1e16+2", "1e20", "-1e20", "1e300", "-1e300",
		"(1/0)", "(-1/0)", "(0/0)", "-(0/0)",
		"1437217655", "4294967295", "305419896", "-305419896", "2882400018", "-1737075662",
		`"10"`, `" 0x10 "`, `"1e3"`, `"0x1p4"`, `"-0x80000000"`, `"0xffffffff"`, "\"  12\\t\\n\"", `"2.5"`, `"-2.5"`,
		`"inf"`, `"-inf"`, `"infinity"`, `"nan"`, `"-nan"`, `"nan(5)"`, `"-nan(0x7fffffff)"`, `"nan(0x123456789)"`,
		`"nan()"`, `"nan(abc)"`, `"1\0abc"`, `"0x.8"`, `"1e400"`, `"4294967296.5"`, `"-0"`, `"+5"`, `".5"`, `"5."`,
	}
	r := rand.New(rand.NewSource(int64(random)))
	for i := 0; i < random; i++ {
		var f float64
		switch i % 4 {
		case 0:
			f = float64(r.Uint32())
		case 1:
			f = float64(int64(r.Uint64()) >> r.Intn(64))
		case 2:
			f = r.NormFloat64() * math.Pow(2, float64(r.Intn(70)))
		case 3:
			f = math.Float64frombits(r.Uint64())
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		v = append(v, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return v
}

// counts are second arguments of shifts, rotations and tohex.
var counts = []string{"0", "1", "2", "4", "7", "8", "9", "15", "16", "31", "32", "33", "63", "64", "-1", "-2", "-4",
	"-7", "-8", "-9", "-31", "-32", "-33", "0.5", "1.5", "2.5", "-0.5", "-1.5", "-2.5", "2^31", "-2^31", "2^31-1",
	"2^32-1", "2^32+3", "2^52+3", "(1/0)", "(0/0)", `"3"`, `"-3"`, `" 0x4 "`}

func list(exprs []string) string { return "{" + strings.Join(exprs, ", ") + "}" }

func TestUnaryAsRedis(t *testing.T) {
	d := newDiffer(t)
	vals := list(values(400))
	for _, op := range []string{"tobit", "bnot", "bswap", "tohex"} {
		d.Check(`local v = ` + vals + ` local out = {} for i = 1, #v do out[#out+1] = tostring(bit.` + op + `(v[i])) end return table.concat(out, " ")`)
	}
}

func TestBinaryAsRedis(t *testing.T) {
	d := newDiffer(t)
	vals := list(values(60))
	for _, op := range []string{"lshift", "rshift", "arshift", "rol", "ror", "tohex", "band", "bor", "bxor"} {
		d.Check(`local v, n = ` + vals + `, ` + list(counts) + ` local out = {} for i = 1, #v do local row = {} for j = 1, #n do row[j] = tostring(bit.` + op + `(v[i], n[j])) end out[i] = table.concat(row, " ") end return table.concat(out, "\n")`)
	}
}

func TestVarargsAsRedis(t *testing.T) {
	d := newDiffer(t)
	vals := list(values(40))
	for _, op := range []string{"band", "bor", "bxor"} {
		d.Check(
			`return tostring(bit.`+op+`(1)) .. " " .. tostring(bit.`+op+`(-1)) .. " " .. tostring(bit.`+op+`("7"))`,
			// Every window of 3, 4 and 7 arguments.
			`local v = `+vals+` local out = {} for i = 1, #v - 6 do out[#out+1] = tostring(bit.`+op+`(v[i], v[i+1], v[i+2])) out[#out+1] = tostring(bit.`+op+`(v[i], v[i+1], v[i+2], v[i+3])) out[#out+1] = tostring(bit.`+op+`(unpack(v, i, i + 6))) end return table.concat(out, " ")`,
		)
	}
}

func TestKnownValuesAsRedis(t *testing.T) {
	d := newDiffer(t)
	d.Check(
		// LuaBitOp's own examples.
		`return table.concat({bit.tobit(0xffffffff), bit.tobit(0xffffffff + 1), bit.tobit(2^40 + 1234)}, " ")`,
		`return table.concat({bit.tohex(1), bit.tohex(-1), bit.tohex(0xffffffff), bit.tohex(-1, -8), bit.tohex(0x21, 4), bit.tohex(0x87654321, -4)}, " ")`,
		`return table.concat({bit.bnot(0), bit.bnot(0x12345678), bit.bor(1, 2, 4, 8), bit.band(0x12345678, 0xff), bit.bxor(0xa5a5f0f0, 0xaa55ff00)}, " ")`,
		`return table.concat({bit.lshift(1, 0), bit.lshift(1, 8), bit.lshift(1, 40), bit.rshift(256, 8), bit.rshift(-256, 8), bit.arshift(-256, 8)}, " ")`,
		`return table.concat({bit.lshift(0x87654321, 12), bit.rshift(0x87654321, 12), bit.arshift(0x87654321, 12)}, " ")`,
		`return table.concat({bit.rol(0x12345678, 12), bit.ror(0x12345678, 12), bit.bswap(0x12345678)}, " ")`,
		`return bit.tohex(1, 0) .. "|" .. bit.tohex(255, 9) .. "|" .. bit.tohex(255, -9) .. "|" .. bit.tohex(255, 2^31) .. "|" .. bit.tohex(255, -2^31)`,
		`return tostring(bit.tobit(bit.tobit(2^31)))`,
	)
}

func TestErrorsAsRedis(t *testing.T) {
	d := newDiffer(t)
	var snippets []string
	for _, call := range []string{
		"bit.tobit()", "bit.tobit(nil)", "bit.tobit({})", "bit.tobit(true)", "bit.tobit(bit.tobit)",
		`bit.tobit("")`, `bit.tobit(" ")`, `bit.tobit("abc")`, `bit.tobit("12abc")`, `bit.tobit("0x")`,
		`bit.tobit("1e")`, `bit.tobit("--1")`, `bit.tobit("1 2")`, `bit.tobit("0x1g")`, `bit.tobit("nan(")`,
		`bit.tobit("infinit")`, `bit.tobit("0x1p")`, `bit.tobit("1e+")`,
		"bit.bnot()", "bit.bswap(nil)", "bit.band()", "bit.band(nil)", "bit.band(1, nil)", "bit.band(nil, 1)",
		`bit.band(1, nil, "x")`, `bit.bor("x", nil)`, "bit.bxor(1, 2, {})", "bit.lshift(1)", "bit.lshift(nil, 1)",
		"bit.rshift(1, {})", "bit.arshift()", "bit.rol(1, true)", "bit.ror(1)", "bit.tohex()", "bit.tohex(1, nil)",
		`bit.tohex(1, "x")`, "bit.tohex({}, 1)",
		// Extra arguments are ignored.
		"bit.tobit(1, nil)", "bit.lshift(1, 2, nil)", "bit.tohex(255, 4, {})",
	} {
		snippets = append(snippets, `local ok, e = pcall(function() return `+call+` end) if ok then return "ok: " .. tostring(e) end return e`)
	}
	d.Check(snippets...)
	d.Check(
		`local ok, e = pcall(bit.tobit) return e`,
		`local ok, e = pcall(bit.band, 1, 2, nil) return e`,
		`local ok, e = pcall(bit.tohex, 1, "y") return e`,
		"local ok, e = pcall(function()\n local shl = bit.lshift\n\n return shl(1, nil)\nend) return e",
		"local ok, e = pcall(function()\n local x = bit.bor(1, 2, nil, 4)\n return x\nend) return e",
	)
}
