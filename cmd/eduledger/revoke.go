package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/client"
)

func newRevokeCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	var reason, note string
	cmd := &cobra.Command{
		Use:   "revoke CREDENTIAL --reason CODE",
		Short: "Revoke a credential (final), through the issuer service",
		Long: `revoke marks a credential REVOKED on the ledger, for a reason code that verifiers show in any language:
ISSUED_IN_ERROR, FRAUD, SUPERSEDED, DISCIPLINARY, KEY_COMPROMISE, OTHER. The note is public on the
ledger: never put personal data in it. Revocation is final; to pause a credential, use
'eduledger credential suspend'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return usagef("--reason is required: ISSUED_IN_ERROR, FRAUD, SUPERSEDED, DISCIPLINARY, KEY_COMPROMISE or OTHER")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.Revoke(cmd.Context(), args[0], reason, note)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "%s is %s (%s) since %s\n", r.ID, r.Status, r.StatusReason, r.StatusChangedAt.Format("2006-01-02 15:04:05Z07:00"))
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "reason code")
	cmd.Flags().StringVar(&note, "note", "", "public note (no personal data)")
	return cmd
}

func newCredentialCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{Use: "credential", Short: "Show, list, suspend and reinstate issued credentials, through the issuer service"}
	f.add(cmd)
	var learner, typ, job, out, reason, note string
	var scale int
	get := &cobra.Command{
		Use: "get CREDENTIAL", Short: "Show a credential with its live ledger status (--out: write the signed credential)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			cr, err := c.GetCredential(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFileAtomic(out, append(cr.Credential, '\n'), 0o644); err != nil {
					return err
				}
				cr.Credential = nil
			}
			return printJSON(s, cr)
		},
	}
	get.Flags().StringVar(&out, "out", "", "write the signed credential to this file")
	list := &cobra.Command{
		Use: "list", Short: "List your organisation's credentials, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			q := issuance.CredentialQuery{LearnerID: learner, Type: eduledger.CredentialType(typ), JobID: job, PageSize: eduledger.MaxPageSize}
			for {
				page, err := c.ListCredentials(cmd.Context(), q)
				if err != nil {
					return err
				}
				for _, cr := range page.Items {
					fmt.Fprintf(s.out, "%s\t%s\t%s\t%s\t%s\n", cr.ID, cr.Type, cr.LearnerID, cr.Status, cr.IssuedAt.Format("2006-01-02"))
				}
				if q.PageToken = page.NextPageToken; q.PageToken == "" {
					return nil
				}
			}
		},
	}
	list.Flags().StringVar(&learner, "learner", "", "only this learner's")
	list.Flags().StringVar(&typ, "type", "", "only this type")
	list.Flags().StringVar(&job, "job", "", "only this bulk job's")
	status := func(use, short string, change func(c *client.Client, cmd *cobra.Command, id string) (*issuance.IssuedCredential, error)) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client(g)
				if err != nil {
					return err
				}
				r, err := change(c, cmd, args[0])
				if err != nil {
					return fieldErrors(s, err)
				}
				fmt.Fprintf(s.out, "%s is %s (%s)\n", r.ID, r.Status, r.StatusReason)
				return nil
			},
		}
	}
	suspend := status("suspend CREDENTIAL --reason CODE", "Suspend a credential (reversible)", func(c *client.Client, cmd *cobra.Command, id string) (*issuance.IssuedCredential, error) {
		return c.Suspend(cmd.Context(), id, reason, note)
	})
	suspend.Flags().StringVar(&reason, "reason", eduledger.ReasonUnderReview, "reason code")
	reinstate := status("reinstate CREDENTIAL", "Make a suspended credential active again", func(c *client.Client, cmd *cobra.Command, id string) (*issuance.IssuedCredential, error) {
		return c.Reinstate(cmd.Context(), id, note)
	})
	for _, c := range []*cobra.Command{suspend, reinstate} {
		c.Flags().StringVar(&note, "note", "", "public note (no personal data)")
	}
	qr := &cobra.Command{
		Use: "qr CREDENTIAL -o FILE", Short: "Download a credential's verification QR code", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o names the PNG file to write")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			b, err := c.CredentialQR(cmd.Context(), args[0], scale)
			if err != nil {
				return err
			}
			return writeFileAtomic(out, b, 0o644)
		},
	}
	qr.Flags().StringVarP(&out, "out", "o", "", "file to write")
	qr.Flags().IntVar(&scale, "scale", 8, "pixels per QR module")
	cmd.AddCommand(get, list, suspend, reinstate, qr)
	return cmd
}
