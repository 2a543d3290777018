package issuance

import (
	"bufio"
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

// write stores docs in a new file, synced, and returns each document's offset.
func (s *segments) write(name string, docs [][]byte) ([]int64, error) {
	path := filepath.Join(s.dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	offsets := make([]int64, len(docs))
	var off int64
	for i, d := range docs {
		offsets[i] = off
		if _, err := w.Write(d); err != nil {
			f.Close()
			return nil, fmt.Errorf("issuance: segment: %w", err)
		}
		if err := w.WriteByte('\n'); err != nil {
			f.Close()
			return nil, fmt.Errorf("issuance: segment: %w", err)
		}
		off += int64(len(d)) + 1
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("issuance: segment: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return offsets, nil
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
