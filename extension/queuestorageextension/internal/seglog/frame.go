package seglog // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strconv"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// A segment file is a header followed by frames. A frame holds the writes of one Batch call, so
// that they are applied together or not at all:
//
//	frame:   magic uint32 | payload length uint32 | CRC-32C of (length, payload) uint32 | payload
//	payload: write time (Unix ns) int64 | op count uvarint | ops
//	op:      kind byte | key length uvarint | key | (set only) value length uvarint | value
//
// Integers are little endian. The magic lets a reader find the next frame after damage; the CRC
// covers the length too, so a damaged length is caught before it is trusted.
const (
	segMagic       = "OTSQSEG1"
	segHeaderLen   = 16 // segMagic, segment id uint64
	segSuffix      = ".seg"
	frameMagic     = uint32(0x31465351) // "QSF1"
	frameHeaderLen = 12
	// maxFrameLen bounds the length a reader believes; a longer one is damage.
	maxFrameLen = 1 << 30

	opSet    = byte(1)
	opDelete = byte(2)
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var frameMagicBytes = binary.LittleEndian.AppendUint32(nil, frameMagic)

// segName is the file name of segment id: fixed width, so names sort by id.
func segName(id uint64) string {
	s := strconv.FormatUint(id, 16)
	return "0000000000000000"[len(s):] + s + segSuffix
}

// parseSegName returns the id of a segment file name.
func parseSegName(name string) (uint64, bool) {
	if len(name) != 16+len(segSuffix) || name[16:] != segSuffix {
		return 0, false
	}
	id, err := strconv.ParseUint(name[:16], 16, 64)
	return id, err == nil
}

func appendSegHeader(dst []byte, id uint64) []byte {
	dst = append(dst, segMagic...)
	return binary.LittleEndian.AppendUint64(dst, id)
}

func validSegHeader(b []byte, id uint64) bool {
	return len(b) >= segHeaderLen && string(b[:8]) == segMagic && binary.LittleEndian.Uint64(b[8:16]) == id
}

// writeOp is one write of a frame, and where its value lands in it.
type writeOp struct {
	kind   byte
	key    string
	valOff int // offset of the value from the frame's start (set only)
	valLen int
}

// appendFrame appends a frame of the Set and Delete operations among ops to dst and returns the
// new dst and the writes, in order.
func appendFrame(dst []byte, at int64, ops []*storage.Operation, writes []writeOp) ([]byte, []writeOp) {
	start := len(dst)
	dst = append(dst, frameMagicBytes...)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // length and CRC, filled in below
	dst = binary.LittleEndian.AppendUint64(dst, uint64(at))
	n := 0
	for _, op := range ops {
		if op.Type == storage.Set || op.Type == storage.Delete {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, op := range ops {
		switch op.Type {
		case storage.Set:
			dst = append(dst, opSet)
			dst = binary.AppendUvarint(dst, uint64(len(op.Key)))
			dst = append(dst, op.Key...)
			dst = binary.AppendUvarint(dst, uint64(len(op.Value)))
			writes = append(writes, writeOp{kind: opSet, key: op.Key, valOff: len(dst) - start, valLen: len(op.Value)})
			dst = append(dst, op.Value...)
		case storage.Delete:
			dst = append(dst, opDelete)
			dst = binary.AppendUvarint(dst, uint64(len(op.Key)))
			dst = append(dst, op.Key...)
			writes = append(writes, writeOp{kind: opDelete, key: op.Key})
		}
	}
	sealFrame(dst[start:])
	return dst, writes
}

// sealFrame fills in the length and CRC of a frame whose payload is complete.
func sealFrame(frame []byte) {
	binary.LittleEndian.PutUint32(frame[4:8], uint32(len(frame)-frameHeaderLen))
	binary.LittleEndian.PutUint32(frame[8:12], frameCRC(frame))
}

func frameCRC(frame []byte) uint32 {
	c := crc32.Update(0, crcTable, frame[4:8])
	return crc32.Update(c, crcTable, frame[frameHeaderLen:])
}

// frameAt returns the length of the intact frame at the start of b, or 0 if there is none.
func frameAt(b []byte) int {
	if len(b) < frameHeaderLen || binary.LittleEndian.Uint32(b) != frameMagic {
		return 0
	}
	n := int(binary.LittleEndian.Uint32(b[4:8]))
	if n > maxFrameLen || n > len(b)-frameHeaderLen {
		return 0
	}
	if binary.LittleEndian.Uint32(b[8:12]) != frameCRC(b[:frameHeaderLen+n]) {
		return 0
	}
	return frameHeaderLen + n
}

// nextFrame returns the offset in b, after from, of the next intact frame, or -1.
func nextFrame(b []byte, from int) int {
	for from < len(b) {
		i := bytes.Index(b[from:], frameMagicBytes)
		if i < 0 {
			return -1
		}
		if frameAt(b[from+i:]) > 0 {
			return from + i
		}
		from += i + 1
	}
	return -1
}

// decodeFrame appends the writes of an intact frame to writes and returns the frame's write time;
// ok is false when the payload does not decode (damage that kept a valid CRC: practically never).
func decodeFrame(frame []byte, writes []writeOp) (at int64, _ []writeOp, ok bool) {
	if len(frame) < frameHeaderLen+8 {
		return 0, writes, false
	}
	at = int64(binary.LittleEndian.Uint64(frame[frameHeaderLen:]))
	off := frameHeaderLen + 8
	n, k := binary.Uvarint(frame[off:])
	if k <= 0 {
		return 0, writes, false
	}
	off += k
	first := len(writes)
	for range n {
		if off >= len(frame) {
			return 0, writes[:first], false
		}
		kind := frame[off]
		off++
		kl, k := binary.Uvarint(frame[off:])
		if k <= 0 || kl > uint64(len(frame)-off-k) {
			return 0, writes[:first], false
		}
		off += k
		w := writeOp{kind: kind, key: string(frame[off : off+int(kl)])}
		off += int(kl)
		switch kind {
		case opSet:
			vl, k := binary.Uvarint(frame[off:])
			if k <= 0 || vl > uint64(len(frame)-off-k) {
				return 0, writes[:first], false
			}
			off += k
			w.valOff, w.valLen = off, int(vl)
			off += int(vl)
		case opDelete:
		default:
			return 0, writes[:first], false
		}
		writes = append(writes, w)
	}
	if off != len(frame) {
		return 0, writes[:first], false
	}
	return at, writes, true
}
