// Package script runs Lua 5.1 scripts as Redis 7.0 does: EVAL's script
// cache and FUNCTION's libraries, on one Lua state (gopher-lua) that
// lives as long as the server, with Redis's sandbox, its redis.* API
// and the conversions between Lua values and RESP replies.
//
// # How it fits
//
// The package knows nothing of clients, sockets or the keyspace. A
// script reaches the server through Host: Call runs one command (with
// every check Redis's scriptCall makes, which the server owns: arity,
// noscript, read-only scripts, MISCONF, OOM) and hands back its reply as
// RESP bytes, which this package turns into Lua values exactly as Redis's
// reply parser does. The value a script returns is written to the
// caller's protocol.Writer by the opposite conversion.
//
// A script runs as one execution unit of the engine, under the engine
// lock, on the goroutine of the loop that read the command. The server
// arranges that (and the propagation of the script's effects); this
// package only runs the Lua.
//
// # Interruption
//
// gopher-lua has no instruction-count hook, but it polls a context's
// Done method between every two instructions when a context is set.
// The VM sets its own context, whose Done is the hook: it counts calls
// and every few thousand instructions asks the host (Host.Interrupt),
// which notices a script past busy-reply-threshold, serves other clients
// meanwhile and takes SCRIPT KILL. Once the run is killed, Done returns
// a closed channel, so the VM raises an error before every instruction:
// a pcall in the script cannot swallow the kill, as in Redis where the
// hook is set to fire on every line after a kill. Coroutines get the
// same context, so a loop inside a coroutine is interrupted too.
//
// # The debugger
//
// SCRIPT DEBUG's sessions (ldb.go) replace the hook for the session's
// EVAL with one that runs on every instruction, works out where Lua
// 5.1's line hook would fire from the running frame (ldbframe.go reads
// it from gopher-lua's unexported fields) and, at a stop, talks with the
// client through the host's DebugConn until a command resumes the
// script. The ordinary hook is back once the session ends. A debugged
// script is not interrupted for busy-reply-threshold: the host serves
// other clients while the session waits for its client.
//
// # The sandbox
//
// Redis 7.0.15 locks the global table and every table reachable from it
// (a read-only flag it added to its Lua). gopher-lua has no such flag, so
// protected tables are replaced by empty proxies whose __index reads the
// real table and whose __newindex fails with Redis's "Attempt to modify a
// readonly table"; setmetatable, rawset and getmetatable see through the
// proxies and refuse the same way. Reading a global that does not exist
// fails with "Script attempted to access nonexistent global variable".
// loadfile, dofile, print, require, module, getfenv, setfenv, newproxy
// and the io, os and package libraries are absent, as in Redis
// (gopher-lua's getfenv of a Go function answered the real global
// table, past the proxy).
//
// # The common path
//
// A short script's run costs what its commands cost and little more
// (bench/README.md): KEYS and ARGV are two tables refilled for each run;
// globals that exist when a script is compiled are read as constants
// (fold.go), the sandbox's proxies being in the way of every global
// read otherwise; a reply no one reads (redis.call as a statement) is
// not converted (resultDiscarded); short strings from replies and
// arguments share their Lua values (strCache). TestEvalAllocations pins
// the allocations of an EVALSHA doing a GET and a SET: none, or the
// string of a key not seen lately.
//
// # Differences from Redis's Lua
//
// The body of a script has no "arg" table (Lua 5.1's compatibility
// varargs, which gopher-lua would build on every run): a script reading
// arg finds no such global.
//
// A call of a value that is not a function raises Lua's message, with
// the value's name and type (callerr.go); a table or userdata's is
// reworded from gopher-lua's by the error handlers and may call a
// userdata a table. string.dump returns Lua 5.1's bytecode header only;
// loadstring refuses binary chunks as Redis's Lua does.
//
// Numbers print with %.14g through tostring (Redis's Lua), but string
// concatenation of a number uses gopher-lua's formatting, which prints
// some fractions with more digits. Table iteration order (pairs, next)
// is gopher-lua's: a map or set reply built from a Lua table lists its
// elements in a different order than Redis does.
package script
