package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
)

func newRuleCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "rule",
		Short: "Publish and read the credit bank's conversion and recognition rules, through the issuer service",
		Long: `rule manages the rules of the credit bank (学分银行), which the governing organisation's admin sets.
A conversion rule says what a learning outcome is worth: credits in a field at a level. A
recognition rule lets an institution recognise credits other institutions of a region hold.
Rules are versioned, never edited: publishing an ID again adds the next version, which must take
effect later than the previous one and not in the past. Credits are decimal numbers ("3", "2.5").

  eduledger rule credit publish --id riverside-cn201 --name-zh 计算机网络课程 --name-en "Computer Networks" \
      --source RECORD --record-kind COURSE --issuer riverside-university --code CN201 \
      --field computer-networks --level 6 --credits 3 --effective-from 2020-01-01
  eduledger rule credit preview riverside-cn201 --record urn:uuid:…
  eduledger rule recognition publish --id delta-westlake --name-zh 长三角学分互认 --name-en "Delta recognition" \
      --recognizer westlake-university --from-region 310000 --from-min-level 5 --rate-permille 1000 \
      --effective-from 2020-01-01`,
	}
	f.add(cmd)
	cmd.AddCommand(newCreditRuleCmd(g, s, f), newRecognitionRuleCmd(g, s, f))
	return cmd
}

func newCreditRuleCmd(g *globals, s *streams, f *serverFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "credit", Short: "Conversion rules: what learning outcomes are worth"}
	var r eduledger.CreditRule
	var file, credits, maxCredits, from, source string
	publish := &cobra.Command{
		Use: "publish", Short: "Publish the next version of a conversion rule (governing admin)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rule := r
			if file != "" {
				if countSet(cmd, "id", "name-zh", "name-en", "source", "record-kind", "credential-type", "issuer", "code", "field", "level",
					"credits", "per-hours", "max-credits", "effective-from", "retire") > 0 {
					return usagef("--file takes the rule from the file; give no other rule flags")
				}
				if err := readJSONFile(file, &rule); err != nil {
					return err
				}
			} else {
				var err error
				if rule.ID == "" || from == "" || source == "" {
					return usagef("--id, --source and --effective-from are required (or --file)")
				}
				rule.Source = eduledger.OutcomeSource(strings.ToUpper(source))
				rule.RecordKind = eduledger.RecordKind(strings.ToUpper(string(rule.RecordKind)))
				if rule.EffectiveFrom, err = parseWhen("--effective-from", from); err != nil {
					return err
				}
				if rule.Credits, err = creditsFlag("--credits", credits); err != nil {
					return err
				}
				if rule.MaxCredits, err = creditsFlag("--max-credits", maxCredits); err != nil {
					return err
				}
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			got, err := c.PublishCreditRule(cmd.Context(), rule)
			if err != nil {
				return fieldErrors(s, err)
			}
			if got.Retired {
				fmt.Fprintf(s.out, "rule %s version %d retires the rule from %s\n", got.ID, got.Version, got.EffectiveFrom.Format(time.RFC3339))
				return nil
			}
			fmt.Fprintf(s.out, "rule %s version %d: %s, from %s\n", got.ID, got.Version, worthLine(got), got.EffectiveFrom.Format(time.RFC3339))
			return nil
		},
	}
	pf := publish.Flags()
	pf.StringVar(&r.ID, "id", "", "rule ID (publishing an existing ID adds its next version)")
	pf.StringVar(&r.Name.Zh, "name-zh", "", "name in Chinese")
	pf.StringVar(&r.Name.En, "name-en", "", "name in English")
	pf.StringVar(&source, "source", "", "what it converts: RECORD (learning records) or CREDENTIAL")
	pf.StringVar((*string)(&r.RecordKind), "record-kind", "", "for RECORD: COURSE, EXAM, PRACTICE, AWARD or TRAINING")
	pf.StringVar((*string)(&r.CredentialType), "credential-type", "", "for CREDENTIAL: the credential type (e.g. Certificate)")
	pf.StringVar(&r.IssuerID, "issuer", "", "only outcomes of this organisation")
	pf.StringVar(&r.Code, "code", "", "for RECORD: only outcomes with this course or exam code")
	pf.StringVar(&r.Field, "field", "", "the field the credits are in")
	pf.IntVar(&r.Level, "level", 0, "the level the credits are at (1-8)")
	pf.StringVar(&credits, "credits", "", "credits per outcome, or per --per-hours hours")
	pf.IntVar(&r.PerHours, "per-hours", 0, "count by study hours: --credits for every N hours")
	pf.StringVar(&maxCredits, "max-credits", "", "cap of an hour-based rule, in credits")
	pf.StringVar(&from, "effective-from", "", "when this version takes effect (date or RFC 3339)")
	pf.BoolVar(&r.Retired, "retire", false, "publish a version that ends the rule")
	pf.StringVar(&file, "file", "", "a JSON file holding the rule (amounts in thousandths, as the API takes them)")

	var version int
	var at string
	get := &cobra.Command{
		Use: "get RULE", Short: "Show a conversion rule: the latest version, --version N, or the one in force --at a time", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := optionalWhen("--at", at)
			if err != nil {
				return err
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.GetCreditRule(cmd.Context(), args[0], version, when)
			if err != nil {
				return err
			}
			return printJSON(s, r)
		},
	}
	get.Flags().IntVar(&version, "version", 0, "a version (default: the latest)")
	get.Flags().StringVar(&at, "at", "", "the version in force at this date or time")

	var pg pageFlags
	list := &cobra.Command{
		Use: "list", Short: "List every version of every conversion rule (JSON lines)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			return pages(cmd.Context(), s, pg, func(ctx context.Context, size int, token string) ([]eduledger.CreditRule, string, error) {
				p, err := c.ListCreditRules(ctx, size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	pg.add(list)

	var record, credential string
	preview := &cobra.Command{
		Use: "preview RULE --record ID | --credential ID", Short: "Say what an outcome would be worth under a rule, without a transaction", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, id, err := outcomeFlags(record, credential)
			if err != nil {
				return err
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			p, err := c.PreviewCredit(cmd.Context(), args[0], src, id)
			if err != nil {
				return err
			}
			if !p.Applicable {
				fmt.Fprintf(s.out, "not depositable under %s: %s\n", args[0], p.Reason)
				return nil
			}
			fmt.Fprintf(s.out, "%s credits in %s at level %d, under %s version %d (in force on %s)\n", eduledger.FormatCredits(p.Credits),
				p.Field, p.Level, p.Rule.ID, p.Rule.Version, p.Outcome.Date.Format(time.DateOnly))
			return nil
		},
	}
	preview.Flags().StringVar(&record, "record", "", "a learning record ID")
	preview.Flags().StringVar(&credential, "credential", "", "a credential ID")

	cmd.AddCommand(publish, get, list, preview)
	return cmd
}

func newRecognitionRuleCmd(g *globals, s *streams, f *serverFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "recognition", Short: "Recognition rules: which institution recognises whose credits, at what rate"}
	var r eduledger.RecognitionRule
	var file, from string
	publish := &cobra.Command{
		Use: "publish", Short: "Publish the next version of a recognition rule (governing admin)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rule := r
			if file != "" {
				if countSet(cmd, "id", "name-zh", "name-en", "recognizer", "from-region", "from-issuer", "from-field", "from-min-level",
					"to-field", "to-level", "rate-permille", "effective-from", "retire") > 0 {
					return usagef("--file takes the rule from the file; give no other rule flags")
				}
				if err := readJSONFile(file, &rule); err != nil {
					return err
				}
			} else {
				if rule.ID == "" || from == "" {
					return usagef("--id and --effective-from are required (or --file)")
				}
				var err error
				if rule.EffectiveFrom, err = parseWhen("--effective-from", from); err != nil {
					return err
				}
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			got, err := c.PublishRecognitionRule(cmd.Context(), rule)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "recognition rule %s version %d: %s recognises credits from region %s at %d‰, from %s\n",
				got.ID, got.Version, got.RecognizerID, got.FromRegion, got.RatePermille, got.EffectiveFrom.Format(time.RFC3339))
			return nil
		},
	}
	pf := publish.Flags()
	pf.StringVar(&r.ID, "id", "", "rule ID (publishing an existing ID adds its next version)")
	pf.StringVar(&r.Name.Zh, "name-zh", "", "name in Chinese")
	pf.StringVar(&r.Name.En, "name-en", "", "name in English")
	pf.StringVar(&r.RecognizerID, "recognizer", "", "the institution that may recognise (SCHOOL or TRAINING)")
	pf.StringVar(&r.FromRegion, "from-region", "", "the region (six-digit code) of the institutions whose credits it recognises")
	pf.StringVar(&r.FromIssuerID, "from-issuer", "", "only credits this institution holds")
	pf.StringVar(&r.FromField, "from-field", "", "only credits in this field")
	pf.IntVar(&r.FromMinLevel, "from-min-level", 0, "only credits from this level up")
	pf.StringVar(&r.ToField, "to-field", "", "the field recognised credits are in (default: the original's)")
	pf.IntVar(&r.ToLevel, "to-level", 0, "the level recognised credits are at (default: the original's)")
	pf.IntVar(&r.RatePermille, "rate-permille", 0, "thousandths of a credit recognised per thousandth (1-1000)")
	pf.StringVar(&from, "effective-from", "", "when this version takes effect (date or RFC 3339)")
	pf.BoolVar(&r.Retired, "retire", false, "publish a version that ends the rule")
	pf.StringVar(&file, "file", "", "a JSON file holding the rule")

	var version int
	var at string
	get := &cobra.Command{
		Use: "get RULE", Short: "Show a recognition rule: the latest version, --version N, or the one in force --at a time", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := optionalWhen("--at", at)
			if err != nil {
				return err
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.GetRecognitionRule(cmd.Context(), args[0], version, when)
			if err != nil {
				return err
			}
			return printJSON(s, r)
		},
	}
	get.Flags().IntVar(&version, "version", 0, "a version (default: the latest)")
	get.Flags().StringVar(&at, "at", "", "the version in force at this date or time")

	var pg pageFlags
	list := &cobra.Command{
		Use: "list", Short: "List every version of every recognition rule (JSON lines)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			return pages(cmd.Context(), s, pg, func(ctx context.Context, size int, token string) ([]eduledger.RecognitionRule, string, error) {
				p, err := c.ListRecognitionRules(ctx, size, token)
				if err != nil {
					return nil, "", err
				}
				return p.Items, p.NextPageToken, nil
			})
		},
	}
	pg.add(list)
	cmd.AddCommand(publish, get, list)
	return cmd
}

// creditsFlag reads a decimal number of credits; empty is zero.
func creditsFlag(flag, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := eduledger.ParseCredits(v)
	if err != nil {
		return 0, usagef("%s: %s", flag, eduledger.ErrorMessage(err))
	}
	return n, nil
}

func optionalWhen(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return parseWhen(flag, v)
}

// outcomeFlags picks the outcome named by exactly one of --record and --credential.
func outcomeFlags(record, credential string) (eduledger.OutcomeSource, string, error) {
	switch {
	case (record == "") == (credential == ""):
		return "", "", usagef("name the outcome with exactly one of --record and --credential")
	case record != "":
		return eduledger.SourceRecord, record, nil
	}
	return eduledger.SourceCredential, credential, nil
}

// worthLine says what a conversion rule grants.
func worthLine(r *eduledger.CreditRule) string {
	amount := eduledger.FormatCredits(r.Credits) + " credits"
	if r.PerHours > 0 {
		amount += fmt.Sprintf(" per %d hours", r.PerHours)
		if r.MaxCredits > 0 {
			amount += " (at most " + eduledger.FormatCredits(r.MaxCredits) + ")"
		}
	}
	what := strings.ToLower(string(r.Source))
	if r.RecordKind != "" {
		what = string(r.RecordKind) + " " + what
	}
	if r.CredentialType != "" {
		what = string(r.CredentialType) + " " + what
	}
	if r.IssuerID != "" {
		what += " from " + r.IssuerID
	}
	if r.Code != "" {
		what += " with code " + r.Code
	}
	return fmt.Sprintf("a %s is worth %s in %s at level %d", what, amount, r.Field, r.Level)
}
