package seclog

import (
	"crypto/rand"
	"encoding/hex"
)

// NewEventID returns a random (version 4) UUID in its canonical text form, the default event.id.
// crypto/rand rather than math/rand: ids must not collide across processes and restarts, or the
// pipeline's de-duplication would drop distinct events.
func NewEventID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])  // never fails (Go 1.24+: crypto/rand.Read crashes the program instead)
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
