// Package cjson is the cjson library of Redis 7.0's Lua scripts (Lua
// CJSON 2.1.0 as Redis builds it) for gopher-lua: cjson.encode,
// cjson.decode, the settings functions (encode_sparse_array,
// encode_max_depth, decode_max_depth, encode_number_precision,
// encode_keep_buffer, encode_invalid_numbers, decode_invalid_numbers),
// cjson.new, cjson.null, _NAME and _VERSION.
//
// It writes and reads the bytes Redis's does: numbers as printf's
// %.14g (or the precision set), integers without a fraction; "/" and
// DEL escaped, bytes from 0x80 passed through unchecked; empty tables as
// {}; the sparse-array rules; the depth limits (1000 by default) and the
// Lua stack limit that caps them; numbers read as glibc's strtod reads
// them (hex, Infinity, NaN accepted by default); \u escapes and
// surrogate pairs to UTF-8; a NUL byte ending the input, as in C. Error
// messages are Redis's, with the position prefix luaL_error gives them
// ("user_script:1: " when called from a script's line, none when called
// through pcall directly); so are the argument errors, whose function
// name comes from the call site as in Lua 5.1.
//
// Differences from Redis's build, all from what gopher-lua has and Lua 5.1
// does not, or the other way round:
//
//   - An object's keys come out in gopher-lua's table order (the array
//     part, then insertion order), where Redis's follow its hash layout:
//     both orders are unspecified, and gopher-lua's does not change from
//     run to run. For the same reason, in the one case where the C code's
//     outcome depends on the order (a table with integer keys from 2^31
//     up), it is decided by gopher-lua's order.
//   - cjson.null is a full userdata, one per Lua state (Null), since
//     gopher-lua has no light userdata. It compares equal only to itself,
//     as a NULL light userdata does in Redis, and tostring gives Redis's
//     "userdata: (nil)" through a __tostring whose metatable is hidden:
//     getmetatable(cjson.null) is false, not nil.
//   - An argument error in a method call (cjson:decode()) counts self
//     as argument #1, where Lua 5.1 does not count it and reports a bad
//     self as "calling 'decode' on bad self": gopher-lua does not tell
//     the two kinds of calls apart.
//
// Decoded strings that have no escapes share the memory of the decoded
// text rather than copying it.
package cjson
