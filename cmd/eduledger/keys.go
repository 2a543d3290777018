package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
)

func newKeysCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, rotate and revoke your organisation's signing keys, through the issuer service (admins)",
	}
	f.add(cmd)
	list := &cobra.Command{
		Use: "list", Short: "List the organisation's keys on the ledger", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			keys, err := c.ListKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tVALID FROM\tVALID UNTIL\tREVOKED\tSIGNING")
			for _, k := range keys {
				until, revoked := "-", "-"
				if !k.ValidUntil.IsZero() {
					until = k.ValidUntil.Format(time.RFC3339)
				}
				if !k.RevokedAt.IsZero() {
					revoked = k.RevokedAt.Format(time.RFC3339) + " " + k.RevocationReason
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", k.ID, k.Type, k.ValidFrom.Format(time.RFC3339), until, revoked, k.Current)
			}
			return tw.Flush()
		},
	}
	var types []string
	rotate := &cobra.Command{
		Use: "rotate", Short: "Retire the current keys and register new ones (what they signed stays valid)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			kt := make([]eduledger.KeyType, len(types))
			for i, t := range types {
				kt[i] = eduledger.KeyType(t)
			}
			r, err := c.RotateKeys(cmd.Context(), kt...)
			if err != nil {
				return err
			}
			for _, k := range r.Rotated {
				fmt.Fprintf(s.out, "%s key %s replaced by %s\n", k.Current.Type, k.Previous.ID, k.Current.ID)
			}
			return nil
		},
	}
	rotate.Flags().StringSliceVar(&types, "type", nil, "Ed25519 and/or ML-DSA-44 (default both)")
	var at string
	revoke := &cobra.Command{
		Use: "revoke KEY [--at TIME]", Short: "Revoke a key for compromise: nothing it signed from then on verifies", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var when time.Time
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usagef("--at must be an RFC 3339 time such as 2026-06-30T08:00:00+08:00")
				}
				when = t
			}
			c, err := f.client(g)
			if err != nil {
				return err
			}
			r, err := c.RevokeKey(cmd.Context(), args[0], when)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "key %s revoked from %s\n", r.Revoked.ID, r.Revoked.RevokedAt.Format(time.RFC3339))
			if r.Replacement != nil {
				fmt.Fprintf(s.out, "  replaced by %s\n", r.Replacement.ID)
			}
			if r.Warning != "" {
				fmt.Fprintln(s.err, "warning:", r.Warning)
			}
			return nil
		},
	}
	revoke.Flags().StringVar(&at, "at", "", "when the key was compromised (default now)")
	cmd.AddCommand(list, rotate, revoke)
	return cmd
}
