package acl

import (
	"crypto/rand"
	"encoding/hex"
)

// GenPassMaxBits is the most bits ACL GENPASS makes.
const GenPassMaxBits = 4096

// GenPass is ACL GENPASS: a random password of bits bits (256 by
// default), as hex digits, bits rounded up to a multiple of 4. The
// server parses the argument as an integer first, with its usual error.
func GenPass(bits int64) (string, error) {
	if bits <= 0 || bits > GenPassMaxBits {
		return "", &Error{Msg: "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"}
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	if _, err := rand.Read(buf); err != nil {
		// crypto/rand does not fail on the systems Go supports.
		panic("acl: no randomness: " + err.Error())
	}
	return hex.EncodeToString(buf)[:chars], nil
}
