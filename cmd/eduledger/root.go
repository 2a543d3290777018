package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	dir      string
	config   string
	logLevel string
	logJSON  bool
	errOut   io.Writer
}

// logger returns the logger the command's flags ask for: text on standard error at --log-level, or
// JSON lines with --log-json (what the services use in production).
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usagef("--log-level must be debug, info, warn or error, not %q", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.logJSON {
		return slog.New(slog.NewJSONHandler(g.errOut, opts)), nil
	}
	return slog.New(slog.NewTextHandler(g.errOut, opts)), nil
}

func newRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	g := &globals{errOut: errOut}
	s := &streams{in: in, out: out, err: errOut}
	root := &cobra.Command{
		Use:   "eduledger",
		Short: "Trustworthy learning records and education identity on Hyperledger Fabric",
		Long: `eduledger runs and inspects EduLedger.

Start with 'eduledger run' (what 'make run' does): the issuer and verifier services over the
embedded ledger of a development network in --dir. 'eduledger demo' tells the whole story on a
fresh ledger and checks every outcome.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.PersistentFlags().StringVar(&g.dir, "dir", ".eduledger", "data directory of the development network and its embedded ledger")
	root.PersistentFlags().StringVar(&g.config, "config", "", "configuration file (YAML, JSON or TOML)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.PersistentFlags().BoolVar(&g.logJSON, "log-json", false, "log JSON lines instead of text")
	root.AddCommand(
		newDevnetCmd(g, s),
		newLedgerCmd(g, s),
		newDemoCmd(g, s),
		newHolderCmd(g, s),
		newRunCmd(g, s),
		newLearnerCmd(g, s),
		newCardCmd(g, s),
		newIssueCmd(g, s),
		newJobCmd(g, s),
		newCredentialCmd(g, s),
		newRevokeCmd(g, s),
		newKeysCmd(g, s),
		newTokenCmd(g, s),
		newRecordCmd(g, s),
		newRuleCmd(g, s),
		newCreditCmd(g, s),
	)
	markUsageErrors(root)
	return root
}

// markUsageErrors makes every command's argument-count mistakes usage errors (exit 2), as flag
// mistakes already are.
func markUsageErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usagef("%s: %v", cmd.CommandPath(), err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}
