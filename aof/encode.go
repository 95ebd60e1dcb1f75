package aof

import "strconv"

// AppendCommand appends a command as Redis writes it to the AOF
// (catAppendOnlyGenericCommand): *<argc>\r\n, then $<len>\r\n<arg>\r\n
// for each argument.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// AppendTimestamp appends the annotation Redis writes before the commands
// of a new second when aof-timestamp-enabled is on: "#TS:<unix>\r\n".
func AppendTimestamp(b []byte, unix int64) []byte {
	b = append(b, "#TS:"...)
	b = strconv.AppendInt(b, unix, 10)
	return append(b, '\r', '\n')
}
