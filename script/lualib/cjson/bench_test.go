package cjson

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// benchDoc is a mid-sized document of the usual shapes: objects, arrays,
// strings with and without escapes, integers and fractions.
var benchDoc = `{"id":12345,"name":"redoubt \"db\"","tags":["a","b","c/d"],"score":98.6,"ok":true,"none":null,` +
	`"items":[` + strings.Repeat(`{"k":"key:1234","v":[1,2,3,4.5],"n":-17},`, 20) + `{"k":"last","v":[],"n":0}]}`

func benchState(b *testing.B) (*lua.LState, lua.LValue, lua.LValue) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	b.Cleanup(L.Close)
	L.Push(L.NewFunction(Loader))
	L.Call(0, 1)
	mod := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	return L, mod.RawGetString("decode"), mod.RawGetString("encode")
}

func call(b *testing.B, L *lua.LState, fn, arg lua.LValue) lua.LValue {
	L.Push(fn)
	L.Push(arg)
	if err := L.PCall(1, 1, nil); err != nil {
		b.Fatal(err)
	}
	v := L.Get(-1)
	L.Pop(1)
	return v
}

func BenchmarkDecode(b *testing.B) {
	L, decode, _ := benchState(b)
	doc := lua.LString(benchDoc)
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		call(b, L, decode, doc)
	}
}

func BenchmarkEncode(b *testing.B) {
	L, decode, encode := benchState(b)
	v := call(b, L, decode, lua.LString(benchDoc))
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		call(b, L, encode, v)
	}
}
