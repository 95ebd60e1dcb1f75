package acl

// Redis keeps ACL rules in binary-safe strings but compares most of them
// with C string functions (strcasecmp, strcmp, strrchr), which stop at
// the first NUL byte. These helpers give the same views, so that a rule
// such as "on\x00junk" means what it means to Redis.

// cString is s up to its first NUL byte.
func cString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}

// cBytes is b up to its first NUL byte.
func cBytes(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// lower is ASCII tolower, the only folding strcasecmp does.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold is strcasecmp(a, b) == 0 on strings already cut at NUL.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// is reports whether a rule is the keyword word, as strcasecmp sees it.
func is(rule, word string) bool { return equalFold(cString(rule), word) }

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// hasSpaces reports whether s has white space or a NUL byte, which Redis
// refuses in user names and in key and channel patterns so that ACL LIST
// output can be split on spaces and read back.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) || s[i] == 0 {
			return true
		}
	}
	return false
}

// lowerASCII lower-cases the ASCII letters of s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}
