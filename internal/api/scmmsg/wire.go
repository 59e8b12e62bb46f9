// Package scmmsg holds the API's messages for its clients: the types of
// internal/api/scmv1, with the same names and fields, as plain structs that
// encode themselves in protobuf's binary form. A client linking them pays
// nothing at start-up; the protobuf runtime scmv1 needs registers every
// message and reads the program's own binary before main runs, which a
// command-line tool pays on each run. scmd keeps scmv1; the two agree on the
// wire, which scmmsg_test checks message by message.
//
// messages.go is generated from scmv1 by ./gen (`make proto`).
package scmmsg

import (
	"errors"
	"math/bits"
)

// Message is what internal/client sends and receives.
type Message interface {
	AppendBinary(b []byte) ([]byte, error)
	UnmarshalBinary(b []byte) error
}

// Marshal encodes m.
func Marshal(m Message) ([]byte, error) { return m.AppendBinary(nil) }

// Protobuf's wire types.
const (
	wireVarint = 0
	wireI64    = 1
	wireBytes  = 2
	wireI32    = 5
)

var errTruncated = errors.New("scmmsg: truncated message")

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendTag(b []byte, num, typ int) []byte { return appendVarint(b, uint64(num)<<3|uint64(typ)) }

func appendUint(b []byte, num int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarint(appendTag(b, num, wireVarint), v)
}

func appendBool(b []byte, num int, v bool) []byte {
	if !v {
		return b
	}
	return append(appendTag(b, num, wireVarint), 1)
}

func appendString(b []byte, num int, s string) []byte {
	b = appendVarint(appendTag(b, num, wireBytes), uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, num int, v []byte) []byte {
	b = appendVarint(appendTag(b, num, wireBytes), uint64(len(v)))
	return append(b, v...)
}

// appendMessage appends m length-prefixed; the prefix is written once the
// length is known, moving the message along by its size.
func appendMessage(b []byte, num int, m Message) []byte {
	b = appendTag(b, num, wireBytes)
	start := len(b)
	b, _ = m.AppendBinary(b)
	n := len(b) - start
	size := varintSize(uint64(n))
	b = append(b, make([]byte, size)...)
	copy(b[start+size:], b[start:start+n])
	appendVarint(b[start:start], uint64(n))
	return b
}

func varintSize(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

func consumeVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// field reads one field's tag and value: its number, wire type, the
// varint for wireVarint, the bytes for wireBytes, and what follows.
func field(b []byte) (num, typ int, v uint64, data, rest []byte, err error) {
	tag, n := consumeVarint(b)
	if n < 0 {
		return 0, 0, 0, nil, nil, errTruncated
	}
	b = b[n:]
	num, typ = int(tag>>3), int(tag&7)
	switch typ {
	case wireVarint:
		if v, n = consumeVarint(b); n < 0 {
			return 0, 0, 0, nil, nil, errTruncated
		}
		return num, typ, v, nil, b[n:], nil
	case wireBytes:
		l, n := consumeVarint(b)
		if n < 0 || uint64(len(b)-n) < l {
			return 0, 0, 0, nil, nil, errTruncated
		}
		return num, typ, 0, b[n : n+int(l)], b[n+int(l):], nil
	case wireI64:
		if len(b) < 8 {
			return 0, 0, 0, nil, nil, errTruncated
		}
		return num, typ, 0, b[:8], b[8:], nil
	case wireI32:
		if len(b) < 4 {
			return 0, 0, 0, nil, nil, errTruncated
		}
		return num, typ, 0, b[:4], b[4:], nil
	}
	return 0, 0, 0, nil, nil, errors.New("scmmsg: unknown wire type")
}

var errWireType = errors.New("scmmsg: a field of the wrong wire type")
