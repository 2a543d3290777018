package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

func newLedgerCmd(g *globals, s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Inspect and verify the embedded ledger in --dir",
	}
	var signatures bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the whole ledger: block hashes and chain, framing, and every state entry against a replay",
		Long: `verify recomputes every block's hash and the chain between blocks, checks the block files'
framing and checksums, replays every valid write and compares the result with every entry of the
state database. It exits 0 when the ledger is intact and 1, naming the first bad block or key, when
anything was modified. With --signatures it also re-verifies every transaction's signature.

The ledger must not be open in another process (stop 'eduledger run' first).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := devnet.Load(g.dir)
			if err != nil {
				return err
			}
			var opts []embedded.VerifyOption
			if signatures {
				opts = append(opts, embedded.WithSignatureCheck())
			}
			start := time.Now()
			rep, err := embedded.Verify(cmd.Context(), n.LedgerDir(), opts...)
			if rep != nil {
				fmt.Fprintf(s.out, "checked %d blocks, %d transactions (%d valid), %d state entries", rep.Blocks, rep.Transactions, rep.Valid, rep.Entries)
				if signatures {
					fmt.Fprintf(s.out, ", %d signatures", rep.Signatures)
				}
				fmt.Fprintf(s.out, " in %s\n", time.Since(start).Round(time.Millisecond))
			}
			if err != nil {
				var ie *embedded.IntegrityError
				if errors.As(err, &ie) {
					return fmt.Errorf("ledger is NOT intact: %s", ie.Problem)
				}
				return err
			}
			fmt.Fprintln(s.out, "ledger intact")
			return nil
		},
	}
	verify.Flags().BoolVar(&signatures, "signatures", false, "also re-verify every transaction signature (slower)")

	var from, limit int
	var asJSON bool
	blocks := &cobra.Command{
		Use:   "blocks",
		Short: "List blocks: number, hash, transactions and their validation codes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from < 0 || limit < 1 {
				return usagef("--from must be ≥ 0 and --limit ≥ 1")
			}
			l, err := openLedger(g)
			if err != nil {
				return err
			}
			defer l.Close()
			height := l.Height()
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintf(s.out, "height %d\n", height)
				fmt.Fprintln(tw, "BLOCK\tHASH\tTXS\tVALID\tFIRST TX TIME\tFUNCTIONS")
			}
			for b := uint64(from); b < height && b < uint64(from+limit); b++ {
				blk, err := l.Block(b)
				if err != nil {
					return err
				}
				if asJSON {
					if err := writeJSONLine(s, blockSummary(blk)); err != nil {
						return err
					}
					continue
				}
				sum := blockSummary(blk)
				first := ""
				if len(blk.Transactions) > 0 {
					first = blk.Transactions[0].Timestamp.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%.16x…\t%d\t%d\t%s\t%s\n", blk.Number, blk.Hash, len(blk.Transactions), sum.Valid, first, strings.Join(sum.Functions, ","))
			}
			return tw.Flush()
		},
	}
	blocks.Flags().IntVar(&from, "from", 0, "first block to list")
	blocks.Flags().IntVar(&limit, "limit", 50, "how many blocks to list")
	blocks.Flags().BoolVar(&asJSON, "json", false, "one JSON object per block")

	var raw bool
	history := &cobra.Command{
		Use:   "history TYPE [ATTRIBUTE...]",
		Short: "Show every committed version of a state key, newest first",
		Long: `history shows every committed write of one key of the chaincode's state, newest first.
The key is given as its object type and attributes (see docs/data-model.md, "Ledger keys"):

  eduledger ledger history org riverside-university
  eduledger ledger history cred urn:uuid:0b6c…
  eduledger ledger history lrn L2026000123

With --raw the single argument is the key itself.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key := args[0]
			if raw {
				if len(args) != 1 {
					return usagef("--raw takes exactly one key")
				}
			} else {
				key = compositeKey(args[0], args[1:])
			}
			l, err := openLedger(g)
			if err != nil {
				return err
			}
			defer l.Close()
			entries, err := l.History(cmd.Context(), key)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return eduledger.Errorf(eduledger.ENOTFOUND, "key %s has never been written", printableKey(key))
			}
			for _, e := range entries {
				fmt.Fprintf(s.out, "%s  block %d tx %d  %s", e.Timestamp.Format(time.RFC3339Nano), e.Version.Block, e.Version.Tx, e.TxID)
				if e.IsDelete {
					fmt.Fprintln(s.out, "  (deleted)")
					continue
				}
				fmt.Fprintln(s.out)
				fmt.Fprintln(s.out, "  "+indentJSON(e.Value))
			}
			return nil
		},
	}
	history.Flags().BoolVar(&raw, "raw", false, "treat the argument as the raw key")
	cmd.AddCommand(verify, blocks, history)
	return cmd
}

// openLedger opens the embedded ledger of the development network in --dir for inspection.
func openLedger(g *globals) (*embedded.Ledger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, err
	}
	n, err := devnet.Load(g.dir)
	if err != nil {
		return nil, err
	}
	cc, err := chaincode.New(chaincode.GoverningMSP(devnet.GovMSP))
	if err != nil {
		return nil, err
	}
	return embedded.Open(n.LedgerDir(), cc, embedded.WithLogger(log))
}

// createLedger writes the genesis block of a new development network's ledger.
func createLedger(n *devnet.Network) error { return n.CreateLedger() }

type blockLine struct {
	Number    uint64   `json:"number"`
	Hash      string   `json:"hash"`
	Previous  string   `json:"previousHash"`
	Txs       int      `json:"transactions"`
	Valid     int      `json:"valid"`
	Invalid   []string `json:"invalid,omitempty"`
	Functions []string `json:"functions,omitempty"`
}

func blockSummary(b *embedded.Block) blockLine {
	out := blockLine{Number: b.Number, Hash: fmt.Sprintf("%x", b.Hash), Previous: fmt.Sprintf("%x", b.PreviousHash), Txs: len(b.Transactions)}
	seen := map[string]bool{}
	for _, tx := range b.Transactions {
		if tx.ValidationCode == peer.TxValidationCode_VALID {
			out.Valid++
		} else {
			out.Invalid = append(out.Invalid, tx.TxID+":"+tx.ValidationCode.String())
		}
		if !seen[tx.Function] {
			seen[tx.Function] = true
			out.Functions = append(out.Functions, tx.Function)
		}
	}
	return out
}

// compositeKey builds the chaincode's composite key the way shim.CreateCompositeKey does.
func compositeKey(objectType string, attrs []string) string {
	var b strings.Builder
	b.WriteString("\x00" + objectType + "\x00")
	for _, a := range attrs {
		b.WriteString(a + "\x00")
	}
	return b.String()
}

func printableKey(k string) string { return strings.ReplaceAll(strings.Trim(k, "\x00"), "\x00", " ") }

func indentJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return fmt.Sprintf("%q", b)
	}
	out, _ := json.MarshalIndent(v, "  ", "  ")
	return string(out)
}

func writeJSONLine(s *streams, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(s.out, string(b))
	return err
}
