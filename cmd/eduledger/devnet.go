package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger/sdk/devnet"
)

func newDevnetCmd(g *globals, s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Create the development network: CAs, staff identities and an empty embedded ledger",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Create a development network in --dir",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := devnet.Init(g.dir)
			if err != nil {
				return err
			}
			if err := createLedger(n); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "Created a development network in %s\n", n.Dir())
			for _, c := range n.MSPs() {
				fmt.Fprintf(s.out, "  member %-14s CA %s\n", c.ID, n.Dir()+"/msp/"+c.ID+"/ca/ca-cert.pem")
			}
			fmt.Fprintf(s.out, "  embedded ledger  %s\n", n.LedgerDir())
			return nil
		},
	})
	return cmd
}
