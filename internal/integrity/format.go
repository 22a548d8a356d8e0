// Package integrity makes an exporter's output tamper-evident and gap-evident end to end: every
// record leaving an exporter with `integrity:` configured carries a stream id, a gap-free sequence
// number and an HMAC-SHA256 chain value, and the exporter emits checkpoint records (category
// audit) that state the stream's count and chain. cmd/otelcol-siem-verify checks what a SIEM
// stored against the key. docs/integrity.md describes the format and the threat model.
//
// The MAC covers the record's payload (the CEF line or the JSON event object, never a syslog
// header, which receivers rewrite), up to the integrity fields, which are written last:
//
//	CEF:  <payload> flexString1Label=otsecIntegrityStream flexString1=<stream> flexNumber1Label=otsecIntegritySeq flexNumber1=<seq> flexString2Label=otsecIntegrity flexString2=key:<key id>[ cp:<checkpoint>] mac:<chain value>
//	JSON: <payload without its closing brace>,"otsec.integrity.stream":"<stream>","otsec.integrity.seq":<seq>,"otsec.integrity.key":"<key id>"[,"otsec.integrity.checkpoint":"<checkpoint>"],"otsec.integrity.mac":"<chain value>"}
//
// where <payload> in the JSON case ends with the comma before "otsec.integrity.stream" (none when
// the object was empty). The chain value of record n is
//
//	HMAC-SHA256(key, "otsec-integrity/1" LF stream LF seq LF keyID LF checkpoint LF chain(n-1) payload)
//
// with chain(0) 32 zero bytes and chain values as raw bytes inside the MAC, lower-case hex outside.
package integrity // import "github.com/unified-ot/otelcol-siem/internal/integrity"

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
)

// Kind is the payload format of the records a stamp is written into.
type Kind int

// Payload formats.
const (
	KindCEF Kind = iota
	KindJSON
)

// macDomain separates this MAC from any other use of the key.
const macDomain = "otsec-integrity/1\n"

// The fixed text of the stamps. cefMarker and jsonMarker start a stamp; a reader takes the last
// one in a record (a payload may quote one, but never after the real stamp).
const (
	cefMarker  = " flexString1Label=otsecIntegrityStream flexString1="
	jsonMarker = `"otsec.integrity.stream":"`
)

// The rest of the CEF stamp's fixed text (stampSyntaxes, MaxStampSize).
const (
	cefSeq = " flexNumber1Label=otsecIntegritySeq flexNumber1="
	cefKey = " flexString2Label=otsecIntegrity flexString2=key:"
	cefCP  = " cp:"
	cefMAC = " mac:"
)

// stampSyntax is the text around a stamp's values in one payload format:
// marker stream seq number key keyID [checkpoint statement] mac chain end.
type stampSyntax struct {
	marker, seq, key, checkpoint, mac, end string
}

var stampSyntaxes = [...]stampSyntax{
	KindCEF:  {cefMarker, cefSeq, cefKey, cefCP, cefMAC, ""},
	KindJSON: {jsonMarker, `","otsec.integrity.seq":`, `,"otsec.integrity.key":"`, `","otsec.integrity.checkpoint":"`, `","otsec.integrity.mac":"`, `"}`},
}

// MACSize is the size of a chain value.
const MACSize = sha256.Size

// Chain is a chain value.
type Chain [MACSize]byte

// String is the chain value in lower-case hex.
func (c Chain) String() string { return hex.EncodeToString(c[:]) }

// ParseChain reads a chain value written by String.
func ParseChain(s string) (Chain, error) {
	var c Chain
	if len(s) != 2*MACSize {
		return c, errors.New("chain value: not 64 hex digits")
	}
	if _, err := hex.Decode(c[:], []byte(s)); err != nil {
		return c, errors.New("chain value: not 64 hex digits")
	}
	return c, nil
}

// Stamp is what a record's integrity fields say.
type Stamp struct {
	Stream string
	Seq    uint64
	KeyID  string
	// Checkpoint is the checkpoint statement of a checkpoint record ("" on every other record).
	Checkpoint string
	MAC        Chain
	// Kind is the format the stamp was found in (Split); not part of the MAC.
	Kind Kind
}

// macer computes chain values with one key. It is not safe for concurrent use.
type macer struct {
	h   hash.Hash
	buf []byte
	sum []byte
}

// newMacer returns a macer of key.
func newMacer(key []byte) *macer { return &macer{h: hmac.New(sha256.New, key)} }

// Mac computes the chain value of a record: its stamp (stream, number, key id, checkpoint
// statement), the previous record's chain value and its payload.
func (m *macer) Mac(prev Chain, s *Stamp, payload []byte) Chain {
	b := append(m.buf[:0], macDomain...)
	b = append(append(b, s.Stream...), '\n')
	b = append(strconv.AppendUint(b, s.Seq, 10), '\n')
	b = append(append(b, s.KeyID...), '\n')
	b = append(append(b, s.Checkpoint...), '\n')
	b = append(b, prev[:]...)
	m.buf = b
	m.h.Reset()
	m.h.Write(b)
	m.h.Write(payload)
	m.sum = m.h.Sum(m.sum[:0])
	return Chain(m.sum)
}

// KeyID names a key without revealing it: the first 16 hex digits of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:8])
}

// payloadForMAC turns a formatted payload into the bytes the MAC covers and the bytes a stamp is
// appended to (the same slice, changed in place for JSON: the closing brace becomes a comma).
func payloadForMAC(kind Kind, payload []byte) []byte {
	if kind != KindJSON || len(payload) == 0 || payload[len(payload)-1] != '}' {
		return payload
	}
	if body := bytes.TrimRight(payload[:len(payload)-1], " "); len(body) == 0 || body[len(body)-1] == '{' {
		return payload[:len(payload)-1] // an empty object: no member before the stamp
	}
	payload[len(payload)-1] = ','
	return payload
}

// appendStamp writes the stamp's fields after the MAC-covered payload.
func appendStamp(dst []byte, kind Kind, s *Stamp) []byte {
	syn := &stampSyntaxes[kind]
	var mac [2 * MACSize]byte
	hex.Encode(mac[:], s.MAC[:])
	dst = append(dst, syn.marker...)
	dst = append(dst, s.Stream...)
	dst = append(dst, syn.seq...)
	dst = strconv.AppendUint(dst, s.Seq, 10)
	dst = append(dst, syn.key...)
	dst = append(dst, s.KeyID...)
	if s.Checkpoint != "" {
		dst = append(dst, syn.checkpoint...)
		dst = append(dst, s.Checkpoint...)
	}
	dst = append(dst, syn.mac...)
	dst = append(dst, mac[:]...)
	return append(dst, syn.end...)
}

// MaxStampSize bounds the bytes a stamp adds to a record without a checkpoint statement (a
// transport's size limit is applied to the payload with this much room kept).
const MaxStampSize = len(cefMarker) + 36 + len(cefSeq) + 20 + len(cefKey) + 16 + len(cefMAC) + 2*MACSize + 2

// Split finds the stamp in a stored record (payload and stamp, without any syslog header or line
// end): it returns the MAC-covered payload and the stamp. ok is false when rec carries no stamp;
// err says why a stamp that is there cannot be read.
func Split(rec []byte) (payload []byte, s Stamp, ok bool, err error) {
	// The real stamp is the last marker of either kind: a payload may quote the other kind's
	// marker (JSON does not escape "=", CEF does not escape quotes), never after the stamp.
	at, kind := -1, KindCEF
	for k := range stampSyntaxes {
		if i := bytes.LastIndex(rec, []byte(stampSyntaxes[k].marker)); i > at {
			at, kind = i, Kind(k)
		}
	}
	if at < 0 {
		return nil, s, false, nil
	}
	syn := &stampSyntaxes[kind]
	s, err = parseStamp(rec[at+len(syn.marker):], syn)
	s.Kind = kind
	return rec[:at], s, true, err
}

var errStamp = errors.New("integrity fields are malformed")

// parseStamp reads the values of a stamp written in syntax syn, from just after its marker.
func parseStamp(p []byte, syn *stampSyntax) (Stamp, error) {
	var s Stamp
	stream, p, ok := bytes.Cut(p, []byte(syn.seq))
	if !ok {
		return s, errStamp
	}
	seq, p, ok := bytes.Cut(p, []byte(syn.key))
	if !ok {
		return s, errStamp
	}
	rest, mac, ok := bytesCutLast(p, syn.mac)
	if !ok {
		return s, errStamp
	}
	key, cp, _ := bytes.Cut(rest, []byte(syn.checkpoint))
	if mac, ok = bytes.CutSuffix(bytes.TrimRight(mac, " \t"), []byte(syn.end)); !ok {
		return s, errStamp
	}
	return fillStamp(stream, seq, key, cp, mac)
}

func bytesCutLast(p []byte, sep string) (before, after []byte, ok bool) {
	i := bytes.LastIndex(p, []byte(sep))
	if i < 0 {
		return nil, nil, false
	}
	return p[:i], p[i+len(sep):], true
}

func fillStamp(stream, seq, key, cp, mac []byte) (Stamp, error) {
	s := Stamp{Stream: string(stream), KeyID: string(key), Checkpoint: string(cp)}
	var err error
	if s.Seq, err = strconv.ParseUint(string(seq), 10, 64); err != nil || s.Seq == 0 {
		return s, errors.New("integrity fields: sequence number is not a positive integer")
	}
	if s.MAC, err = ParseChain(string(mac)); err != nil {
		return s, err
	}
	if s.Stream == "" || s.KeyID == "" {
		return s, errStamp
	}
	return s, nil
}
