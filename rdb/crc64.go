package rdb

import (
	"encoding/binary"
	"hash/crc64"
)

// Redis seals DUMP payloads and RDB files with CRC-64/Jones: the reflected
// polynomial 0x95AC9329AC4BC9B5, initial value 0 and no final xor. Go's
// hash/crc64 inverts before and after, which the wrapper undoes.
var jones = crc64.MakeTable(0x95AC9329AC4BC9B5)

// CRC64 continues a Redis CRC-64 over p.
func CRC64(crc uint64, p []byte) uint64 { return ^crc64.Update(^crc, jones, p) }

// AppendDumpFooter seals a DUMP payload: the RDB version and the CRC-64 of
// the payload, both little-endian.
func AppendDumpFooter(payload []byte) []byte {
	payload = binary.LittleEndian.AppendUint16(payload, Version)
	return binary.LittleEndian.AppendUint64(payload, CRC64(0, payload))
}

// CheckDumpFooter returns the value part of a DUMP payload, or false when
// its version is newer than Version or its checksum is wrong.
func CheckDumpFooter(payload []byte) ([]byte, bool) {
	if len(payload) < 10 {
		return nil, false
	}
	body := payload[:len(payload)-10]
	footer := payload[len(payload)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return nil, false
	}
	if binary.LittleEndian.Uint64(footer[2:]) != CRC64(0, payload[:len(payload)-8]) {
		return nil, false
	}
	return body, true
}
