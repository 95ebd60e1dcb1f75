package script

import (
	"bytes"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
)

// Functions (Redis 7's FUNCTION LOAD and FCALL) run on a VM of their
// own, as Redis keeps a Lua state for them beside EVAL's: New with
// Functions set. A library is Lua code headed by "#!lua name=<lib>"
// whose body runs once, at load, in a restricted environment where the
// only global is a small redis table with register_function; the
// functions it registers run later, like EVAL scripts, with KEYS and
// ARGV as their two arguments.

// Library is a loaded function library.
type Library struct {
	Name      string
	Code      []byte
	Functions []*Function
}

// Function is a function a library registered.
type Function struct {
	Name        string
	Description string
	Flags       Flags
	Library     *Library
	fn          *lua.LFunction
}

type funcState struct {
	libs  map[string]*Library
	funcs map[string]*Function
	// loadAPI is the globals a library's body sees while it loads.
	loadAPI *lua.LTable
	// loading is the library being loaded, nil otherwise.
	loading *Library
}

// loadTimeout bounds the run of a library's body at load (Redis's
// LOAD_TIMEOUT_MS); code replayed from the AOF or a primary has none.
const loadTimeout = 500 * time.Millisecond

// NewFunctions returns the VM that runs function libraries.
func NewFunctions(host Host) *VM {
	vm := New(host)
	vm.initFunctions()
	return vm
}

func (vm *VM) initFunctions() {
	L := vm.L
	// Functions get their keys and arguments as parameters: no KEYS
	// and ARGV globals, as in Redis.
	vm.globals.RawSetString("KEYS", lua.LNil)
	vm.globals.RawSetString("ARGV", lua.LNil)
	vm.keysT, vm.argvT = nil, nil
	vm.fn = &funcState{libs: map[string]*Library{}, funcs: map[string]*Function{}}
	api := L.CreateTable(0, 1)
	r := L.NewTable()
	r.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	r.RawSetString("log", L.NewFunction(vm.redisLog))
	for _, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		real := vm.real(vm.globals.RawGetString("redis").(*lua.LTable))
		r.RawSetString(name, real.RawGetString(name))
	}
	missing := L.CreateTable(0, 1)
	missing.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckString(2))
		return 0
	}))
	L.SetMetatable(r, missing)
	api.RawSetString("redis", r)
	L.SetMetatable(api, missing)
	vm.guarded[missing] = true
	vm.fn.loadAPI = vm.protect(api)
}

// Libraries returns the loaded libraries, by name.
func (vm *VM) Libraries() []*Library {
	libs := make([]*Library, 0, len(vm.fn.libs))
	for _, l := range vm.fn.libs {
		libs = append(libs, l)
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	return libs
}

// Library returns the library named name, or nil.
func (vm *VM) Library(name string) *Library { return vm.fn.libs[name] }

// Function returns the function named name, in any case (Redis's
// function names are case-insensitive, its library names are not), or
// nil.
func (vm *VM) Function(name []byte) *Function { return vm.fn.funcs[strings.ToLower(string(name))] }

// LibrariesMemory is the bytes of the libraries' code.
func (vm *VM) LibrariesMemory() int64 {
	var n int64
	for _, l := range vm.fn.libs {
		n += int64(len(l.Code) + len(l.Name))
	}
	return n
}

// FunctionCount is the number of registered functions.
func (vm *VM) FunctionCount() int { return len(vm.fn.funcs) }

// validName is Redis's functionsVerifyName.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// libMeta reads a library's "#!<engine> name=<lib>" line (Redis's
// functionExtractLibMetaData) and returns the engine, the name and the
// code from the line feed on.
func libMeta(code []byte) (engine, name string, body []byte, err string) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", "", nil, "Missing library metadata"
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", "", nil, "Invalid library metadata"
	}
	parts, ok := protocol.SplitArgs(code[:end], nil)
	if !ok || len(parts) == 0 {
		return "", "", nil, "Invalid library metadata"
	}
	engine = string(parts[0][2:])
	named := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(string(p[:5]), "name=") {
			if named {
				return "", "", nil, "Invalid metadata value, name argument was given multiple times"
			}
			name, named = string(p[5:]), true
			continue
		}
		return "", "", nil, "Invalid metadata value given: " + string(p)
	}
	if !named {
		return "", "", nil, "Library name was not given"
	}
	return engine, name, code[end:], ""
}

// LoadLibrary compiles and runs a library's code and links its
// functions (Redis's functionsCreateWithLibraryCtx). replace allows an
// existing library of the same name to be replaced; timeout false lifts
// the load's time limit. It returns the library, or an error message
// without its ERR code.
func (vm *VM) LoadLibrary(code []byte, replace, timeout bool) (*Library, string) {
	engine, name, body, err := libMeta(code)
	if err != "" {
		return nil, err
	}
	if !validName(name) {
		return nil, errBadName
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, "Engine '" + engine + "' not found"
	}
	old := vm.fn.libs[name]
	if old != nil && !replace {
		return nil, "Library '" + name + "' already exists"
	}
	lib := &Library{Name: name, Code: bytes.Clone(code)}
	if msg := vm.runLibrary(lib, body, timeout); msg != "" {
		return nil, msg
	}
	if len(lib.Functions) == 0 {
		return nil, "No functions registered"
	}
	for _, f := range lib.Functions {
		if other := vm.fn.funcs[strings.ToLower(f.Name)]; other != nil && other.Library != old {
			return nil, "Function " + f.Name + " already exists"
		}
	}
	if old != nil {
		vm.unlink(old)
	}
	vm.link(lib)
	return lib, ""
}

func (vm *VM) link(lib *Library) {
	vm.fn.libs[lib.Name] = lib
	for _, f := range lib.Functions {
		vm.fn.funcs[strings.ToLower(f.Name)] = f
	}
}

func (vm *VM) unlink(lib *Library) {
	delete(vm.fn.libs, lib.Name)
	for _, f := range lib.Functions {
		delete(vm.fn.funcs, strings.ToLower(f.Name))
	}
}

// DeleteLibrary removes a library and its functions; false if there is
// none of that name.
func (vm *VM) DeleteLibrary(name string) bool {
	lib := vm.fn.libs[name]
	if lib == nil {
		return false
	}
	vm.unlink(lib)
	return true
}

// FlushFunctions removes every library and starts a fresh Lua state.
func (vm *VM) FlushFunctions() {
	vm.Reset()
	vm.initFunctions()
}

// runLibrary runs a library's body with the load environment.
func (vm *VM) runLibrary(lib *Library, body []byte, timeout bool) string {
	L := vm.L
	fn, cerr := L.Load(bytes.NewReader(body), sourceUserFunction)
	if cerr != nil {
		return "Error compiling function: " + compileErrorIn(cerr, body, sourceUserFunction)
	}
	mt := L.GetMetatable(vm.env).(*lua.LTable)
	mt.RawSetString("__index", vm.fn.loadAPI)
	vm.fn.loading = lib
	r := &Run{Name: lib.Name}
	if timeout {
		r.loadDeadline = time.Now().Add(loadTimeout)
	}
	vm.run = r
	vm.hook.killed = false
	defer func() {
		mt.RawSetString("__index", vm.globals)
		vm.fn.loading = nil
		vm.run, vm.hook.killed = nil, false
	}()
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		var e lua.LValue = lua.LNil
		if ae, ok := err.(*lua.ApiError); ok {
			e = ae.Object
		}
		msg := ""
		switch v := e.(type) {
		case *lua.LTable:
			msg = lua.LVAsString(v.RawGetString("err"))
		case lua.LString:
			msg = "ERR " + string(v)
		default:
			msg = "ERR " + L.ToStringMeta(e).String()
		}
		if r.Killed {
			msg = "ERR FUNCTION LOAD timeout"
		}
		return "Error registering functions: " + msg
	}
	return ""
}

// registerFunction is redis.register_function, available while a
// library loads.
func (vm *VM) registerFunction(L *lua.LState) int {
	lib := vm.fn.loading
	if lib == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var f Function
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var msg string
		t.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			key, ok := k.(lua.LString)
			if !ok {
				if _, isNum := k.(lua.LNumber); !isNum {
					msg = "named argument key given to redis.register_function is not a string"
					return
				}
				key = lua.LString(formatNumber(float64(k.(lua.LNumber))))
			}
			switch strings.ToLower(string(key)) {
			case "function_name":
				s, ok := stringArg(v)
				if !ok {
					msg = "function_name argument given to redis.register_function must be a string"
					return
				}
				f.Name = s
			case "description":
				s, ok := stringArg(v)
				if !ok {
					msg = "description argument given to redis.register_function must be a string"
					return
				}
				f.Description = s
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					msg = "callback argument given to redis.register_function must be a function"
					return
				}
				f.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					msg = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					s, ok := stringArg(fv)
					flag, known := ParseFlag(strings.ToLower(s))
					if !ok || !known {
						msg = "unknown flag given"
						return
					}
					f.Flags |= flag
				}
			default:
				msg = "unknown argument given to redis.register_function"
			}
		})
		if msg == "" && f.Name == "" {
			msg = "redis.register_function must get a function name argument"
		}
		if msg == "" && f.fn == nil {
			msg = "redis.register_function must get a callback argument"
		}
		if msg != "" {
			raise(L, msg)
		}
	case 2:
		s, ok := stringArg(L.Get(1))
		if !ok {
			raise(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = s, fn
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		raise(L, errBadName)
	}
	for _, other := range lib.Functions {
		if strings.EqualFold(other.Name, f.Name) {
			raise(L, "Function already exists in the library")
		}
	}
	f.Library = lib
	lib.Functions = append(lib.Functions, &f)
	return 0
}

func stringArg(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return formatNumber(float64(v)), true
	}
	return "", false
}

// Call runs function f for r with KEYS and ARGV, writing its reply to w;
// see Eval for what it returns.
func (vm *VM) Call(w *protocol.Writer, r *Run, f *Function, keys, argv [][]byte) (errMsg string, counted bool) {
	return vm.call(w, r, f.fn, vm.array(keys), vm.array(argv))
}
