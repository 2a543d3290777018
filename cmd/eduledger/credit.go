package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

func newCreditCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "credit",
		Short: "Learners' credit accounts: deposits, recognitions, redemptions and statements, through the issuer service",
		Long: `credit works with the credit bank (学分银行). The learner's registering organisation opens the account;
the issuer of a learning outcome (or the registering organisation) deposits it under a conversion
rule, which alone decides the amount; another institution recognises credits under a recognition
rule before it may redeem them toward a qualification it awards. Every credit is used at most
once. Amounts are decimal numbers of credits ("3", "2.5").

  eduledger credit open L2026000123
  eduledger credit deposit L2026000123 --record urn:uuid:… --rule riverside-cn201
  eduledger credit recognize L2026000123 --entry 20260630T…-1a2b… --rule delta-westlake
  eduledger credit redeem L2026000123 --id transfer-2026 --code BENG-NE --name-zh 网络工程 \
      --name-en "BEng Network Engineering" --part 20260701T…-3c4d…=3
  eduledger credit statement L2026000123`,
	}
	f.add(cmd)

	open := &cobra.Command{
		Use: "open LEARNER", Short: "Open a learner's credit account (registering organisation)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			a, err := c.OpenCreditAccount(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "opened the credit account of %s (by %s)\n", a.LearnerID, a.OpenedBy)
			return nil
		},
	}
	account := &cobra.Command{
		Use: "account LEARNER", Short: "Show a learner's credit account", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			a, err := c.CreditAccount(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(s, a)
		},
	}

	var record, credential, rule, idem string
	deposit := &cobra.Command{
		Use: "deposit LEARNER --record ID | --credential ID --rule RULE", Short: "Deposit credits for a learner's outcome under a conversion rule", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, id, err := outcomeFlags(record, credential)
			if err != nil {
				return err
			}
			if rule == "" {
				return usagef("--rule names the conversion rule")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			e, err := c.Deposit(cmd.Context(), args[0], issuance.DepositRequest{Source: src, OutcomeID: id, RuleID: rule}, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "deposited %s credits in %s at level %d for %s: entry %s, held by %s (rule %s version %d)\n",
				eduledger.FormatCredits(e.Amount), e.Field, e.Level, e.LearnerID, e.ID, e.HolderID, e.RuleID, e.RuleVersion)
			return nil
		},
	}
	deposit.Flags().StringVar(&record, "record", "", "a learning record ID")
	deposit.Flags().StringVar(&credential, "credential", "", "a credential anchored on its own")
	deposit.Flags().StringVar(&rule, "rule", "", "the conversion rule")

	var entry, amount string
	recognize := &cobra.Command{
		Use: "recognize LEARNER --entry ENTRY --rule RULE [--amount CREDITS]", Aliases: []string{"recognise"},
		Short: "Recognise credits another institution holds, under a recognition rule naming yours", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if entry == "" || rule == "" {
				return usagef("--entry and --rule are required")
			}
			n, err := creditsFlag("--amount", amount)
			if err != nil {
				return err
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.Recognize(cmd.Context(), args[0], issuance.RecognitionRequest{EntryID: entry, RuleID: rule, Amount: n}, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			e := r.Recognized
			region := ""
			if e.CrossRegion {
				region = ", across regions from " + e.FromRegion
			}
			taken := e.Amount
			if u := r.Original.LastUse; u != nil && u.Ref == e.ID {
				taken = u.Amount
			}
			fmt.Fprintf(s.out, "recognised %s credits of entry %s as %s credits in %s at level %d: entry %s, held by %s%s\n",
				eduledger.FormatCredits(taken), r.Original.ID, eduledger.FormatCredits(e.Amount),
				e.Field, e.Level, e.ID, e.HolderID, region)
			return nil
		},
	}
	recognize.Flags().StringVar(&entry, "entry", "", "the entry to recognise")
	recognize.Flags().StringVar(&rule, "rule", "", "the recognition rule")
	recognize.Flags().StringVar(&amount, "amount", "", "credits to recognise (default: all that remains)")

	var red issuance.RedemptionRequest
	var parts []string
	var total, file string
	redeem := &cobra.Command{
		Use: "redeem LEARNER --id ID --code CODE --name-zh … --name-en … --part ENTRY=CREDITS…", Short: "Redeem credits your institution holds toward a qualification it awards", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := red
			if file != "" {
				if countSet(cmd, "id", "code", "name-zh", "name-en", "field", "min-level", "credits", "part") > 0 {
					return usagef("--file takes the redemption from the file; give no other redemption flags")
				}
				if err := readJSONFile(file, &req); err != nil {
					return err
				}
			} else {
				if req.ID == "" || req.Qualification.Code == "" || len(parts) == 0 {
					return usagef("--id, --code and at least one --part ENTRY=CREDITS are required (or --file)")
				}
				var sum int64
				for _, p := range parts {
					id, v, ok := strings.Cut(p, "=")
					if !ok || id == "" {
						return usagef("--part %q must be ENTRY=CREDITS", p)
					}
					n, err := creditsFlag("--part "+id, v)
					if err != nil {
						return err
					}
					req.Parts = append(req.Parts, eduledger.RedemptionPart{EntryID: id, Amount: n})
					sum += n
				}
				req.Qualification.Credits = sum
				if total != "" {
					n, err := creditsFlag("--credits", total)
					if err != nil {
						return err
					}
					req.Qualification.Credits = n
				}
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.Redeem(cmd.Context(), args[0], req, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "redeemed %s credits of %s toward %s (%s) at %s: redemption %s, %d part(s)\n",
				eduledger.FormatCredits(r.Total), r.LearnerID, r.Qualification.Code, r.Qualification.Name.En, r.InstitutionID, r.ID, len(r.Parts))
			return nil
		},
	}
	rf := redeem.Flags()
	rf.StringVar(&red.ID, "id", "", "redemption ID, yours to choose, used once per learner")
	rf.StringVar(&red.Qualification.Code, "code", "", "the qualification's code")
	rf.StringVar(&red.Qualification.Name.Zh, "name-zh", "", "the qualification's name in Chinese")
	rf.StringVar(&red.Qualification.Name.En, "name-en", "", "the qualification's name in English")
	rf.StringVar(&red.Qualification.Field, "field", "", "the field every credit must be in")
	rf.IntVar(&red.Qualification.MinLevel, "min-level", 0, "the level every credit must have at least")
	rf.StringVar(&total, "credits", "", "the credits the qualification asks for (default: the sum of the parts)")
	rf.StringArrayVar(&parts, "part", nil, "ENTRY=CREDITS to take from an entry (repeat)")
	rf.StringVar(&file, "file", "", "a JSON file holding the redemption (amounts in thousandths, as the API takes them)")

	for _, c := range []*cobra.Command{deposit, recognize, redeem} {
		c.Flags().StringVar(&idem, "idempotency-key", "", "names the request so that a retry is safe")
	}

	var holder string
	var asJSON bool
	statement := &cobra.Command{
		Use: "statement LEARNER [--holder ORG]", Short: "Show a learner's balances by field and level", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			st, err := c.CreditStatement(cmd.Context(), args[0], holder)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(s, st)
			}
			return printStatement(s, st)
		},
	}
	statement.Flags().StringVar(&holder, "holder", "", "only the credits this institution holds (what it may redeem)")
	statement.Flags().BoolVar(&asJSON, "json", false, "print the statement as JSON (amounts in thousandths)")

	var pg pageFlags
	entries := &cobra.Command{
		Use: "entries LEARNER", Short: "List a learner's credit entries, in the order they were made (JSON lines)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			return pages(cmd.Context(), s, pg, func(ctx context.Context, size int, token string) ([]eduledger.CreditEntry, string, error) {
				p, err := c.CreditEntries(ctx, args[0], size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	pg.add(entries)

	var history bool
	entryCmd := &cobra.Command{
		Use: "entry LEARNER ENTRY", Short: "Show one credit entry (--history: every version, one per use)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			if history {
				h, err := c.CreditEntryHistory(cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				return printJSON(s, h)
			}
			e, err := c.CreditEntry(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return printJSON(s, e)
		},
	}
	entryCmd.Flags().BoolVar(&history, "history", false, "every version of the entry, newest first")

	var rpg pageFlags
	redemptions := &cobra.Command{
		Use: "redemptions LEARNER [REDEMPTION]", Short: "List a learner's redemptions (JSON lines), or show one", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			if len(args) == 2 {
				r, err := c.Redemption(cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				return printJSON(s, r)
			}
			return pages(cmd.Context(), s, rpg, func(ctx context.Context, size int, token string) ([]eduledger.Redemption, string, error) {
				p, err := c.Redemptions(ctx, args[0], size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	rpg.add(redemptions)

	cmd.AddCommand(open, account, deposit, recognize, redeem, statement, entries, entryCmd, redemptions)
	return cmd
}

// printStatement writes a statement as a table of credits.
func printStatement(s *streams, st *eduledger.CreditStatement) error {
	who := st.LearnerID
	if st.HolderID != "" {
		who += ", held by " + st.HolderID
	}
	fmt.Fprintf(s.out, "Credit statement of %s as of %s (%d entries; account opened by %s)\n\n", who, st.AsOf.UTC().Format(time.RFC3339), st.Entries, st.Account.OpenedBy)
	tw := tabwriter.NewWriter(s.out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "field\tlevel\tdeposited\trecognised\ttransferred\tredeemed\tbalance\tblocked\t")
	row := func(field, level string, b eduledger.CreditBalance) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", field, level, eduledger.FormatCredits(b.Deposited), eduledger.FormatCredits(b.Recognized),
			eduledger.FormatCredits(b.TransferredOut), eduledger.FormatCredits(b.Redeemed), eduledger.FormatCredits(b.Balance), eduledger.FormatCredits(b.Blocked))
	}
	for _, b := range st.Balances {
		row(b.Field, fmt.Sprint(b.Level), b)
	}
	row("total", "", st.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Total.Blocked > 0 {
		fmt.Fprintf(s.out, "\n%s credits are blocked: the outcomes behind them are no longer ACTIVE.\n", eduledger.FormatCredits(st.Total.Blocked))
	}
	return nil
}
