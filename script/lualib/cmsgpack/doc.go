// Package cmsgpack is lua-cmsgpack 0.4.0, the MessagePack library of Redis
// 7.0's Lua (global "cmsgpack"), written in Go for gopher-lua. It packs
// and unpacks exactly the bytes Redis's build does and fails with the same
// messages; the differential tests hold it to redis-server 7.0.15.
//
// The module has pack(...), unpack(s), unpack_one(s [, offset]),
// unpack_limit(s, limit [, offset]) and the strings _NAME, _VERSION,
// _COPYRIGHT and _DESCRIPTION. Its behaviour, briefly:
//
//   - A number that holds an int64 exactly packs as the shortest fixint or
//     (u)int 8 to 64; any other as a float 32 when it survives the
//     conversion to float and back, else as a float 64. Strings pack as
//     fixstr or str 8/16/32, never bin. A table packs as an array when its
//     keys are exactly 1..n (the empty table too), else as a map. Tables
//     met 16 levels deep, functions, userdata and threads pack as nil.
//   - unpack reads positive and negative fixints, (u)int 8 to 64 (a uint
//     64 of 2^63 and more wraps negative, as it goes through lua_Integer),
//     float 32/64, nil, booleans, fixstr and str 8/16/32, arrays and maps.
//     bin, ext and 0xc1 are "Bad data format in input." (lua-cmsgpack
//     0.4.0 predates bin); a value cut short is "Missing bytes in input.".
//   - unpack_one and unpack_limit return the offset after what they read
//     (-1 at the end of the string) before the values. A limit and offset
//     of 0 mean unpack, without the offset.
//   - Lua 5.1 lets a C function use 8000 stack slots. The library counts
//     the slots the C code would use and fails where it fails: unpack
//     returns at most about 8000 values, arrays nest about 4000 deep, pack
//     takes at most 4000 arguments, with the same "stack overflow (...)"
//     messages.
//
// Errors read as in Lua 5.1: "bad argument #1 to 'unpack' (string
// expected, got nil)", with the caller's position ("user_script:1: ")
// when the caller is Lua code, without it straight from pcall, and without
// a function name ("?") then. Argument coercions are Lua 5.1's: numbers
// where strings are expected print with "%.14g", numeric strings (as
// glibc's strtod reads them, hexadecimal and "inf" included) are numbers,
// and double to integer conversions give what x86-64 gives.
//
// Where it differs from Redis's build, and why:
//
//   - Maps with several keys pack their pairs in gopher-lua's next()
//     order (the array part, then keys in insertion order), not in Lua
//     5.1's hash order, which depends on Lua's internals. Both decode to
//     the same table.
//   - In a method call (cmsgpack:unpack()) Lua 5.1 names a bad first
//     argument "calling 'unpack' on bad self" and numbers the others from
//     the second; gopher-lua does not tell a library whether it was called
//     as a method, so the message is that of a plain call.
//   - Decoded strings share the input's memory (Go strings are
//     immutable), where Lua copies them; no script can tell.
//   - Float to float conversions and NaN bits are those of Go on the host,
//     which are x86-64's on x86-64 hosts (Redis's reference).
//
// Tables are created with room for the entries their header announces,
// but never more in all than the input has bytes, so a length in the
// input does not make the decoder allocate beyond its size.
package cmsgpack
