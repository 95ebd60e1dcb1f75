// Package bit is the bit library of Redis 7.0's Lua scripts (LuaBitOp
// 1.0.2) for gopher-lua: bit.tobit, tohex, bnot, band, bor, bxor,
// lshift, rshift, arshift, rol, ror and bswap.
//
// The operations work on 32-bit integers and return them signed, as
// Lua numbers. Arguments are converted as LuaBitOp converts them on a
// Lua whose numbers are doubles: by adding 2^52+2^51 and taking the low
// 32 bits of the sum, which rounds fractions to even and wraps numbers
// modulo 2^32, and degrades beyond ±2^51 exactly as in Redis. Numeric
// strings are read as Lua 5.1 reads them (strtod: hex, exponents, "inf",
// white space around). tohex's count is taken modulo 2^32 like the other
// arguments; a negative one means upper-case digits, and at most 8 are
// written. Errors are LuaBitOp's ("bad argument #2 to 'band' (number
// expected, got nil)"), with the position prefix luaL_error gives them.
//
// Differences from Redis's build:
//
//   - A NaN converts to its low 32 bits in both, which is 0 for every
//     NaN C arithmetic makes. gopher-lua's math functions make Go's NaN,
//     whose low bits are 1; that NaN converts to 0 here, like the NaNs
//     Redis's Lua makes in the same places. Only a NaN spelled with that
//     payload ("nan(1)") converts otherwise than in Redis.
//   - An argument error in a method call (bit:band(nil)) counts self as
//     argument #1, where Lua 5.1 does not count it and reports a bad self
//     as "calling 'band' on bad self": gopher-lua does not tell the two
//     kinds of calls apart.
package bit
