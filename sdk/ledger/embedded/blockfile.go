package embedded

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Block files are append-only. Each block is one frame:
//
//	length  uint32 big-endian  payload length
//	crc     uint32 big-endian  CRC-32C (Castagnoli) of the payload
//	payload                    the block (see block.go)
//
// A file is closed for appends once it exceeds the configured size, and the next block starts a
// new file: blocks/blockfile_000000, blockfile_000001, …

const (
	frameHeaderSize = 8
	// maxFrameSize bounds a frame's declared length, so a damaged length field cannot make a
	// reader allocate gigabytes.
	maxFrameSize     = 256 << 20
	blockFilePrefix  = "blockfile_"
	defaultFileBytes = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// location is where a frame, or a transaction entry inside a frame, lies in the block files.
type location struct {
	File   uint32
	Offset int64
	Length uint32
}

func (l location) encode(e *encoder) {
	e.uint32(l.File)
	e.uint64(uint64(l.Offset))
	e.uint32(l.Length)
}

func decodeLocation(d *decoder) location {
	return location{File: d.uint32(), Offset: int64(d.uint64()), Length: d.uint32()}
}

// blockStore appends frames to the current block file and reads frames and entries back.
type blockStore struct {
	dir         string
	maxFileSize int64

	// Appends happen on the committer goroutine only; mu guards the handles that readers share.
	mu      sync.RWMutex
	readers map[uint32]*os.File

	cur     *os.File
	curNum  uint32
	curSize int64
}

func blockFileName(dir string, n uint32) string {
	return filepath.Join(dir, fmt.Sprintf("%s%06d", blockFilePrefix, n))
}

// listBlockFiles returns the numbers of the block files in dir, ascending.
func listBlockFiles(dir string) ([]uint32, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var nums []uint32
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, blockFilePrefix) {
			continue
		}
		var n uint32
		if _, err := fmt.Sscanf(name[len(blockFilePrefix):], "%06d", &n); err != nil || blockFileName(dir, n) != filepath.Join(dir, name) {
			return nil, fmt.Errorf("unexpected file %s in %s", name, dir)
		}
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	for i, n := range nums {
		if n != uint32(i) {
			return nil, fmt.Errorf("block file %06d is missing", i)
		}
	}
	return nums, nil
}

// openBlockStore opens the block files in dir for reading and the last one for appending,
// creating blockfile_000000 if there is none.
func openBlockStore(dir string, maxFileSize int64) (*blockStore, error) {
	if maxFileSize <= 0 {
		maxFileSize = defaultFileBytes
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	nums, err := listBlockFiles(dir)
	if err != nil {
		return nil, err
	}
	s := &blockStore{dir: dir, maxFileSize: maxFileSize, readers: map[uint32]*os.File{}}
	last := uint32(0)
	if len(nums) > 0 {
		last = nums[len(nums)-1]
	}
	if err := s.openForAppend(last); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *blockStore) openForAppend(n uint32) error {
	f, err := os.OpenFile(blockFileName(s.dir, n), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return err
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		return err
	}
	s.mu.Lock()
	s.cur, s.curNum, s.curSize = f, n, size
	s.readers[n] = f
	s.mu.Unlock()
	return nil
}

// append writes one frame at the end of the current file, starting a new file first if the
// current one is full. It does not sync.
// It returns where the frame is and the file it is in (which the caller syncs).
func (s *blockStore) append(payload []byte) (location, *os.File, error) {
	if len(payload) > maxFrameSize {
		return location{}, nil, fmt.Errorf("block of %d bytes exceeds the %d-byte frame limit", len(payload), maxFrameSize)
	}
	if s.curSize > 0 && s.curSize+int64(len(payload))+frameHeaderSize > s.maxFileSize {
		// Blocks already in the finished file are synced through the handle they carry.
		if err := s.openForAppend(s.curNum + 1); err != nil {
			return location{}, nil, err
		}
	}
	var hdr [frameHeaderSize]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(len(payload)))
	binary.BigEndian.PutUint32(hdr[4:], crc32.Checksum(payload, castagnoli))
	loc := location{File: s.curNum, Offset: s.curSize, Length: uint32(frameHeaderSize + len(payload))}
	if _, err := s.cur.Write(hdr[:]); err != nil {
		return loc, nil, err
	}
	if _, err := s.cur.Write(payload); err != nil {
		return loc, nil, err
	}
	s.curSize += int64(loc.Length)
	return loc, s.cur, nil
}

// sync makes everything appended so far durable.
func (s *blockStore) sync() error { return s.cur.Sync() }

// rollback cuts the current file back to where the failed frame at loc started.
func (s *blockStore) rollback(loc location) error {
	if loc.Length == 0 {
		return nil
	}
	if loc.File != s.curNum {
		return fmt.Errorf("cannot roll back a frame in file %d while appending to %d", loc.File, s.curNum)
	}
	if err := s.cur.Truncate(loc.Offset); err != nil {
		return err
	}
	if _, err := s.cur.Seek(loc.Offset, io.SeekStart); err != nil {
		return err
	}
	s.curSize = loc.Offset
	return nil
}

func (s *blockStore) file(n uint32) (*os.File, error) {
	s.mu.RLock()
	f := s.readers[n]
	s.mu.RUnlock()
	if f != nil {
		return f, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.readers[n]; f != nil {
		return f, nil
	}
	f, err := os.Open(blockFileName(s.dir, n))
	if err != nil {
		return nil, err
	}
	s.readers[n] = f
	return f, nil
}

// readAt reads n bytes at off in block file file.
func (s *blockStore) readAt(file uint32, off int64, n uint32) ([]byte, error) {
	f, err := s.file(file)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("read block file %d at %d: %w", file, off, err)
	}
	return buf, nil
}

// readFrame reads the frame at loc and checks its length and checksum.
func (s *blockStore) readFrame(loc location) ([]byte, error) {
	buf, err := s.readAt(loc.File, loc.Offset, loc.Length)
	if err != nil {
		return nil, err
	}
	return checkFrame(buf)
}

func checkFrame(buf []byte) ([]byte, error) {
	if len(buf) < frameHeaderSize {
		return nil, fmt.Errorf("%w: short frame", errCorrupt)
	}
	n := binary.BigEndian.Uint32(buf)
	if int(n) != len(buf)-frameHeaderSize {
		return nil, fmt.Errorf("%w: frame length %d, expected %d", errCorrupt, n, len(buf)-frameHeaderSize)
	}
	payload := buf[frameHeaderSize:]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(buf[4:]) {
		return nil, fmt.Errorf("%w: frame checksum mismatch", errCorrupt)
	}
	return payload, nil
}

func (s *blockStore) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for n, f := range s.readers {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
		delete(s.readers, n)
	}
	return first
}

// frameError describes where and why a scan stopped before the end of the files.
type frameError struct {
	File   uint32
	Offset int64
	// Torn is true when the bad frame runs to the end of its file, as a write cut short by a
	// crash leaves it; false when intact data follows it.
	Torn bool
	Err  error
}

func (e *frameError) Error() string {
	return fmt.Sprintf("block file %06d offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *frameError) Unwrap() error { return e.Err }

// scanFrames reads the frames of the block files in dir from (file, off) onwards, calling fn for
// each intact one. It stops at the first damaged frame and reports it as a *frameError.
func scanFrames(dir string, file uint32, off int64, fn func(loc location, payload []byte) error) error {
	nums, err := listBlockFiles(dir)
	if err != nil {
		return err
	}
	for _, n := range nums {
		if n < file {
			continue
		}
		start := int64(0)
		if n == file {
			start = off
		}
		if err := scanFile(dir, n, start, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanFile(dir string, n uint32, off int64, fn func(loc location, payload []byte) error) error {
	f, err := os.Open(blockFileName(dir, n))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	if off > size {
		return &frameError{File: n, Offset: off, Err: fmt.Errorf("%w: file is shorter (%d bytes) than the index says", errCorrupt, size)}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [frameHeaderSize]byte
	for off < size {
		bad := func(torn bool, format string, args ...any) error {
			return &frameError{File: n, Offset: off, Torn: torn, Err: fmt.Errorf("%w: "+format, append([]any{errCorrupt}, args...)...)}
		}
		if size-off < frameHeaderSize {
			return bad(true, "%d stray bytes at the end of the file", size-off)
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		length := binary.BigEndian.Uint32(hdr[:])
		if length > maxFrameSize || int64(length) > size-off-frameHeaderSize {
			return bad(true, "frame length %d runs past the end of the file", length)
		}
		payload := make([]byte, length)
		if _, err := io.ReadFull(r, payload); err != nil {
			return err
		}
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
			return bad(off+frameHeaderSize+int64(length) == size, "frame checksum mismatch")
		}
		loc := location{File: n, Offset: off, Length: frameHeaderSize + length}
		if err := fn(loc, payload); err != nil {
			return err
		}
		off += int64(loc.Length)
	}
	return nil
}

// truncateAt cuts block file n at off and removes every later file.
func truncateAt(dir string, n uint32, off int64) error {
	nums, err := listBlockFiles(dir)
	if err != nil {
		return err
	}
	for i := len(nums) - 1; i >= 0 && nums[i] > n; i-- {
		if err := os.Remove(blockFileName(dir, nums[i])); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(blockFileName(dir, n), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(off); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a directory's entries (created, renamed or removed files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
