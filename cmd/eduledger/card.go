package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

func newCardCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "card",
		Short: "Issue, re-issue, revoke and print education identity cards, through the issuer service",
		Long: `card manages learners' education identity cards (教育信息身份证): credentials binding the learner ID,
roles, holder key and portrait digest, anchored on the ledger one by one.

  eduledger card issue L2026000123
  eduledger card png L2026000123 -o card.png      # printable, with name, photo and QR code
  eduledger card reissue L2026000123              # after a change of roles or keys; revokes the old card
  eduledger card revoke L2026000123 --reason ISSUED_IN_ERROR`,
	}
	f.add(cmd)
	var validUntil, idem, reason, note, out string
	var scale int
	request := func() (issuance.CardRequest, error) {
		var r issuance.CardRequest
		if validUntil != "" {
			d, err := time.Parse(time.DateOnly, validUntil)
			if err != nil {
				return r, usagef("--valid-until must be a date written YYYY-MM-DD")
			}
			r.ValidUntil = d
		}
		return r, nil
	}
	issue := &cobra.Command{
		Use: "issue LEARNER", Short: "Issue a learner's first identity card", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			req, err := request()
			if err != nil {
				return err
			}
			card, err := c.IssueCard(cmd.Context(), args[0], req, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "issued card %s to %s, valid until %s\n  verify: %s\n", card.ID, card.LearnerID,
				card.ValidUntil.Format(time.DateOnly), card.VerificationLink)
			return nil
		},
	}
	reissue := &cobra.Command{
		Use: "reissue LEARNER", Short: "Issue a new card and revoke the previous one as superseded", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			req, err := request()
			if err != nil {
				return err
			}
			r, err := c.ReissueCard(cmd.Context(), args[0], req, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "issued card %s to %s\n", r.Card.ID, r.Card.LearnerID)
			if r.Previous != nil {
				fmt.Fprintf(s.out, "  previous card %s is %s\n", r.Previous.ID, r.Previous.Status)
			}
			if r.Warning != "" {
				fmt.Fprintln(s.err, "warning:", r.Warning)
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{issue, reissue} {
		c.Flags().StringVar(&validUntil, "valid-until", "", "expiry date, YYYY-MM-DD (default: the service's card validity)")
		c.Flags().StringVar(&idem, "idempotency-key", "", "names the request so that a retry is safe")
	}
	revoke := &cobra.Command{
		Use: "revoke LEARNER --reason CODE", Short: "Revoke a learner's current card", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.RevokeCard(cmd.Context(), args[0], reason, note)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "card %s is %s (%s)\n", r.ID, r.Status, r.StatusReason)
			return nil
		},
	}
	revoke.Flags().StringVar(&reason, "reason", eduledger.ReasonOther, "reason code: ISSUED_IN_ERROR, FRAUD, SUPERSEDED, DISCIPLINARY, KEY_COMPROMISE, OTHER")
	revoke.Flags().StringVar(&note, "note", "", "public note (no personal data)")
	get := &cobra.Command{
		Use: "get LEARNER", Short: "Show a learner's current card (JSON, with the signed credential)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			card, err := c.GetCard(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(s, card)
		},
	}
	png := &cobra.Command{
		Use: "png LEARNER -o FILE", Short: "Download the printable card", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o names the PNG file to write")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			b, err := c.CardPNG(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, b, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "wrote %s (%d bytes)\n", out, len(b))
			return nil
		},
	}
	qr := &cobra.Command{
		Use: "qr LEARNER -o FILE", Short: "Download the card's QR code", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o names the PNG file to write")
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			b, err := c.CardQR(cmd.Context(), args[0], scale)
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "wrote %s\n", out)
			return nil
		},
	}
	for _, c := range []*cobra.Command{png, qr} {
		c.Flags().StringVarP(&out, "out", "o", "", "file to write")
	}
	qr.Flags().IntVar(&scale, "scale", 8, "pixels per QR module")
	cmd.AddCommand(issue, reissue, revoke, get, png, qr)
	return cmd
}
