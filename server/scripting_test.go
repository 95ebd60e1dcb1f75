package server_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// scriptCorpus is sent to Redoubt and redis-server, and the replies must
// be the same bytes: every redis.* function, the conversions in both
// directions, errors raised and caught, flags and the sandbox. Each line
// is split as redis-cli splits it.
const scriptCorpus = `
eval "return 1" 0
eval "return 'hello'" 0
eval "return 3.99" 0
eval "return -3.99" 0
eval "return 1e20" 0
eval "return true" 0
eval "return false" 0
eval "return nil" 0
eval "return {}" 0
eval "return {1,2,3,'four',{5,{6}}}" 0
eval "return {1,2,nil,4}" 0
eval "return {ok='fine'}" 0
eval "return {ok='two\\r\\nlines'}" 0
eval "return {err='MYERR custom'}" 0
eval "return {err='no code here'}" 0
eval "return redis.error_reply('CODE message')" 0
eval "return redis.error_reply('-CODE2 message')" 0
eval "return redis.error_reply('plain')" 0
eval "return redis.status_reply('STATUS')" 0
eval "return redis.error_reply(1)" 0
eval "return {1,{err='inner'},3}" 0
eval "return {double=3.5}" 0
eval "return {big_number='123456789012345678901234567890'}" 0
eval "return {map={a=1}}" 0
eval "return {set={a=true}}" 0
eval "return {verbatim_string={format='txt',string='hello'}}" 0
eval "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2],#KEYS,#ARGV}" 2 k1 k2 a1 a2
eval "return KEYS" 0
eval "table.insert(KEYS, 'x') KEYS.foo = 1 KEYS[3] = 'far' setmetatable(KEYS, {__index=function() return 'meta' end}) return #KEYS" 1 a
eval "return {#KEYS, KEYS[1], tostring(KEYS.foo), tostring(KEYS[2]), tostring(KEYS[3]), #ARGV}" 1 b
eval "return {#KEYS, #ARGV, ARGV[1]}" 0 x
eval "return 1" -1
eval "return 1" 2 onlyone
eval "return 1" notanumber
eval "return redis.call('set','k','v')" 0
eval "return redis.call('get','k')" 0
eval "return redis.call('get','nokey')" 0
eval "return redis.call('incr','counter')" 0
eval "return redis.call('incrbyfloat','fl','1.5')" 0
eval "redis.call('rpush','list','a','b','c') return redis.call('lrange','list',0,-1)" 0
eval "return redis.call('hgetall','nohash')" 0
eval "return redis.call('set','num',3.5)" 0
eval "return redis.call('get','num')" 0
eval "return redis.call('set','num',100000000000000000000)" 0
eval "return redis.call('get','num')" 0
eval "return redis.call('incr','k')" 0
eval "return redis.pcall('incr','k')" 0
eval "local r = redis.pcall('incr','k') return r['err']" 0
eval "return redis.call('lpush','k','x')" 0
eval "return redis.pcall('lpush','k','x')" 0
eval "return redis.call('nosuchcommand')" 0
eval "return redis.pcall('nosuchcommand')" 0
eval "return redis.call('get')" 0
eval "return redis.pcall('get')" 0
eval "return redis.call()" 0
eval "return redis.pcall()" 0
eval "return redis.call('get',{})" 0
eval "return redis.pcall('get',{})" 0
eval "return redis.call('eval','return 1',0)" 0
eval "return redis.pcall('multi')" 0
eval "return redis.pcall('blpop','emptylist',0)" 0
eval "return redis.call('ping')" 0
eval "return redis.call('config','get','maxmemory')" 0
eval "return redis.sha1hex('')" 0
eval "return redis.sha1hex('Pizza & Mandolino')" 0
eval "return redis.sha1hex()" 0
eval "return pcall(redis.sha1hex)" 0
eval "local ok, e = pcall(function() redis.call('nosuch') end) return e" 0
eval "local ok, e = pcall(function() error({err='TABLEERR x'}) end) return e" 0
eval "local ok, e = pcall(function() error('str') end) return e" 0
eval "return {pcall(function() return 1, 2 end)}" 0
eval "error('boom')" 0
eval "error({err='TABLEERR via error'})" 0
eval "error(42)" 0
eval "error()" 0
eval "return redis.REDIS_VERSION" 0
eval "return redis.REDIS_VERSION_NUM" 0
eval "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
eval "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}" 0
eval "redis.log(redis.LOG_WARNING, 'from a script', 1, 2.5)" 0
eval "redis.log()" 0
eval "redis.log('x','y')" 0
eval "redis.log(10,'y')" 0
eval "return redis.setresp(4)" 0
eval "return redis.setresp()" 0
eval "return redis.set_repl(99)" 0
eval "return redis.set_repl()" 0
eval "return redis.replicate_commands()" 0
eval "return redis.breakpoint()" 0
eval "return redis.debug('x')" 0
eval "return redis.acl_check_cmd('set','k','v')" 0
eval "return redis.acl_check_cmd('nosuch')" 0
eval "return redis.acl_check_cmd()" 0
eval "x = 5" 0
eval "return undefined_global" 0
eval "return print" 0
eval "return loadfile" 0
eval "return dofile" 0
eval "redis.call = function() return 1 end" 0
eval "setmetatable(_G, {})" 0
eval "_G = {}" 0
eval "local g = getmetatable(_G) g.__index = {}" 0
eval "rawset(_G, 'x', 1)" 0
eval "string.upper = nil" 0
eval "return type(_G)" 0
eval "return {type(redis), type(string), type(table), type(math), type(coroutine), type(loadstring), type(os), type(io), type(debug), type(require)}" 0
eval "return tostring(1/3)" 0
eval "return tostring(100)" 0
eval "return tostring(2^53)" 0
eval "return tostring(-0.5)" 0
eval "return tonumber('0x10')" 0
eval "return string.format('%d %s %5.2f', 3, 'x', 1.5)" 0
eval "return math.random(10)" 0
eval "math.randomseed(42) return {math.random(100), math.random(100)}" 0
eval "return math.floor(math.random()*1000)" 0
eval "local t = {} for i=1,10 do t[#t+1]=i end return table.concat(t, ',')" 0
eval "local co = coroutine.create(function(a) coroutine.yield(a+1) return 7 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co) return {x, y}" 0
eval "return loadstring('return 1+1')()" 0
eval "return _VERSION" 0
eval "return select('#', 1, 2, 3)" 0
eval "return {unpack({1,2,3})}" 0
eval "#!lua\\nreturn 1" 0
eval "#!lua flags=no-writes\\nreturn redis.call('get','k')" 0
eval "#!lua flags=no-writes\\nreturn redis.call('set','k','v')" 0
eval "#!lua flags=no-writes\\nreturn redis.pcall('set','k','v')" 0
eval "#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\\nreturn 1" 0
eval "#!lua flags=bogus\\nreturn 1" 0
eval "#!lua something\\nreturn 1" 0
eval "#!python\\nreturn 1" 0
eval "#!lua" 0
eval "#!lua\\n\\nerror('on line 3')" 0
eval_ro "return redis.call('get','k')" 0
eval_ro "return redis.call('set','k','v')" 0
eval_ro "return redis.pcall('set','k','v')" 0
eval_ro "#!lua\\nreturn 1" 0
eval_ro "#!lua flags=no-writes\\nreturn 1" 0
eval_ro "return redis.call('publish','ch','m')" 0
evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
evalsha 0000000000000000000000000000000000000000 0
evalsha short 0
script load "return 'loaded'"
evalsha b534286061d4b9e4026607613b95c06c06015ae8 0
evalsha B534286061D4B9E4026607613B95C06C06015AE8 0
evalsha_ro b534286061d4b9e4026607613b95c06c06015ae8 0
script exists b534286061d4b9e4026607613b95c06c06015ae8 0000000000000000000000000000000000000000
script kill
script flush
script flush async
script flush bogus
script exists b534286061d4b9e4026607613b95c06c06015ae8
script bogus
~hello 3
eval "return true" 0
eval "return false" 0
eval "return nil" 0
eval "return {double=3.5}" 0
eval "return {map={a=1}}" 0
eval "return {set={a=true}}" 0
eval "return {big_number='1234'}" 0
eval "return {verbatim_string={format='txt',string='hello'}}" 0
eval "redis.setresp(3) return redis.call('hgetall','nohash')" 0
eval "redis.call('hset','h3','f','v') redis.setresp(3) return redis.call('hgetall','h3')" 0
eval "redis.setresp(3) local r = redis.call('hgetall','h3') return r['map']['f']" 0
eval "redis.setresp(3) return redis.call('get','nokey')" 0
eval "redis.setresp(3) return {redis.call('get','nokey') == nil}" 0
eval "redis.call('sadd','s3','m') redis.setresp(3) return redis.call('smembers','s3')" 0
eval "redis.setresp(3) local r = redis.call('smembers','s3') return r['set']['m']" 0
eval "redis.setresp(3) return redis.call('zscore','zz','m')" 0
eval "redis.call('zadd','zz',1.5,'m') redis.setresp(3) local r = redis.call('zscore','zz','m') return r['double']" 0
eval "redis.setresp(3) return redis.call('exists','h3')" 0
eval "redis.setresp(3) return {redis.call('client','no-evict','on')}" 0
~hello 2
eval "redis.setresp(3) return redis.call('hgetall','h3')" 0
eval "redis.setresp(3) return redis.call('zscore','zz','m')" 0
eval "redis.setresp(3) return {double=1.25}" 0
`

func TestScriptingMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, line := range strings.Split(scriptCorpus, "\n") {
		// A line starting with ~ goes to both servers, but its reply
		// (HELLO's, with the client's id) is not compared.
		if rest, ok := strings.CutPrefix(line, "~"); ok {
			args := strings.Fields(rest)
			p.Redis.Do(args...)
			p.Redoubt.Do(args...)
			continue
		}
		p.Script(line)
	}
	// Compile errors carry gopher-lua's parser's message in Lua's frame.
	for _, body := range []string{"syntax error here", "return 'unfinished"} {
		got := string(p.Redoubt.Do("eval", body, "0"))
		if !strings.HasPrefix(got, "-ERR Error compiling script (new function): user_script:1: ") {
			t.Errorf("eval %q: %q", body, got)
		}
	}
}

// A script's keyspace changes inside MULTI/EXEC and WATCH behave as
// Redis's: EVAL is queued, and a script touching a watched key fails the
// transaction.
func TestScriptingInTransactions(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
multi
eval "return redis.call('set','k','v')" 0
eval "return redis.call('incr','k')" 0
exec
watch w
eval "return redis.call('set','w','changed')" 0
multi
get w
exec
`)
}

// Errors raised inside scripts count in errorstats as in Redis: once,
// under the code the failing command replied.
func TestScriptingErrorStats(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
config resetstat
set str x
eval "return redis.call('incr','str')" 0
eval "return redis.pcall('incr','str')" 0
eval "return redis.call('nosuch')" 0
eval "return redis.error_reply('MY_ERR x')" 0
eval "return {err='OTHER y'}" 0
eval "error('z')" 0
eval "return redis.pcall('lpush','str','x')" 0
eval_ro "return redis.call('set','k','v')" 0
`)
	for _, field := range []string{"errorstat_ERR", "errorstat_WRONGTYPE", "errorstat_MY_ERR", "errorstat_OTHER", "total_error_replies"} {
		want := infoField(string(p.Redis.Do("info", "errorstats")), field) + infoField(string(p.Redis.Do("info", "stats")), field)
		got := infoField(string(p.Redoubt.Do("info", "errorstats")), field) + infoField(string(p.Redoubt.Do("info", "stats")), field)
		if want != got {
			t.Errorf("%s: redis %q, redoubt %q", field, want, got)
		}
	}
	for _, cmd := range []string{"cmdstat_eval", "cmdstat_incr", "cmdstat_lpush", "cmdstat_set"} {
		want := infoField(string(p.Redis.Do("info", "commandstats")), cmd)
		got := infoField(string(p.Redoubt.Do("info", "commandstats")), cmd)
		want, got = stripUsec(want), stripUsec(got)
		if want != got {
			t.Errorf("%s: redis %q, redoubt %q", cmd, want, got)
		}
	}
}

func infoField(info, field string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	return ""
}

// stripUsec keeps the counts of a commandstats line, not its times.
func stripUsec(v string) string {
	var keep []string
	for _, kv := range strings.Split(v, ",") {
		if strings.HasPrefix(kv, "calls=") || strings.HasPrefix(kv, "rejected_calls=") || strings.HasPrefix(kv, "failed_calls=") {
			keep = append(keep, kv)
		}
	}
	return strings.Join(keep, ",")
}

// SCRIPT KILL on a script that wrote to keys of every type, renamed,
// deleted, created and expired keys puts the dataset back exactly
// (DEBUG DIGEST, TTLs), and keyspace notifications of the script never
// reach subscribers. With script-kill-rollback no, Redis's UNKILLABLE
// comes back.
func TestScriptKillRollsBack(t *testing.T) {
	addr := difftest.StartRedoubt(t, "busy-reply-threshold 50", "notify-keyspace-events KEA")
	c := difftest.Dial(t, addr)
	for _, cmd := range [][]string{
		{"set", "s", "v", "px", "100000"}, {"hset", "h", "f", "1", "g", "2"}, {"rpush", "l", "a", "b"},
		{"zadd", "z", "1", "m"}, {"sadd", "set", "x"}, {"set", "gone", "1"}, {"set", "ren", "r"},
		{"xadd", "st", "1-1", "f", "v"}, {"set", "n", "10"},
	} {
		c.Do(cmd...)
	}
	digest := string(c.Do("debug", "digest"))
	pttl := string(c.Do("pttl", "s"))
	sub := difftest.Dial(t, addr)
	sub.Do("psubscribe", "__key*__:*")

	looper := difftest.Dial(t, addr)
	looper.Send("eval", `
redis.call('set', 's', 'changed')
redis.call('hset', 'h', 'f', 'x', 'new', 'y')
redis.call('rpush', 'l', 'c') redis.call('lpop', 'l')
redis.call('zincrby', 'z', 5, 'm')
redis.call('srem', 'set', 'x')
redis.call('del', 'gone')
redis.call('rename', 'ren', 'renamed')
redis.call('xadd', 'st', '2-1', 'f', 'v')
redis.call('incrby', 'n', 5)
redis.call('set', 'fresh', '1')
redis.call('select', 3) redis.call('set', 'indb3', '1')
while true do end`, "0")
	other := difftest.Dial(t, addr)
	for !strings.HasPrefix(string(other.Do("ping")), "-BUSY") {
	}
	if got := string(other.Do("script", "kill")); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	if got := string(looper.ReadRaw()); !strings.Contains(got, "rolled back") {
		t.Fatalf("the script's caller: %q", got)
	}
	if got := string(c.Do("debug", "digest")); got != digest {
		t.Errorf("digest after the rollback %q, before %q", got, digest)
	}
	before, _ := strconv.Atoi(strings.Trim(pttl, ":\r\n"))
	after, _ := strconv.Atoi(strings.Trim(string(c.Do("pttl", "s")), ":\r\n"))
	if after > before || after < before-10000 {
		t.Errorf("PTTL of s after the rollback %d, before %d", after, before)
	}
	if got := string(c.Do("select", "3")) + string(c.Do("dbsize")); got != "+OK\r\n:0\r\n" {
		t.Errorf("database 3 after the rollback: %q", got)
	}
	// The first notification the subscriber sees is the one after.
	c.Do("select", "0")
	c.Do("set", "after", "1")
	msg := string(sub.ReadRaw())
	if !strings.Contains(msg, "after") {
		t.Errorf("the subscriber got %q first", msg)
	}

	c.Do("config", "set", "script-kill-rollback", "no")
	looper.Send("eval", "redis.call('set','s','again') while true do end", "0")
	for !strings.HasPrefix(string(other.Do("ping")), "-BUSY") {
	}
	if got := string(other.Do("script", "kill")); !strings.HasPrefix(got, "-UNKILLABLE ") {
		t.Errorf("SCRIPT KILL without rollback: %q", got)
	}
	// Only SHUTDOWN NOSAVE ends it, as in Redis.
	if got := string(other.Do("shutdown")); !strings.HasPrefix(got, "-BUSY ") {
		t.Errorf("SHUTDOWN during the script: %q", got)
	}
	other.Send("shutdown", "nosave")
	looper.ReadRaw()
}

// functionCorpus is scriptCorpus for FUNCTION and FCALL.
const functionCorpus = `
function load "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"
fcall f1 1 k a
fcall_ro f1 1 k a
fcall nosuch 0
fcall f1 notanumber
fcall f1 -1
fcall f1 5 k
function load "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"
function load replace "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"
fcall f1 0
function load REPLACE "#!lua name=lib1\nredis.register_function{function_name='f1', callback=function() return redis.call('set','fk','v') end, description='a desc', flags={'allow-oom'}}"
fcall f1 0
fcall_ro f1 0
function list
function list withcode
function list libraryname lib*
function list libraryname nomatch
function list bogus
function list libraryname
function load "#!lua name=lib2\nredis.register_function{function_name='ro', callback=function() return redis.call('get','fk') end, flags={'no-writes'}}"
fcall_ro ro 0
fcall ro 0
function load "#!lua name=lib3\nredis.register_function{function_name='rw', callback=function() return redis.call('set','x','y') end, flags={'no-writes'}}"
fcall rw 0
function load "#!lua name=lib4\nredis.register_function('f1', function() return 1 end)"
function load "#!lua name=lib5\nreturn 1"
function load "#!lua name=lib6\nredis.register_function('bad name', function() return 1 end)"
function load "#!lua name=lib7\nredis.register_function('dup', function() return 1 end) redis.register_function('dup', function() return 1 end)"
function load "#!lua name=lib8\nredis.register_function{function_name='x', callback=1}"
function load "#!lua name=lib8\nredis.register_function{function_name='x'}"
function load "#!lua name=lib8\nredis.register_function{callback=function() end}"
function load "#!lua name=lib8\nredis.register_function{function_name='x', callback=function() end, flags={'bogus'}}"
function load "#!lua name=lib8\nredis.register_function{function_name='x', callback=function() end, other=1}"
function load "#!lua name=lib8\nredis.register_function('x')"
function load "#!lua name=lib8\nredis.register_function(1, 2)"
function load "#!lua name=lib8\nredis.register_function()"
function load "#!lua name=lib8\nredis.call('set','x','y')"
function load "#!lua name=lib8\nreturn string.upper('x')"
function load "#!lua name=lib8\nx = 1"
function load "#!lua name=lib8\nerror('boom')"
function load "no shebang"
function load "#!lua name=lib8"
function load "#!lua"
function load "#!lua name=a name=b\nreturn 1"
function load "#!lua foo=bar\nreturn 1"
function load "#!lua name=bad-name\nreturn 1"
function load "#!js name=lib8\nreturn 1"
function load bogus "#!lua name=lib8\nreturn 1"
function load
eval "return redis.register_function" 0
function load "#!lua name=lib9\nredis.register_function('f9', function(keys, args) return redis.register_function('x', function() end) end)"
function load "#!lua name=lib10\nredis.register_function('f10', function(keys, args) error('inside') end)"
fcall f10 0
function load "#!lua name=lib11\nredis.register_function('f11', function(keys, args) return redis.call('incr','fk') end)"
fcall f11 0
function load "#!lua name=lib12\nlocal function helper() return 'h' end redis.register_function('f12', function() return helper() .. redis.REDIS_VERSION end) redis.log(redis.LOG_NOTICE, 'loading lib12')"
fcall f12 0
function delete lib12
function delete lib12
fcall f12 0
function stats
function kill
function restore bogus
function flush bogus
function flush
function list
function stats
fcall f1 0
`

func TestFunctionsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(functionCorpus)
	// DUMP and RESTORE between the two servers, both ways.
	p.Do("function", "load", "#!lua name=dumped\nredis.register_function('d1', function() return 'd' end)")
	theirs, ours := p.Redis.DoValue("function", "dump"), p.Redoubt.DoValue("function", "dump")
	if theirs.Str != ours.Str {
		t.Errorf("FUNCTION DUMP: redis %q, redoubt %q", theirs.Str, ours.Str)
	}
	p.Do("function", "restore", theirs.Str)
	p.Do("function", "restore", theirs.Str, "replace")
	p.Do("function", "flush")
	p.Do("function", "restore", ours.Str, "append")
	p.Do("fcall", "d1", "0")
	p.Do("function", "restore", ours.Str, "flush")
	p.Do("function", "restore", ours.Str[:len(ours.Str)-1]+"x")
}

// The Lua libraries Redis carries, through EVAL (their own packages
// compare them with Redis's in depth).
func TestScriptLibrariesMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
eval "return cjson.encode({1,2,3,{a=1}})" 0
eval "return cjson.encode(cjson.decode('[1,2.5,\"x\",null,true]'))" 0
eval "return cjson.decode('{\"a\":[1,2]}').a[2]" 0
eval "return {pcall(cjson.decode, '[1,')}" 0
eval "return cjson.encode(cjson.null)" 0
eval "return bit.tohex(65535)" 0
eval "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.lshift(1, 4), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.bnot(0)}" 0
eval "return tostring(math.huge)" 0
eval "return {pcall(cjson.encode, math.huge)}" 0
eval "return cmsgpack.pack({1,2,3}, 'x', 1.5)" 0
eval "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}))}" 0
eval "return struct.pack('>I2i4', 258, -1)" 0
eval "return {struct.unpack('<h', struct.pack('<h', -2))}" 0
eval "return struct.size('i4d')" 0
eval "return {pcall(struct.pack, 'q', 1)}" 0
`)
}

// A busy script answers every other client, also one whose command was
// read in the same batch as the script's (it was read but not yet run,
// or run but not yet written, when the script began), and pipelined
// commands after the script run once it is killed.
func TestBusyScriptServesItsBatch(t *testing.T) {
	for _, threads := range []string{"1", "2"} {
		t.Run("io-threads-"+threads, func(t *testing.T) {
			busyServesBatch(t, difftest.StartRedoubt(t, "busy-reply-threshold 10", "io-threads "+threads))
		})
	}
}

func busyServesBatch(t *testing.T, addr string) {
	for round := range 6 {
		r := difftest.Dial(t, addr)
		rd := difftest.Dial(t, addr)
		code := "#!lua name=busy\nredis.register_function('busy', function() while 1 do redis.call('ping') end end)"
		if round%2 == 0 {
			rd.Send("eval", "while 1 do redis.call('ping') end", "0")
		} else {
			rd.Send("function", "load", "replace", code)
			rd.Send("fcall", "busy", "0")
		}
		rd.Send("ping")
		reply := string(r.Do("ping"))
		for !strings.HasPrefix(reply, "-BUSY") {
			reply = string(r.Do("ping"))
		}
		kill := "script"
		if round%2 == 1 {
			kill = "function"
		}
		if got := string(r.Do(kill, "kill")); got != "+OK\r\n" {
			t.Fatalf("%s kill: %q", kill, got)
		}
		// The caller's replies wait for its script to end, as in Redis.
		if round%2 == 1 {
			if got := string(rd.ReadRaw()); got != "$4\r\nbusy\r\n" {
				t.Fatalf("FUNCTION LOAD: %q", got)
			}
		}
		if got := string(rd.ReadRaw()); !strings.Contains(got, "killed by user") {
			t.Fatalf("the script's reply: %q", got)
		}
		if got := string(rd.ReadRaw()); got != "+PONG\r\n" {
			t.Fatalf("the PING after the script: %q", got)
		}
		r.Close()
		rd.Close()
	}
}

// Scripts that recurse without end, allocate without bound or build a
// huge reply get errors; the server keeps serving and keeps its data.
func TestScriptBadInput(t *testing.T) {
	addr := difftest.StartRedoubt(t, "script-memory-limit 64mb")
	c := difftest.Dial(t, addr)
	c.Do("set", "k", "before")
	if got := string(c.Do("eval", "local function f(n) return f(n + 1) + 1 end return f(1)", "0")); !strings.Contains(got, "stack overflow") {
		t.Errorf("endless recursion: %q", got)
	}
	got := string(c.Do("eval", "redis.call('set', 'k', 'changed') local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 100000) .. i end", "0"))
	if !strings.Contains(got, "script-memory-limit") || !strings.Contains(got, "rolled back") {
		t.Errorf("unbounded allocation: %q", got)
	}
	if got := string(c.Do("get", "k")); got != "$6\r\nbefore\r\n" {
		t.Errorf("after the stopped script, k is %q", got)
	}
	if got := string(c.Do("eval", "return string.rep('x', 1024*1024*1024)", "0")); !strings.Contains(got, "too large") {
		t.Errorf("a 1 GiB string.rep: %q", got)
	}
	reply := c.DoValue("eval", "local t = {} for i = 1, 200000 do t[i] = i end return t", "0")
	if len(reply.Elems) != 200000 {
		t.Errorf("a 200,000-element reply has %d elements", len(reply.Elems))
	}
	if got := string(c.Do("ping")); got != "+PONG\r\n" {
		t.Errorf("PING after it all: %q", got)
	}
}

// CLIENT PAUSE WRITE holds scripts that may write and lets those that
// declare no-writes run, as Redis decides from a script's flags; a held
// client counts in blocked_clients.
func TestPauseAndScriptFlags(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	r := difftest.Dial(t, addr)
	r.Do("function", "load", "#!lua name=f1\nredis.register_function{function_name='ro', callback=function() return 'hello' end, flags={'no-writes'}}")
	r.Do("client", "pause", "60000", "write")
	rr := difftest.Dial(t, addr)
	for _, c := range [][]string{
		{"eval", "#!lua flags=no-writes\nreturn 'ro'", "0"},
		{"eval_ro", "return 'ro'", "0"},
		{"fcall", "ro", "0"},
		{"fcall_ro", "ro", "0"},
	} {
		if got := string(rr.Do(c...)); !strings.Contains(got, "ro") && !strings.Contains(got, "hello") {
			t.Errorf("%q under a write pause: %q", c, got)
		}
	}
	held := difftest.Dial(t, addr)
	held.Send("eval", "return 1", "0")
	for !strings.Contains(string(r.Do("info", "clients")), "blocked_clients:1") {
	}
	r.Do("client", "unpause")
	if got := string(held.ReadRaw()); got != ":1\r\n" {
		t.Errorf("the held script: %q", got)
	}
}

// Clients on two loops run scripts, some of which loop until killed,
// while others send ordinary commands and kill what runs: every client
// gets an answer to every command, and the counters the scripts keep
// only move by whole scripts (a killed script's writes roll back).
func TestBusyScriptsUnderLoad(t *testing.T) {
	addr := difftest.StartRedoubt(t, "busy-reply-threshold 20", "io-threads 2")
	done := make(chan struct{})
	errs := make(chan string, 16)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := difftest.Dial(t, addr)
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				var got string
				switch {
				case w == 0 && i%20 == 0:
					got = string(c.Do("eval", "redis.call('incrby', 'a', 1) redis.call('incrby', 'b', 1) while true do end", "0"))
				case w == 1:
					got = string(c.Do("script", "kill"))
				case w == 3 && i%10 == 0:
					// New connections are accepted during a busy script.
					n := difftest.Dial(t, addr)
					got = string(n.Do("ping"))
					n.Close()
				default:
					got = string(c.Do("eval", "redis.call('incrby', 'a', 1) return redis.call('incrby', 'b', 1)", "0"))
				}
				if got == "" {
					errs <- "an empty reply"
					return
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	close(done)
	// The looping script may still run: kill it until it is gone.
	c := difftest.Dial(t, addr)
	for strings.HasPrefix(string(c.Do("script", "kill")), "+OK") {
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	a, b := string(c.Do("get", "a")), string(c.Do("get", "b"))
	if a != b {
		t.Errorf("a %q and b %q differ: a script was cut in half", a, b)
	}
}

// A script that changed more than script-undo-limit bytes of values
// cannot be rolled back: SCRIPT KILL answers as Redis does.
func TestScriptUndoLimit(t *testing.T) {
	addr := difftest.StartRedoubt(t, "busy-reply-threshold 20", "script-undo-limit 64kb")
	c := difftest.Dial(t, addr)
	c.Do("eval", "for i = 1, 20000 do redis.call('rpush', 'big', i) end", "0")
	looper := difftest.Dial(t, addr)
	looper.Send("eval", "redis.call('lpush', 'big', 'x') while true do end", "0")
	for !strings.HasPrefix(string(c.Do("ping")), "-BUSY") {
	}
	if got := string(c.Do("script", "kill")); !strings.HasPrefix(got, "-UNKILLABLE ") {
		t.Errorf("SCRIPT KILL past the undo limit: %q", got)
	}
	c.Send("shutdown", "nosave")
	looper.ReadRaw()
}

// Redis's OOM refusals around scripts (the cases of its tests "allow-oom
// shebang flag" and "Consistent eval error reporting"), with a
// replication backlog in place: the backlog's history once made
// eviction's figure negative, and maxmemory refused nothing.
func TestScriptOOMMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, addr := range []string{p.Redoubt.Addr(), p.Redis.Addr()} {
		difftest.AttachStream(t, addr)
	}
	// Overwrites: the backlog's history grows, the dataset does not.
	for i := 0; i < 200; i++ {
		p.Do("set", "fill", strings.Repeat("v", 400))
	}
	p.Script(`
		set x 123
		config set maxmemory 1
		set y 1
		eval "redis.call('set','x',1) return 1" 1 x
		eval "return redis.call('get','x')" 1 x
		eval "#!lua flags=\nreturn 1" 0
		eval "#!lua\nreturn 1" 0
		eval "#!lua flags=allow-oom\nredis.call('set','x',1) return 1" 1 x
		eval "#!lua flags=allow-oom,no-writes\nreturn redis.call('get','x')" 1 x
		eval "#!lua flags=no-writes\nreturn redis.call('get','x')" 1 x
		eval "return redis.pcall('set','x','y')" 1 x
		eval "#!lua flags=no-writes,\nreturn 1" 0
		config set maxmemory 0
		eval "#!lua flags=\nreturn redis.call('set','x',2)" 1 x
	`)
}

// A call of something that is not a function is reported with Lua's
// words, naming the value as Lua does, caught by pcall or not; binary
// chunks do not load.
func TestScriptCallErrorsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, body := range []string{
		"return loadstring(string.dump(function() return 1 end))()",
		"return {select(2, loadstring(string.dump(function() return 1 end)))}",
		"return type(string.dump(function() return 1 end))",
		"return {pcall(string.dump, string.upper)}",
		"local x = nil; x()",
		"local t = {} t()",
		"local t = {} t.foo()",
		"redis.foo()",
		"local s = 'x' s:nope()",
		"(5)()",
		"return {pcall(nil)}",
		"return {pcall({})}",
		"return {pcall(true)}",
		"return {pcall(function() local t = {a={}} t.a() end)}",
		"return {pcall(function() local n = 1 n() end)}",
		"local u = {} local function f() u() end f()",
		"KEYS()",
		"local t = {} t[1]()",
		"for i=1,2 do local z = 3 z() end",
		"for i=1,2 do i() end",
		"for k, v in pairs({1}) do v() end",
		"local a, b = 1, 2 b()",
		"local co = coroutine.create(function() end) co()",
		"return tostring(getmetatable(nil))",
		// The sandbox: no getfenv (gopher-lua's answered the real
		// globals for a Go function), setfenv or newproxy.
		"local g = getfenv(tostring) g.zz = 1 return tostring(zz)",
		"setfenv(1, {}) return 1",
		"return type(newproxy)",
		"return tostring(zz)",
		"return table.setn({}, 3)",
		"local r = {} table.foreach({a=1}, function(k, v) r[#r+1] = k .. v end) return r",
		"return table.foreachi({5,6}, function(i, v) if v == 6 then return i * 10 end end)",
		"return table.foreach({}, 1)",
		"return table.foreachi({1}, 'x')",
		"return tostring(getmetatable(1))",
		"return ('x'):upper()",
		"return getmetatable('').__index == string",
		"return rawequal(getmetatable('').__index, string)",
		"return ('%d'):format(7) .. ('abc'):sub(2)",
	} {
		p.Do("eval", body, "0")
	}
}

// tonumber reads strings as Lua 5.1's does, through strtod and strtoul.
func TestScriptToNumberMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, arg := range []string{
		"'1e3'", "' 0x1A '", "'  12  '", "'1.5e2'", "'inf'", "'-inf'", "'nan'", "''", "'.5'", "'5.'",
		"'0x'", "'1 2'", "'\\n12\\r'", "'-0x10'", "'12abc'", "nil", "'99999999999999999999'",
		"'1e500'", "'12\\0abc'", "3.25", "'+7'", "'0x1p4'", "true", "{}",
		"'-0'", "'007'", "'-'", "'123456789012345'", "'-1234567890123456'", "'12 '",
		"'10', 2", "'z', 36", "'ff', 16", "'8', 8", "' 0x1f ', 16", "'-1', 2", "'1.5', 10",
		"'12', 1", "'12', 37", "12, 16", "'', 16", "'-', 16", "'0x', 16",
		"'ffffffffffffffffffff', 16", "'7', '8'",
	} {
		p.Do("eval", "return tostring(tonumber("+arg+"))", "0")
	}
	for _, expr := range []string{"0/0", "-(0/0)", "tonumber('nan')", "-tonumber('nan')", "math.huge - math.huge",
		"0", "-0", "1", "-1", "99999999999999", "-99999999999999", "100000000000000", "1e16", "99999999999999999", "1e17", "2^53", "2^53+1", "-2^63", "12.5", "1e-5"} {
		p.Do("eval", "return tostring("+expr+")", "0")
		// As a command's argument (%.17g).
		p.Do("eval", "return redis.call('echo', "+expr+")", "0")
	}
}
