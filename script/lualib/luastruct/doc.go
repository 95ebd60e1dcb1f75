// Package luastruct is Roberto Ierusalimschy's struct library (struct.c
// 1.7) as Redis 7.0's Lua carries it (global "struct"), written in Go for
// gopher-lua. It packs and unpacks exactly the bytes Redis's build does
// and fails with the same messages; the differential tests hold it to
// redis-server 7.0.15.
//
// The module has pack(fmt, ...), unpack(fmt, s [, pos]) (the values, then
// the position after them) and size(fmt). Format options:
//
//	> <     big, little endian (little at first: Redis's x86-64 build)
//	![n]    align data to at most n bytes (power of 2; 8 without n)
//	x       a zero byte of padding
//	b B     signed, unsigned char      h H  short (2 bytes)
//	l L     long (8 bytes)             T    size_t (8 bytes)
//	i[n] I[n] int of n bytes, 0 to 32 (4 without n)
//	f d     float, double
//	s       zero-terminated string
//	c[n]    n chars (1 without n); c0 is the whole string when packing,
//	        and as many chars as the previous result says when unpacking
//	' '     ignored
//
// The format ends at its first NUL, as a C string. Integers are packed
// through the C conversions to long and unsigned long as x86-64 makes
// them (out of range values give 0x8000000000000000 or 0), sizes past 8
// bytes are padded with zeros, and unpacked integers past 8 bytes keep
// their last 8 bytes and extend the sign with the mask x86-64 computes
// (the C shift count wraps modulo 64).
//
// Errors read as in Redis: "bad argument #1 to 'pack' (invalid format
// option 'q')", "integral size 33 is larger than limit of 32", "integral
// size overflow" (a number past INT_MAX, Redis's hardening against size
// overflows), "alignment 3 is not a power of 2", "bad argument #2 to
// 'unpack' (data string too short)", "bad argument #3 to 'unpack' (offset
// must be 1 or greater)", "unfinished string in data", "format 'c0' needs
// a previous size", "bad argument #1 to 'size' (option 's' has no fixed
// size)", and "stack overflow (too many results)" past the 8000 stack
// slots Lua 5.1 gives a C function. Positions and function names follow
// Lua 5.1's rules ("user_script:1: " when the caller is Lua code, no
// position and '?' straight from pcall). A missing argument to pack is
// "got nil", not "got no value": the C function keeps a nil above its
// arguments. Lua 5.3's string.pack messages ("variable-length format",
// "integral size out of limits", ...) do not exist in this library.
//
// Where it differs from Redis's build, and why:
//
//   - The native byte order is little endian whatever the host, so the
//     server packs the same bytes everywhere; Redis's build takes its
//     host's.
//   - In a method call (struct:pack(...)) Lua 5.1 names a bad first
//     argument "calling 'pack' on bad self" and numbers the others from
//     the second; gopher-lua does not tell a library whether it was called
//     as a method, so the message is that of a plain call.
//   - Unpacked strings share the data string's memory (Go strings are
//     immutable), where Lua copies them; no script can tell.
package luastruct
