package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

func newRecordCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "record",
		Short: "Record learning outcomes in learners' lifelong archives, through the issuer service",
		Long: `record keeps the lifelong archive (一生一码): courses completed, exams passed, placements, awards and
training. The summary (kind, title, code, field, level, hours, date) goes on the shared ledger; the
result, assessment, evidence and notes go only to your organisation's private data, with their
salted digest on the ledger. Credits are decimal numbers of credits ("3", "2.5").

  eduledger record add --learner L2026000123 --kind COURSE --title-zh 计算机网络 \
      --title-en "Computer Networks" --code CN201 --field computer-networks --level 6 --hours 48 \
      --date 2026-06-30 --result "A (91/100)" -o cn201.json
  eduledger record add --file outcomes.json       # a JSON array of records, one by one
  eduledger record get urn:uuid:… --detail
  eduledger record archive L2026000123`,
	}
	f.add(cmd)

	var req issuance.RecordRequest
	var date, claimed, idem, file, out string
	add := &cobra.Command{
		Use: "add", Short: "Record a learning outcome (or --file: many)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var reqs []issuance.RecordRequest
			if file != "" {
				if countSet(cmd, "id", "learner", "kind", "title-zh", "title-en", "code", "field", "level", "hours", "credits-claimed",
					"date", "result", "assessment", "evidence", "notes") > 0 {
					return usagef("--file takes the records from the file; give no other record flags")
				}
				var err error
				if reqs, err = readRecords(file); err != nil {
					return err
				}
			} else {
				r := req
				if r.LearnerID == "" || r.Kind == "" || date == "" {
					return usagef("--learner, --kind and --date are required (or --file)")
				}
				var err error
				if r.Date, err = parseWhen("--date", date); err != nil {
					return err
				}
				if claimed != "" {
					if r.CreditsClaimed, err = eduledger.ParseCredits(claimed); err != nil {
						return usagef("--credits-claimed: %s", eduledger.ErrorMessage(err))
					}
				}
				r.Kind = eduledger.RecordKind(strings.ToUpper(string(r.Kind)))
				reqs = []issuance.RecordRequest{r}
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			var done []*issuance.LearningRecord
			for i, r := range reqs {
				key := idem
				if idem != "" && len(reqs) > 1 {
					key = fmt.Sprintf("%s-%d", idem, i+1)
				}
				rec, err := c.RecordOutcome(cmd.Context(), r, key)
				if err != nil {
					if len(reqs) > 1 {
						fmt.Fprintf(s.err, "record %d of %d (learner %s) was refused; the %d before it are recorded\n", i+1, len(reqs), r.LearnerID, i)
					}
					return fieldErrors(s, err)
				}
				fmt.Fprintf(s.out, "recorded %s: %s %q for %s on %s; the full record stays in %s's private data\n",
					rec.ID, rec.Kind, rec.Title.En, rec.LearnerID, rec.Date.Format(time.DateOnly), rec.IssuerID)
				done = append(done, rec)
			}
			if out == "" {
				return nil
			}
			var v any = done
			if file == "" {
				v = done[0]
			}
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return err
			}
			// The full record holds the grade and the salt that proves it: keep it private.
			return writeFileAtomic(out, append(b, '\n'), 0o600)
		},
	}
	af := add.Flags()
	af.StringVar(&req.ID, "id", "", "record ID (default: a fresh urn:uuid)")
	af.StringVar(&req.LearnerID, "learner", "", "learner ID")
	af.StringVar((*string)(&req.Kind), "kind", "", "COURSE, EXAM, PRACTICE, AWARD or TRAINING")
	af.StringVar(&req.Title.Zh, "title-zh", "", "title in Chinese")
	af.StringVar(&req.Title.En, "title-en", "", "title in English")
	af.StringVar(&req.Code, "code", "", "your course, exam or programme code")
	af.StringVar(&req.Field, "field", "", "field of study (lower-case, e.g. computer-networks)")
	af.IntVar(&req.Level, "level", 0, "qualification-framework level, 1 to 8")
	af.IntVar(&req.Hours, "hours", 0, "study hours")
	af.StringVar(&claimed, "credits-claimed", "", "what you say it is worth, in credits (informational)")
	af.StringVar(&date, "date", "", "when the outcome was achieved (YYYY-MM-DD or RFC 3339)")
	af.StringVar(&req.Detail.Result, "result", "", "grade, score or pass mark (private)")
	af.StringVar(&req.Detail.Assessment, "assessment", "", "how it was assessed (private)")
	af.StringSliceVar(&req.Detail.Evidence, "evidence", nil, "evidence references (private; repeat)")
	af.StringVar(&req.Detail.Notes, "notes", "", "notes (private)")
	af.StringVar(&file, "file", "", "a JSON file: one record request or an array of them (see docs/openapi-issuer.json, RecordRequest)")
	af.StringVar(&idem, "idempotency-key", "", "names the request so that a retry is safe (with --file: KEY-1, KEY-2, …)")
	af.StringVarP(&out, "output", "o", "", "write what was recorded, with the full record and its salt, to this file (0600)")

	var detail bool
	get := &cobra.Command{
		Use: "get RECORD", Short: "Show a learning record (--detail: with its full record, for the recording organisation)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.GetRecord(cmd.Context(), args[0], detail)
			if err != nil {
				return err
			}
			return printJSON(s, r)
		},
	}
	get.Flags().BoolVar(&detail, "detail", false, "include the full record (recorded in the audit log)")

	var pg pageFlags
	list := &cobra.Command{
		Use: "list", Short: "List the learning records your organisation recorded", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			return pages(cmd.Context(), s, pg, func(ctx context.Context, size int, token string) ([]eduledger.LearningRecord, string, error) {
				p, err := c.ListRecords(ctx, size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	pg.add(list)

	var apg pageFlags
	archive := &cobra.Command{
		Use: "archive LEARNER", Short: "Show a learner's lifelong archive, in the order of the outcomes", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			return pages(cmd.Context(), s, apg, func(ctx context.Context, size int, token string) ([]eduledger.ArchiveItem, string, error) {
				p, err := c.Archive(ctx, args[0], size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	apg.add(archive)

	var reason string
	revoke := &cobra.Command{
		Use: "revoke RECORD --reason CODE", Short: "Revoke a learning record (final); the credits deposited from it are blocked", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usagef("--reason is required: ISSUED_IN_ERROR, FRAUD, SUPERSEDED, DISCIPLINARY, KEY_COMPROMISE, UNDER_REVIEW or OTHER")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.RevokeRecord(cmd.Context(), args[0], strings.ToUpper(reason))
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "%s is %s (%s); credits deposited from it can no longer be used\n", r.ID, r.Status, r.StatusReason)
			return nil
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "reason code")

	cmd.AddCommand(add, get, list, archive, revoke)
	return cmd
}

// readRecords reads one record request or an array of them from a JSON file, strictly.
func readRecords(path string) ([]issuance.RecordRequest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%v", err)
	}
	trimmed := strings.TrimSpace(string(b))
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var reqs []issuance.RecordRequest
	if strings.HasPrefix(trimmed, "{") {
		var one issuance.RecordRequest
		err = dec.Decode(&one)
		reqs = []issuance.RecordRequest{one}
	} else {
		err = dec.Decode(&reqs)
	}
	if err == nil {
		if _, more := dec.Token(); !errors.Is(more, io.EOF) {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	if len(reqs) == 0 {
		return nil, usagef("%s holds no records", path)
	}
	return reqs, nil
}

// countSet counts the named flags that were set on the command line.
func countSet(cmd *cobra.Command, names ...string) int {
	n := 0
	for _, name := range names {
		if cmd.Flags().Changed(name) {
			n++
		}
	}
	return n
}

// parseWhen reads a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func parseWhen(flag, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usagef("%s %q must be a date (2026-06-30) or an RFC 3339 time (2026-06-30T08:00:00+08:00)", flag, v)
	}
	return t.UTC(), nil
}

// pageFlags page through a list: one page of --page-size from --page-token, or --all.
type pageFlags struct {
	size  int
	token string
	all   bool
}

func (p *pageFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.size, "page-size", 50, "items per page (1-200)")
	cmd.Flags().StringVar(&p.token, "page-token", "", "continue from a previous page")
	cmd.Flags().BoolVar(&p.all, "all", false, "follow every page")
}

// pages prints the items of one page (or of all, with --all) as JSON lines, and says on standard
// error how to get the next page.
func pages[T any](ctx context.Context, s *streams, p pageFlags, fetch func(ctx context.Context, size int, token string) ([]T, string, error)) error {
	if p.size < 1 || p.size > eduledger.MaxPageSize {
		return usagef("--page-size must be between 1 and %d", eduledger.MaxPageSize)
	}
	enc := json.NewEncoder(s.out)
	enc.SetEscapeHTML(false)
	token := p.token
	for {
		items, next, err := fetch(ctx, p.size, token)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		if next == "" || len(items) == 0 {
			return nil
		}
		if !p.all {
			fmt.Fprintf(s.err, "more: --page-token %s (or --all)\n", next)
			return nil
		}
		token = next
	}
}
