package embedded

import (
	"os"
	"path/filepath"
	"testing"
)

func blockSeeds(f *testing.F) [][]byte {
	n, recs := smallLedger(f)
	var seeds [][]byte
	for _, r := range recs {
		b, err := os.ReadFile(blockFileName(filepath.Join(n.dir, blocksDir), r.Loc.File))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b[r.Loc.Offset+frameHeaderSize:r.Loc.Offset+int64(r.Loc.Length)])
	}
	return seeds
}

// FuzzDecodeBlock feeds arbitrary bytes to the block and transaction decoders: a damaged or
// hostile block file must give an error, never a panic or a runaway allocation.
func FuzzDecodeBlock(f *testing.F) {
	for _, s := range blockSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{formatVersion, blockTransactions})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decodeBlock(data)
		if err != nil {
			return
		}
		if len(b.Codes) != len(b.Entries) {
			t.Fatalf("%d codes for %d entries", len(b.Codes), len(b.Entries))
		}
		for _, e := range b.Entries {
			if tx, err := decodeTxEntry(e); err == nil && tx.RWSet == nil {
				t.Fatal("a decoded transaction without a read/write set")
			}
		}
	})
}

// FuzzDecodeTxEntry fuzzes the transaction decoder directly, where most of the structure is.
func FuzzDecodeTxEntry(f *testing.F) {
	for _, s := range blockSeeds(f) {
		b, err := decodeBlock(s)
		if err != nil {
			f.Fatal(err)
		}
		if b.Header.Kind == blockTransactions {
			for _, e := range b.Entries {
				f.Add(e)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := decodeTxEntry(data)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		var e encoder
		tx.encode(&e)
		again, err := decodeTxEntry(e.b)
		if err != nil || again.TxID != tx.TxID || len(again.RWSet.Writes) != len(tx.RWSet.Writes) {
			t.Fatalf("re-encoded entry does not decode the same: %v", err)
		}
	})
}

// FuzzBlockFile fuzzes the frame scanner over a whole block file.
func FuzzBlockFile(f *testing.F) {
	n, _ := smallLedger(f)
	whole, err := os.ReadFile(blockFileName(filepath.Join(n.dir, blocksDir), 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add(whole[:len(whole)-5])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(blockFileName(dir, 0), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var end int64
		err := scanFrames(dir, 0, 0, func(loc location, payload []byte) error {
			if int(loc.Length) != len(payload)+frameHeaderSize || loc.Offset != end {
				t.Fatalf("frame at %d of %d bytes does not follow the previous one", loc.Offset, loc.Length)
			}
			end = loc.Offset + int64(loc.Length)
			_, _ = decodeBlock(payload)
			return nil
		})
		if err == nil && end != int64(len(data)) {
			t.Fatalf("scan ended at %d of %d bytes without an error", end, len(data))
		}
	})
}
