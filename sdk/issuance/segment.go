package issuance

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// segments holds the signed credentials of bulk jobs: one append-once file per signed Merkle
// batch, each credential's JSON followed by a newline. Keeping these kilobytes out of the
// key-value store spares it the compaction work of hundreds of megabytes per graduation; the store
// keeps each credential's file, offset and length.
type segments struct {
	dir string
}

// segmentName names the file of one signing attempt of one batch.
func segmentName(jobID string, batch, attempt int) string {
	return fmt.Sprintf("%s-%06d-%d.jsonl", jobID, batch, attempt)
}

// write stores n documents in a new file, synced, and returns each document's offset and length.
// render appends document i to dst: documents are rendered straight into the file's buffer, so
// that a batch's few tens of megabytes are not first held one allocation per document.
func (s *segments) write(name string, n int, render func(dst []byte, i int) ([]byte, error)) (offsets []int64, lengths []int, err error) {
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("issuance: segment: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	const flushAt = 1 << 20
	buf := make([]byte, 0, flushAt+64<<10)
	offsets, lengths = make([]int64, n), make([]int, n)
	var off int64
	for i := range n {
		start := len(buf)
		if buf, err = render(buf, i); err != nil {
			return nil, nil, err
		}
		buf = append(buf, '\n')
		offsets[i], lengths[i] = off, len(buf)-start-1
		off += int64(len(buf) - start)
		if len(buf) >= flushAt {
			if _, err = f.Write(buf); err != nil {
				return nil, nil, fmt.Errorf("issuance: segment: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err = f.Write(buf); err != nil {
		return nil, nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if err = f.Sync(); err != nil {
		return nil, nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if err = f.Close(); err != nil {
		return nil, nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return offsets, lengths, nil
}

// read returns one document.
func (s *segments) read(name string, off int64, n int) ([]byte, error) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("issuance: segment %s: %w", name, err)
	}
	return b, nil
}

// open opens a segment for reading in order.
func (s *segments) open(name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	return f, nil
}
