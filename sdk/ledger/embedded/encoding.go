package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The block and index formats are hand-written binary: length-prefixed fields with unsigned
// varints, big-endian fixed-width numbers where a sort order or a fixed size matters. Decoders
// never trust a length: every length and count is checked against the bytes that remain, so a
// damaged file gives an error, never a panic or a huge allocation.

// errCorrupt is wrapped by every decoding error.
var errCorrupt = errors.New("corrupt record")

type encoder struct{ b []byte }

func (e *encoder) byte(v byte)           { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64)      { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)        { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) uint64(v uint64)       { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) uint32(v uint32)       { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) raw(p []byte)          { e.b = append(e.b, p...) }
func (e *encoder) bytes(p []byte)        { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) string(s string)       { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(v bool)           { e.byte(boolByte(v)) }
func (e *encoder) version(v Version)     { e.uvarint(v.Block); e.uvarint(uint64(v.Tx)) }
func (e *encoder) hash(h [32]byte)       { e.b = append(e.b, h[:]...) }
func (e *encoder) len() int              { return len(e.b) }
func (e *encoder) count(n int)           { e.uvarint(uint64(n)) }
func (e *encoder) int32(v int32)         { e.varint(int64(v)) }
func (e *encoder) opt(present bool) bool { e.bool(present); return present }

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decoder reads what encoder wrote. The first error sticks: later reads return zero values, and
// err reports it.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", errCorrupt, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("unexpected end")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad boolean")
	return false
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("int32 out of range")
		return 0
	}
	return int32(v)
}

func (d *decoder) uint32v() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail("uint32 out of range")
		return 0
	}
	return uint32(v)
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || d.remaining() < n {
		d.fail("need %d bytes, have %d", n, d.remaining())
		return nil
	}
	v := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return v
}

func (d *decoder) uint64() uint64 {
	p := d.fixed(8)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) uint32() uint32 {
	p := d.fixed(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

// bytes returns a length-prefixed field, aliasing the input.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(d.remaining()) {
		d.fail("length %d exceeds the %d bytes left", n, d.remaining())
		return nil
	}
	return d.fixed(int(n))
}

func (d *decoder) string() string { return string(d.bytes()) }

// count reads an element count and checks that the remaining bytes could hold that many elements
// of at least minSize bytes each.
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(d.remaining()/minSize) {
		d.fail("count %d exceeds what %d bytes can hold", n, d.remaining())
		return 0
	}
	return int(n)
}

func (d *decoder) version() Version {
	return Version{Block: d.uvarint(), Tx: d.uint32v()}
}

func (d *decoder) hash() (h [32]byte) {
	copy(h[:], d.fixed(32))
	return h
}

func (d *decoder) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
