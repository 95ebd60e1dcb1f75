package command

// Redis matches option names with strcasecmp and prints arguments with
// %s: both stop at the first NUL byte, so "GT\x00junk" is the option GT.

// CString is an argument as C string functions see it: up to its first
// NUL byte.
func CString(b []byte) []byte {
	for i, ch := range b {
		if ch == 0 {
			return b[:i]
		}
	}
	return b
}

// IsOpt reports whether argument i names the option word, compared as
// Redis's strcasecmp compares it.
func (c *Ctx) IsOpt(i int, word string) bool {
	return isOpt(c.Args[i], word)
}

// isOpt compares an argument with an option word as Redis's strcasecmp
// does: the argument ends at its first NUL byte.
func isOpt(b []byte, word string) bool { return EqualFold(CString(b), word) }
