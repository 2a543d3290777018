package embedded

import (
	"bytes"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// historyEntry turns a history index value (where the writing transaction is stored) into the
// KeyModification Fabric returns.
func (l *Ledger) historyEntry(key string, locBytes []byte) (*queryresult.KeyModification, error) {
	d := decoder{b: locBytes}
	loc := decodeLocation(&d)
	if err := d.done(); err != nil {
		return nil, corruptErr("history index", err)
	}
	raw, err := l.store.readAt(loc.File, loc.Offset, loc.Length)
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	e, err := decodeTxEntry(raw)
	if err != nil {
		return nil, corruptErr("block files", err)
	}
	for _, w := range e.RWSet.Writes {
		if w.Key == key {
			return &queryresult.KeyModification{
				TxId: e.TxID, Value: bytes.Clone(w.Value), Timestamp: timestamppb.New(e.Timestamp), IsDelete: w.IsDelete,
			}, nil
		}
	}
	return nil, corruptErr("history index", fmt.Errorf("%w: transaction %s does not write %q", errCorrupt, e.TxID, key))
}
