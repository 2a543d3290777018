package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/card"
	"github.com/eduledger/eduledger/sdk/issuance/client"
)

type issueFlags struct {
	serverFlags
	typ, learner, data, csv, template, out, charset, idem string
	nameZh, nameEn                                        string
	validUntil                                            string
	skipInvalid, quiet                                    bool
}

func newIssueCmd(g *globals, s *streams) *cobra.Command {
	f := &issueFlags{}
	cmd := &cobra.Command{
		Use:   "issue",
		Short: "Issue a credential, or many from a CSV file, through the issuer service",
		Long: `issue signs credentials with your organisation's keys and anchors them on the ledger, through
the issuer service (--server, token from --token or EDULEDGER_TOKEN).

One credential: --type, --learner and --data, a JSON file with the credentialSubject members
(the Open Badges achievement, results, credits, dates):

  eduledger issue --type Diploma --learner L2026000123 --data achievement.json --out out/

Many: --csv, a file with a header row naming columns (learnerId and the members that differ
between learners: achievement.name.zh, activityEndDate, certificateNumber, …; see
docs/issuer.md) and --template, a JSON file with what all rows share. The upload is checked row by
row first; a bad row is reported with its row and column and nothing is issued (unless
--skip-invalid). Then a progress bar follows the signing and anchoring, and the summary lists
issued and failed rows. With --out, every credential is written as <row>-<learner>.json beside
<row>-<learner>.qr.png, its verification QR code.

  eduledger issue --csv graduates.csv --type Diploma --template diploma.json --out diplomas/

Retrying is safe: unless --idempotency-key says otherwise, the key is derived from the request,
so running the same command again returns the first result instead of issuing twice. Use
--idempotency-key none to issue the same thing again on purpose.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			switch {
			case f.csv != "" && (f.learner != "" || f.data != ""):
				return usagef("--csv issues many credentials; --learner and --data issue one")
			case f.csv != "":
				return f.bulk(cmd.Context(), c, s)
			case f.learner == "" || f.data == "":
				return usagef("give --learner and --data for one credential, or --csv for many")
			}
			return f.one(cmd.Context(), c, s)
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "", "credential type: "+typeList())
	fl.StringVar(&f.learner, "learner", "", "learner ID (one credential)")
	fl.StringVar(&f.data, "data", "", "JSON file with the credentialSubject members (one credential)")
	fl.StringVar(&f.nameZh, "name-zh", "", "the credential's Chinese name (default: the type's)")
	fl.StringVar(&f.nameEn, "name-en", "", "the credential's English name (default: the type's)")
	fl.StringVar(&f.validUntil, "valid-until", "", "expiry date, YYYY-MM-DD (default: none)")
	fl.StringVar(&f.csv, "csv", "", "CSV file of many credentials")
	fl.StringVar(&f.template, "template", "", "JSON file with the members every CSV row shares (a row: name, subject, validUntil, …)")
	fl.BoolVar(&f.skipInvalid, "skip-invalid", false, "issue the valid rows and report the invalid ones instead of refusing the file")
	fl.StringVar(&f.charset, "charset", "", "the CSV file's character set: utf-8 (default) or gb18030")
	fl.StringVar(&f.out, "out", "", "write the issued credentials and their QR codes into this folder")
	fl.StringVar(&f.idem, "idempotency-key", "auto", "names the request so that a retry cannot issue twice: auto (derived from the request), none, or your own key")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	return cmd
}

func typeList() string {
	names := make([]string, len(eduledger.CredentialTypes))
	for i, t := range eduledger.CredentialTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func (f *issueFlags) credentialType() (eduledger.CredentialType, error) {
	t := eduledger.CredentialType(f.typ)
	if !t.Valid() {
		return "", usagef("--type must be one of %s", typeList())
	}
	return t, nil
}

// idempotencyKey returns the key for a request whose content hashes to digest.
func (f *issueFlags) idempotencyKey(kind string, digest []byte) string {
	switch f.idem {
	case "auto":
		return "cli-" + kind + "-" + hex.EncodeToString(digest[:16])
	case "none", "":
		return ""
	}
	return f.idem
}

func (f *issueFlags) one(ctx context.Context, c *client.Client, s *streams) error {
	t, err := f.credentialType()
	if err != nil {
		return err
	}
	req := issuance.CredentialRequest{Type: t, LearnerID: f.learner, Name: credential.Text{Zh: f.nameZh, En: f.nameEn}}
	if err := readJSONFile(f.data, &req.Subject); err != nil {
		return err
	}
	if f.validUntil != "" {
		d, err := time.Parse(time.DateOnly, f.validUntil)
		if err != nil {
			return usagef("--valid-until must be a date written YYYY-MM-DD")
		}
		req.ValidUntil = d
	}
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	issued, err := c.IssueCredential(ctx, req, f.idempotencyKey("credential", sum[:]))
	if err != nil {
		return fieldErrors(s, err)
	}
	fmt.Fprintf(s.out, "issued %s %s to %s\n  anchored in transaction %s\n  verify: %s\n", issued.Type, issued.ID, issued.LearnerID, issued.TxID, issued.VerificationLink)
	if f.out == "" {
		return nil
	}
	base := filepath.Join(f.out, fileSafe(issued.ID))
	if err := writeFileAtomic(base+".json", append(issued.Credential, '\n'), 0o644); err != nil {
		return err
	}
	qr, err := card.QRPNG(issued.VerificationLink, 8)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(base+".qr.png", qr, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "  wrote %s.json and %s.qr.png\n", base, base)
	return nil
}

// fileSafe turns an identifier into a file name.
func fileSafe(id string) string {
	return strings.NewReplacer(":", "-", "/", "-", "\\", "-").Replace(id)
}

func (f *issueFlags) bulk(ctx context.Context, c *client.Client, s *streams) error {
	t, err := f.credentialType()
	if err != nil {
		return err
	}
	var tmpl *issuance.Row
	if f.template != "" {
		tmpl = new(issuance.Row)
		if err := readJSONFile(f.template, tmpl); err != nil {
			return err
		}
	}
	file, err := os.Open(f.csv)
	if err != nil {
		return usagef("%v", err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%t\x00", t, f.charset, f.skipInvalid)
	tb, _ := json.Marshal(tmpl)
	h.Write(tb)
	if _, err := io.Copy(h, file); err != nil {
		return err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	start := time.Now()
	upload := progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(s.err), progressbar.OptionSetDescription("uploading"),
		progressbar.OptionShowBytes(true), progressbar.OptionSetVisibility(!f.quiet), progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond))
	job, err := c.CreateCSVJob(ctx, io.TeeReader(file, upload), client.CSVJob{Type: t, Template: tmpl, SkipInvalid: f.skipInvalid,
		Charset: f.charset, IdempotencyKey: f.idempotencyKey("csv", h.Sum(nil))})
	_ = upload.Finish()
	if err != nil {
		return fieldErrors(s, err)
	}
	if job.CreatedAt.Before(start.Add(-time.Second)) {
		fmt.Fprintf(s.err, "this file was already received as job %s at %s; showing that job (use --idempotency-key none to issue again)\n",
			job.ID, job.CreatedAt.Local().Format(time.DateTime))
	}
	fmt.Fprintf(s.err, "job %s: %d rows received, %d invalid\n", job.ID, job.Rows, job.Invalid)
	bar := progressbar.NewOptions(job.Rows-job.Invalid, progressbar.OptionSetWriter(s.err), progressbar.OptionSetDescription("anchoring"),
		progressbar.OptionShowCount(), progressbar.OptionSetVisibility(!f.quiet), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true))
	job, err = c.WaitJob(ctx, job.ID, 250*time.Millisecond, func(j *issuance.Job) {
		_ = bar.Set(j.Issued + j.Failed)
		bar.Describe(j.State)
	})
	_ = bar.Finish()
	fmt.Fprintln(s.err)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "job %s %s: %d issued, %d failed, %d invalid of %d rows in %s\n", job.ID, job.State, job.Issued, job.Failed,
		job.Invalid, job.Rows, time.Since(start).Round(time.Millisecond))
	for _, b := range job.Batches {
		fmt.Fprintf(s.out, "  batch %d rows %d-%d: %s %s %s\n", b.Number, b.FirstRow, b.LastRow, b.State, b.Root, b.Error)
	}
	if job.Failed+job.Invalid > 0 {
		if err := listProblemRows(ctx, c, s, job.ID); err != nil {
			return err
		}
	}
	if f.out != "" && job.Issued > 0 {
		n, err := exportJob(ctx, c, job.ID, f.out)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "wrote %d credentials and their QR codes into %s\n", n, f.out)
	}
	if job.State == issuance.JobFailed {
		return fmt.Errorf("job %s failed: %s", job.ID, job.Error)
	}
	return nil
}

// listProblemRows prints every invalid and failed row with its reasons.
func listProblemRows(ctx context.Context, c *client.Client, s *streams, jobID string) error {
	for _, state := range []string{issuance.RowInvalid, issuance.RowFailed} {
		for token := ""; ; {
			page, err := c.JobRows(ctx, jobID, issuance.RowQuery{State: state, PageSize: eduledger.MaxPageSize, PageToken: token})
			if err != nil {
				return err
			}
			for _, r := range page.Items {
				var why []string
				for _, e := range r.Errors {
					why = append(why, e.Field+": "+e.Message)
				}
				fmt.Fprintf(s.out, "  %s row %d (%s): %s\n", state, r.Row, r.LearnerID, strings.Join(why, "; "))
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
	}
	return nil
}

// exportJob writes a job's credentials and QR codes into dir, returning how many.
func exportJob(ctx context.Context, c *client.Client, jobID, dir string) (int, error) {
	n := 0
	err := c.ExportJob(ctx, jobID, func(e *issuance.ExportedCredential) error {
		base := filepath.Join(dir, fmt.Sprintf("%06d-%s", e.Row, fileSafe(e.LearnerID)))
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, e.Credential, "", "  "); err != nil {
			return err
		}
		pretty.WriteByte('\n')
		if err := writeFileAtomic(base+".json", pretty.Bytes(), 0o644); err != nil {
			return err
		}
		qr, err := card.QRPNG(e.VerificationLink, 6)
		if err != nil {
			return err
		}
		n++
		return writeFileAtomic(base+".qr.png", qr, 0o644)
	})
	return n, err
}

func newJobCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{Use: "job", Short: "Follow the bulk jobs of the issuer service"}
	f.add(cmd)
	var out string
	var all bool
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List your organisation's jobs, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			page, err := c.ListJobs(cmd.Context(), 50, "")
			if err != nil {
				return err
			}
			for _, j := range page.Items {
				fmt.Fprintf(s.out, "%s  %-10s %-12s %6d rows %6d issued %6d failed %6d invalid  %s\n", j.ID, j.State, j.Type, j.Rows,
					j.Issued, j.Failed, j.Invalid, j.CreatedAt.Local().Format(time.DateTime))
			}
			return nil
		},
	}, &cobra.Command{
		Use: "status JOB", Short: "Show a job's progress and batches (JSON)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			j, err := c.GetJob(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(s, j)
		},
	})
	rows := &cobra.Command{
		Use: "rows JOB", Short: "List a job's invalid and failed rows with their reasons (--all: every row)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			if !all {
				return listProblemRows(cmd.Context(), c, s, args[0])
			}
			for token := ""; ; {
				page, err := c.JobRows(cmd.Context(), args[0], issuance.RowQuery{PageSize: eduledger.MaxPageSize, PageToken: token})
				if err != nil {
					return err
				}
				for _, r := range page.Items {
					fmt.Fprintf(s.out, "row %d\t%s\t%s\t%s\n", r.Row, r.LearnerID, r.State, r.CredentialID)
				}
				if token = page.NextPageToken; token == "" {
					return nil
				}
			}
		},
	}
	rows.Flags().BoolVar(&all, "all", false, "list every row")
	export := &cobra.Command{
		Use: "export JOB --out DIR", Short: "Write a job's issued credentials and QR codes into a folder", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out names the folder")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			n, err := exportJob(cmd.Context(), c, args[0], out)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "wrote %d credentials and their QR codes into %s\n", n, out)
			return nil
		},
	}
	export.Flags().StringVar(&out, "out", "", "folder to write into")
	cmd.AddCommand(rows, export)
	return cmd
}
