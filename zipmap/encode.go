package zipmap

import "encoding/binary"

// Redoubt never writes zipmaps, nor has any Redis since 2.6. The encoder
// is here so that tests can build the payloads Redis 2.4 wrote, the way
// zipmap.c laid them out.

// New returns an empty zipmap, as zipmapNew makes it (Validate refuses
// it until a pair is added: Redis never saved an empty hash).
func New() []byte { return []byte{0, end} }

// Append adds a pair at the end, with free unused bytes (0 to 255) after
// the value, and counts it in zmlen as zipmapSet does (254 and over are
// not counted). Like append, it may reuse zm's array.
func Append(zm, field, value []byte, free int) []byte {
	out := appendLen(zm[:len(zm)-1], len(field))
	out = append(out, field...)
	out = appendLen(out, len(value))
	out = append(out, byte(free))
	out = append(out, value...)
	out = append(out, make([]byte, free)...)
	if out[0] < bigLen {
		out[0]++
	}
	return append(out, end)
}

func appendLen(b []byte, n int) []byte {
	if n < bigLen {
		return append(b, byte(n))
	}
	return binary.LittleEndian.AppendUint32(append(b, bigLen), uint32(n))
}
