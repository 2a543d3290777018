package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance"
)

func newLearnerCmd(g *globals, s *streams) *cobra.Command {
	f := &serverFlags{}
	cmd := &cobra.Command{
		Use:   "learner",
		Short: "Register learners and change their roles, keys and status, through the issuer service",
		Long: `learner manages education identities (一人一号). The name, ID number and date of birth go only to
your organisation's private data on the ledger; the public record holds a salted commitment to them,
the roles, the holder's keys and the portrait's SHA-256.

  eduledger learner register --id L2026000123 --name 王小明 --national-id 310115200405010011 \
      --dob 2004-05-01 --role STUDENT --holder-key z6Mk… --portrait photo.jpg
  eduledger learner get L2026000123 --personal
  eduledger learner roles L2026000123 --role GRADUATE`,
	}
	f.add(cmd)

	var reg issuance.LearnerRegistration
	var roles []string
	var portrait, idem string
	register := &cobra.Command{
		Use: "register", Short: "Register a learner", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			reg.Roles = learnerRoles(roles)
			if portrait != "" {
				if reg.Portrait, err = os.ReadFile(portrait); err != nil {
					return usagef("--portrait: %v", err)
				}
			}
			l, err := c.RegisterLearner(cmd.Context(), reg, idem)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "registered learner %s %v; only %s holds the personal data\n", l.ID, l.Roles, l.RegisteredBy)
			return nil
		},
	}
	rf := register.Flags()
	rf.StringVar(&reg.ID, "id", "", "learner ID")
	rf.StringVar(&reg.Personal.Name, "name", "", "the learner's name")
	rf.StringVar(&reg.Personal.NationalID, "national-id", "", "the learner's national ID number")
	rf.StringVar(&reg.Personal.DateOfBirth, "dob", "", "date of birth, YYYY-MM-DD")
	rf.StringSliceVar(&roles, "role", []string{"STUDENT"}, "roles: STUDENT, TEACHER, GRADUATE, LEARNER (repeat or comma-separate)")
	rf.StringSliceVar(&reg.HolderKeys, "holder-key", nil, "the learner's public keys (Multikey; from 'eduledger holder init')")
	rf.StringVar(&portrait, "portrait", "", "photo (JPEG or PNG, at most 512 KiB)")
	rf.StringVar(&idem, "idempotency-key", "", "names the request so that a retry is safe")

	var personal bool
	get := &cobra.Command{
		Use: "get LEARNER", Short: "Show a learner (--personal: with the personal data your organisation holds)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			l, err := c.GetLearner(cmd.Context(), args[0], personal)
			if err != nil {
				return err
			}
			return printJSON(s, l)
		},
	}
	get.Flags().BoolVar(&personal, "personal", false, "include the personal data (recorded in the audit log)")

	var newRoles []string
	rolesCmd := &cobra.Command{
		Use: "roles LEARNER --role ROLE…", Short: "Replace a learner's roles (a graduating student: --role GRADUATE)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			l, err := c.UpdateLearnerRoles(cmd.Context(), args[0], learnerRoles(newRoles))
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "learner %s now holds %v; re-issue the identity card to show it ('eduledger card reissue %s')\n", l.ID, l.Roles, l.ID)
			return nil
		},
	}
	rolesCmd.Flags().StringSliceVar(&newRoles, "role", nil, "the new roles")

	var keys []string
	keysCmd := &cobra.Command{
		Use: "holder-keys LEARNER --key MULTIKEY…", Short: "Replace a learner's holder keys", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			l, err := c.UpdateLearnerHolderKeys(cmd.Context(), args[0], keys)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "learner %s now holds %d key(s)\n", l.ID, len(l.HolderKeys))
			return nil
		},
	}
	keysCmd.Flags().StringSliceVar(&keys, "key", nil, "the learner's public keys (Multikey)")

	var reason string
	suspend := &cobra.Command{
		Use: "suspend LEARNER --reason TEXT", Short: "Suspend an education identity", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			l, err := c.SuspendLearner(cmd.Context(), args[0], reason)
			if err != nil {
				return fieldErrors(s, err)
			}
			fmt.Fprintf(s.out, "learner %s is %s\n", l.ID, l.Status)
			return nil
		},
	}
	suspend.Flags().StringVar(&reason, "reason", "", "why (public on the ledger: no personal data)")
	reinstate := &cobra.Command{
		Use: "reinstate LEARNER", Short: "Reinstate a suspended education identity", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(g)
			if err != nil {
				return err
			}
			l, err := c.ReinstateLearner(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "learner %s is %s\n", l.ID, l.Status)
			return nil
		},
	}
	cmd.AddCommand(register, get, rolesCmd, keysCmd, suspend, reinstate)
	return cmd
}

func learnerRoles(in []string) []eduledger.LearnerRole {
	out := make([]eduledger.LearnerRole, len(in))
	for i, r := range in {
		out[i] = eduledger.LearnerRole(r)
	}
	return out
}
