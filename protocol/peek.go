package protocol

// PeekKeys looks ahead in a pipeline: for each complete multibulk
// request at the start of buf, it puts the request's second argument
// (where most commands take their first key) in keys, and returns how
// many keys it filled and how many requests it went through. It stops
// at the first request that is not complete or not a plain multibulk
// (inline, "*0", a null bulk), or once keys is full. It is for
// prefetching the look-ups a batch will make (keyspace.DB.Prefetch): a
// hint, so it checks only what it needs to stay within buf, and the
// parser still judges every request. It allocates nothing.
func PeekKeys(buf []byte, keys [][]byte) (nkeys, nreqs int) {
	for nkeys < len(keys) {
		if len(buf) == 0 || buf[0] != '*' {
			return
		}
		argc, rest, ok := peekLen(buf[1:])
		if !ok || argc == 0 {
			return
		}
		buf = rest
		var key []byte
		for i := range argc {
			if len(buf) == 0 || buf[0] != '$' {
				return
			}
			n, rest, ok := peekLen(buf[1:])
			if !ok || n > len(rest)-2 {
				return
			}
			if i == 1 {
				key = rest[:n:n]
			}
			buf = rest[n+2:]
		}
		if key != nil {
			keys[nkeys] = key
			nkeys++
		}
		nreqs++
	}
	return
}

// peekLen reads the decimal number and CRLF at the start of b.
func peekLen(b []byte) (n int, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && i < 10 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	if i == 0 || i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
		return 0, nil, false
	}
	return n, b[i+2:], true
}
