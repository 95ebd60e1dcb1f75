package aof

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"testing/iotest"
)

// FuzzReader reads arbitrary bytes as an AOF. The reader must not panic,
// must read the same items and fault whether it knows the file's size and
// gets it whole or reads it a byte at a time, must account for every byte
// in items that follow each other, and must agree with itself: the file
// cut at ValidEnd reads cleanly, as the same items.
func FuzzReader(f *testing.F) {
	f.Add(sample())
	f.Add([]byte("*1\r\n$5\r\nMULTI\r\n#TS:1\r\n*1\r\n$4\r\nEXEC\r\n"))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$-1\r\n"))
	f.Add([]byte("REDIS0010\xff"))
	f.Add([]byte("#" + string(bytes.Repeat([]byte("x"), 1100)) + "*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*1\r\n$ +4\r\nPING\r\n*0\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := readBytes(data)
		items2, err2 := readAll(NewReader(iotest.OneByteReader(bytes.NewReader(data)), 0, -1))
		if !reflect.DeepEqual(items, items2) || !sameError(err, err2) {
			t.Fatalf("sized and byte-at-a-time reads differ:\n%+v %v\n%+v %v", items, err, items2, err2)
		}
		var next int64
		for _, it := range items {
			if it.Start != next || it.End <= it.Start {
				t.Fatalf("item %+v does not follow offset %d", it, next)
			}
			next = it.End
			if it.Kind == Command {
				args := make([][]byte, len(it.Args))
				for i, a := range it.Args {
					args[i] = []byte(a)
				}
				// An EXEC reads only inside a MULTI block.
				var enc []byte
				if bytes.EqualFold(args[0], []byte("exec")) {
					enc = AppendCommand(nil, []byte("MULTI"))
				}
				enc = AppendCommand(enc, args...)
				r := NewReader(bytes.NewReader(enc), 0, int64(len(enc)))
				if len(enc) > len(AppendCommand(nil, args...)) {
					r.Next()
				}
				if k, err := r.Next(); k != Command || err != nil || r.End() != int64(len(enc)) || len(r.Args()) != len(args) {
					t.Fatalf("%q does not encode and read back: %v", it.Args, err)
				}
				for i, a := range r.Args() {
					if string(a) != it.Args[i] {
						t.Fatalf("%q reads back as %q", it.Args, r.Args())
					}
				}
			}
		}
		valid := int64(len(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if e.ValidEnd > e.Offset || e.Offset > int64(len(data)) || e.ValidEnd > next {
				t.Fatalf("%+v after items up to %d in %d bytes", e, next, len(data))
			}
			valid = e.ValidEnd
		} else if next != int64(len(data)) {
			t.Fatalf("clean end at %d of %d", next, len(data))
		}
		cut, err := readBytes(data[:valid])
		if err != nil {
			t.Fatalf("cut at ValidEnd %d: %v", valid, err)
		}
		for i, it := range cut {
			if !reflect.DeepEqual(it, items[i]) {
				t.Fatalf("cut at ValidEnd %d: item %d is %+v, was %+v", valid, i, it, items[i])
			}
		}
	})
}

func sameError(a, b error) bool {
	var ea, eb *Error
	if errors.As(a, &ea) && errors.As(b, &eb) {
		return *ea == *eb
	}
	return a == b
}
