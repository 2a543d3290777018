package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/verifier"
)

// newShareCmd is `eduledger holder share`: the learner's consent for one verifier to show their
// lifelong archive and/or credit statement for a while.
func newShareCmd(f *holderFlags, s *streams) *cobra.Command {
	var scopes []string
	var domain, verifierURL, until, purpose, out string
	var validFor time.Duration
	cmd := &cobra.Command{
		Use:   "share --scope archive,statement --verifier URL [--valid-for 168h] -o consent.json",
		Short: "Let one verifier show your lifelong archive or credit statement for a while (a consent you sign)",
		Long: `share writes a consent signed with the key on your identity card: the verifier at --verifier (or
--domain) may show your lifelong archive (--scope archive), your credit statement (--scope statement)
or both, from now until --valid-for has passed (at most 90 days). Send the file to whoever should see
them; they upload it to that verifier's page, or POST it to /v1/archive or /v1/statement. Nobody else
can use it elsewhere, and it cannot be changed. To withdraw consents early, have your school replace
your holder key.

  eduledger holder share --learner L2026000123 --scope archive,statement \
      --verifier https://verify.example.edu.cn --valid-for 72h --purpose "network engineer application" -o consent.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !eduledger.ValidLocalID(f.learner) {
				return usagef("--learner must be your learner ID")
			}
			d, err := consentDomain(domain, verifierURL)
			if err != nil {
				return err
			}
			req := verifier.ConsentRequest{LearnerID: f.learner, Domain: d, Purpose: purpose}
			for _, sc := range scopes {
				req.Scopes = append(req.Scopes, verifier.Scope(strings.ToLower(strings.TrimSpace(sc))))
			}
			now := time.Now()
			switch {
			case until != "" && cmd.Flags().Changed("valid-for"):
				return usagef("give --valid-for or --until, not both")
			case until != "":
				if req.ValidUntil, err = parseWhen("--until", until); err != nil {
					return err
				}
			default:
				req.ValidUntil = now.Add(validFor)
			}
			store, err := f.open(s)
			if err != nil {
				return err
			}
			key, err := store.Signer(holderSignKey)
			if err != nil {
				return err
			}
			signer, err := holder.NewSigner(f.learner, key)
			if err != nil {
				return err
			}
			consent, err := verifier.SignConsent(signer, req, now)
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(s.err, "%s may show your %s until %s\n", d, strings.Join(scopes, " and "), req.ValidUntil.UTC().Format(time.RFC3339))
			}
			return writeOutput(s, out, consent)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&scopes, "scope", nil, "what the verifier may show: archive, statement, or both")
	fl.StringVar(&verifierURL, "verifier", "", "the verifier's address (https://verify.example.edu.cn)")
	fl.StringVar(&domain, "domain", "", "the verifier's domain, instead of --verifier")
	fl.DurationVar(&validFor, "valid-for", verifier.DefaultConsentLifetime, "how long the consent lasts (at most 2160h, 90 days)")
	fl.StringVar(&until, "until", "", "when the consent ends (date or RFC 3339), instead of --valid-for")
	fl.StringVar(&purpose, "purpose", "", "why you share, shown beside your records (one line)")
	fl.StringVarP(&out, "output", "o", "", "write the consent to this file (default: standard output)")
	return cmd
}

// consentDomain is the verifier's host from --domain or --verifier.
func consentDomain(domain, verifierURL string) (string, error) {
	switch {
	case (domain == "") == (verifierURL == ""):
		return "", usagef("name the verifier with --verifier URL or --domain HOST (one of them)")
	case domain != "":
		return domain, nil
	}
	u, err := url.Parse(verifierURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", usagef("--verifier %q must be the verifier's address, such as https://verify.example.edu.cn", verifierURL)
	}
	return u.Host, nil
}
