package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

type tokenFlags struct {
	serverFlags
	offline bool
	data    string
	org     string
}

// offlineActor names who manages tokens on the store directly, for the audit log.
func offlineActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return "cli-offline:" + name + "@" + host
}

func newTokenCmd(g *globals, s *streams) *cobra.Command {
	f := &tokenFlags{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the issuer service's API tokens",
		Long: `token manages API tokens, each bound to one organisation and one staff role (admin, registrar,
issuer). The service keeps only a hash of each token; the secret is shown once, at creation.

Two ways:
  - through the running service's admin API, with an admin token of the organisation:
      eduledger token create --name registrar-wang --role registrar
  - on the service's data directory while the service is stopped (--offline), e.g. to create the
    first admin token; the store is locked while the service runs, so this cannot race it:
      eduledger token create --offline --org riverside-university --role admin --name first-admin

Every action is recorded in the service's audit log.`,
	}
	f.add(cmd)
	cmd.PersistentFlags().BoolVar(&f.offline, "offline", false, "work on the data directory of a stopped service instead of the admin API")
	cmd.PersistentFlags().StringVar(&f.data, "data", "", "the service's data directory with --offline (default <--dir>/issuer)")
	cmd.PersistentFlags().StringVar(&f.org, "org", "", "organisation (with --offline; online, the admin token's)")

	var name, role string
	var expires time.Duration
	create := &cobra.Command{
		Use: "create --name NAME --role ROLE", Short: "Create a token and print its secret (shown once)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var expiresAt time.Time
			if expires > 0 {
				expiresAt = time.Now().Add(expires)
			}
			var tok *issuance.NewToken
			if f.offline {
				tokens, err := f.open(g)
				if err != nil {
					return err
				}
				defer tokens.Close()
				by := offlineActor()
				tok, err = tokens.Create(issuance.TokenSpec{Name: name, OrgID: f.org, Role: eduledger.StaffRole(role), ExpiresAt: expiresAt}, by)
				f.record(tokens, "token.create", tok, err, by)
				if err != nil {
					return err
				}
			} else {
				c, err := f.client(g)
				if err != nil {
					return err
				}
				if tok, err = c.CreateToken(cmd.Context(), name, eduledger.StaffRole(role), expiresAt); err != nil {
					return fieldErrors(s, err)
				}
			}
			fmt.Fprintf(s.err, "token %s (%s) for %s of %s; store the secret now, it is not shown again:\n", tok.ID, tok.Name, tok.Role, tok.OrgID)
			fmt.Fprintln(s.out, tok.Secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "whose token it is or what it is for")
	create.Flags().StringVar(&role, "role", "", "admin, registrar or issuer")
	create.Flags().DurationVar(&expires, "expires", 0, "validity, e.g. 2160h (default: until revoked)")

	list := &cobra.Command{
		Use: "list", Short: "List tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var items []issuance.Token
			if f.offline {
				tokens, err := f.open(g)
				if err != nil {
					return err
				}
				defer tokens.Close()
				if items, err = tokens.List(f.org); err != nil {
					return err
				}
			} else {
				c, err := f.client(g)
				if err != nil {
					return err
				}
				if items, err = c.ListTokens(cmd.Context()); err != nil {
					return err
				}
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tORG\tROLE\tCREATED\tSTATE")
			now := time.Now()
			for _, t := range items {
				state := "active"
				switch {
				case !t.RevokedAt.IsZero():
					state = "revoked " + t.RevokedAt.Local().Format(time.DateTime)
				case !t.Active(now):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.OrgID, t.Role, t.CreatedAt.Local().Format(time.DateTime), state)
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use: "revoke TOKEN-ID", Short: "Revoke a token at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t *issuance.Token
			if f.offline {
				tokens, err := f.open(g)
				if err != nil {
					return err
				}
				defer tokens.Close()
				by := offlineActor()
				t, err = tokens.Revoke(args[0], by)
				f.record(tokens, "token.revoke", &issuance.NewToken{Token: issuance.Token{ID: args[0]}}, err, by)
				if err != nil {
					return err
				}
			} else {
				c, err := f.client(g)
				if err != nil {
					return err
				}
				if t, err = c.RevokeToken(cmd.Context(), args[0]); err != nil {
					return err
				}
			}
			fmt.Fprintf(s.out, "token %s (%s) revoked\n", t.ID, t.Name)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func (f *tokenFlags) open(g *globals) (*issuance.Tokens, error) {
	dir := f.data
	if dir == "" {
		dir = filepath.Join(g.dir, "issuer")
	}
	if _, err := os.Stat(filepath.Join(dir, "store")); err != nil {
		return nil, usagef("%s holds no issuer store (--data names the issuer service's data directory)", dir)
	}
	return issuance.OpenTokens(dir)
}

// record writes an offline token action to the service's audit log.
func (f *tokenFlags) record(tokens *issuance.Tokens, action string, tok *issuance.NewToken, err error, by string) {
	e := issuance.AuditEntry{Actor: issuance.Principal{TokenName: by, OrgID: f.org}, Action: action, Result: "ok"}
	if tok != nil {
		e.Target = tok.ID
		if e.Actor.OrgID == "" {
			e.Actor.OrgID = tok.OrgID
		}
	}
	if err != nil {
		e.Result, e.Message = eduledger.ErrorCode(err), eduledger.ErrorMessage(err)
	}
	_ = tokens.Record(e)
}
