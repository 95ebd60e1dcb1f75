package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// An RDB file is a header, then opcodes and key/value records, then an
// EOF opcode and the CRC-64 of everything before it (0 when rdbchecksum
// is off):
//
//	"REDIS0010"
//	AUX key value            ... redis-ver, redis-bits, ctime, used-mem
//	SELECTDB n               the database of the records that follow
//	RESIZEDB keys expires    a sizing hint
//	[EXPIRETIME_MS t] [IDLE s | FREQ f] type key value
//	EOF crc64
//
// An opcode takes the place of a type byte, from 245 up.

// Opcodes.
const (
	OpFunction2    = 245
	OpFunction     = 246
	OpModuleAux    = 247
	OpIdle         = 248
	OpFreq         = 249
	OpAux          = 250
	OpResizeDB     = 251
	OpExpireTimeMs = 252
	OpExpireTime   = 253
	OpSelectDB     = 254
	OpEOF          = 255
)

// HeaderSize is the length of "REDIS" and the four-digit version.
const HeaderSize = 9

// AppendHeader appends the file header of Version.
func AppendHeader(b []byte) []byte { return fmt.Appendf(b, "REDIS%04d", Version) }

// ParseHeader returns the version of a file header.
func ParseHeader(b []byte) (int, error) {
	if len(b) < HeaderSize || !bytes.HasPrefix(b, []byte("REDIS")) {
		return 0, errors.New("Wrong signature trying to load DB from file")
	}
	v, err := strconv.Atoi(string(b[5:HeaderSize]))
	if err != nil || v < 1 || v > Version {
		return 0, fmt.Errorf("Can't handle RDB format version %s", b[5:HeaderSize])
	}
	return v, nil
}

// Aux appends an AUX field.
func (e *Encoder) Aux(key, val string) {
	e.Byte(OpAux)
	e.String([]byte(key))
	e.String([]byte(val))
}

// AuxInt appends an AUX field whose value is an integer.
func (e *Encoder) AuxInt(key string, n int64) {
	e.Byte(OpAux)
	e.String([]byte(key))
	e.Int(n)
}

// AppendEOF appends the EOF opcode and the checksum that seals a file
// whose bytes before b's end have the CRC-64 crc; the checksum is 0 when
// checksum is off, as Redis writes it with rdbchecksum no.
func AppendEOF(b []byte, crc uint64, checksum bool) []byte {
	b = append(b, OpEOF)
	if checksum {
		crc = CRC64(crc, b[len(b)-1:])
	} else {
		crc = 0
	}
	return binary.LittleEndian.AppendUint64(b, crc)
}
