package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/cmd/internal/services"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/keystore"
	"github.com/eduledger/eduledger/sdk/multikey"
	"github.com/eduledger/eduledger/verifier/api"
)

// runConfig is the configuration of the all-in-one process.
type runConfig struct {
	ShutdownGrace time.Duration         `mapstructure:"shutdown_grace"`
	Ledger        backend.Config        `mapstructure:"ledger"`
	Issuer        services.IssuerConfig `mapstructure:"issuer"`
	Verifier      api.Config            `mapstructure:"verifier"`
	Log           config.Log            `mapstructure:"log"`
	// DemoData seeds demo learners, identity cards and diplomas (idempotently) at start.
	DemoData bool `mapstructure:"demo_data"`
}

func (c *runConfig) Validate() error {
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("shutdown_grace must be positive")
	}
	if err := c.Log.Validate(); err != nil {
		return err
	}
	if err := c.Ledger.Validate(); err != nil {
		return err
	}
	if err := c.Issuer.Validate(c.Ledger); err != nil {
		return err
	}
	return c.Verifier.Validate()
}

func newRunCmd(g *globals, s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the issuer and verifier services on the embedded ledger (what 'make run' does)",
		Long: `run starts the issuer service (for schools) and the public verifier service (for employers)
in one process, over the embedded ledger of the development network in --dir, which is created on
first use and kept across restarts. The demo governance is in place (the education bureau, two
schools, an enterprise, a training centre and a university in another region, accredited), and a
fresh registrar token of riverside-university is printed at every start. Nothing else is seeded
unless --demo-data asks for demo learners, identity cards and diplomas.

Addresses: issuer http://127.0.0.1:8080, verifier http://127.0.0.1:8081 (--issuer-listen,
--verifier-listen). Configuration: flags, EDULEDGER_* environment, --config file, in that order.
The embedded ledger is single-process: stop 'run' before 'eduledger ledger verify'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := &runConfig{ShutdownGrace: 15 * time.Second, Issuer: services.DefaultIssuer(), Verifier: api.DefaultConfig()}
			cfg.Ledger.Backend, cfg.Ledger.Dir, cfg.Ledger.ReaderMSP = backend.Embedded, g.dir, devnet.GovMSP
			cfg.Log = config.Log{Level: "info"}
			if cmd.Flags().Changed("log-level") {
				cfg.Log.Level = g.logLevel
			}
			cfg.Log.JSON = g.logJSON
			if err := config.Load(cfg, g.config, cmd.Flags()); err != nil {
				return usagef("%v", err)
			}
			return runServices(cmd.Context(), cfg, s, nil)
		},
	}
	f := cmd.Flags()
	f.String(config.FlagName("issuer.listen"), services.DefaultIssuer().Listen, "issuer service address")
	f.String(config.FlagName("verifier.listen"), api.DefaultConfig().Listen, "verifier service address")
	f.String(config.FlagName("verifier.public_url"), api.DefaultConfig().PublicURL, "where employers reach the verifier (its host binds presentations)")
	f.String(config.FlagName("issuer.verifier_url"), services.DefaultIssuer().VerifierURL, "verifier base URL printed in QR codes")
	f.Bool(config.FlagName("demo_data"), false, "seed demo learners, identity cards and diplomas (idempotent)")
	return cmd
}

// runServices runs both services until ctx ends. ready, when set, learns each bound address (tests).
func runServices(ctx context.Context, cfg *runConfig, s *streams, ready func(name, addr string)) error {
	log, err := cfg.Log.Logger(s.err)
	if err != nil {
		return usagef("%v", err)
	}
	services.TuneGC()
	fmt.Fprintln(s.err, "eduledger run: configuration:")
	config.Print(s.err, cfg)

	b, err := backend.Open(ctx, cfg.Ledger, log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := services.Bootstrap(ctx, cfg.Ledger, b, log); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	iss, issuer, err := services.Issuer(ctx, cfg.Issuer, b, log, reg)
	if err != nil {
		return err
	}
	defer iss.Close()
	// Each service keeps its own metrics registry: both expose the same HTTP metric names.
	ver, err := services.Verifier(cfg.Verifier, b, log, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	defer ver.Close()

	token, err := issuer.DevToken(devnet.Riverside, eduledger.StaffRegistrar)
	if err != nil {
		return err
	}
	// The bureau's admin publishes credit-bank rules and accredits; a development network needs one
	// at hand as much as a registrar.
	bureauToken, err := issuer.DevToken(devnet.Bureau, eduledger.StaffAdmin)
	if err != nil {
		return err
	}
	var seeded *demoData
	if cfg.DemoData {
		if seeded, err = seedDemoData(ctx, issuer.Engine(), filepath.Join(cfg.Ledger.Dir, "demo-data")); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	addrs := map[string]string{}
	onReady := func(name, addr string) {
		addrs[name] = addr
		if ready != nil {
			ready(name, addr)
		}
		if len(addrs) == 2 {
			banner(s.out, addrs, token, bureauToken, cfg, seeded)
		}
	}
	return services.Serve(ctx, log, cfg.ShutdownGrace, onReady, iss, ver)
}

func banner(w io.Writer, addrs map[string]string, token, bureauToken string, cfg *runConfig, seeded *demoData) {
	issuerURL, verifierURL := "http://"+addrs["issuer"], "http://"+addrs["verifier"]
	fmt.Fprintf(w, `
EduLedger is running on the embedded ledger in %s

  issuer service    %s   (API under /v1, OpenAPI at /openapi.json)
  verifier service  %s   (web page for employers; API under /v1)

A registrar token of riverside-university (replaced at every start):

  export EDULEDGER_TOKEN=%s
  export EDULEDGER_SERVER=%s
  eduledger learner --help        # register learners, issue cards and diplomas from the CLI

The education bureau's admin token (rules of the credit bank, accreditation), also replaced:

  EDULEDGER_TOKEN=%s eduledger rule credit --help

`, cfg.Ledger.Dir, issuerURL, verifierURL, token, issuerURL, bureauToken)
	if seeded != nil {
		fmt.Fprintf(w, "Demo data (in %s):\n", seeded.dir)
		for _, c := range seeded.credentials {
			fmt.Fprintf(w, "  %-22s %s\n", c.label, c.file)
		}
		fmt.Fprintf(w, "Drop a file on %s to verify it, or open a verification link:\n  %s\n\n", verifierURL, seeded.link)
	} else {
		fmt.Fprintln(w, "No learners or credentials are seeded; start with --demo-data for a few.")
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Health: /healthz and /readyz on both; metrics at /metrics. Stop with Ctrl-C.")
}

// demoData is what --demo-data seeded.
type demoData struct {
	dir         string
	link        string
	credentials []struct{ label, file string }
}

// seedDemoData registers three riverside-university students with holder keys, issues each an
// identity card and a diploma, and writes the credentials into dir. Idempotency keys make a second
// start with --demo-data find the same learners and credentials instead of failing or duplicating.
func seedDemoData(ctx context.Context, e *issuance.Engine, dir string) (*demoData, error) {
	p := issuance.Principal{OrgID: devnet.Riverside, Role: eduledger.StaffRegistrar}
	out := &demoData{dir: dir}
	people := []struct{ id, name, nid, born string }{
		{"RU2026000001", "欧阳娜 Ouyang Na", "310104200409120029", "2004-09-12"},
		{"RU2026000002", "陈杰 Chen Jie", "310115200311230518", "2003-11-23"},
		{"RU2026000003", "王芳 Wang Fang", "310101200405060026", "2004-05-06"},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	const passphrase = "eduledger demo holder"
	if err := os.WriteFile(filepath.Join(dir, "HOLDER-PASSPHRASE"), []byte(passphrase+"\n"), 0o600); err != nil {
		return nil, err
	}
	for _, person := range people {
		store, err := keystore.Open(filepath.Join(dir, "holders", person.id), []byte(passphrase))
		if err != nil {
			return nil, err
		}
		keys, err := ensureHolderKeys(store, person.id)
		if err != nil {
			return nil, err
		}
		if _, err := e.RegisterLearner(ctx, p, issuance.LearnerRegistration{ID: person.id,
			Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, HolderKeys: keys,
			Personal: issuance.PersonalDetails{Name: person.name, NationalID: person.nid, DateOfBirth: person.born}},
			"demo-data-learner-"+person.id); err != nil {
			return nil, err
		}
		card, err := e.IssueCard(ctx, p, person.id, issuance.CardRequest{}, "demo-data-card-"+person.id)
		if err != nil {
			return nil, err
		}
		diploma, err := e.IssueCredential(ctx, p, demoDiploma(person.id), "demo-data-diploma-"+person.id)
		if err != nil {
			return nil, err
		}
		for _, c := range []*issuance.IssuedCredential{card, diploma} {
			name := fmt.Sprintf("%s-%s.json", strings.ToLower(string(c.Type)), person.id)
			if err := os.WriteFile(filepath.Join(dir, name), c.Credential, 0o644); err != nil {
				return nil, err
			}
			out.credentials = append(out.credentials, struct{ label, file string }{
				string(c.Type) + " of " + person.id, filepath.Join(dir, name)})
		}
		if out.link == "" {
			out.link = diploma.VerificationLink
		}
	}
	return out, nil
}

// ensureHolderKeys returns a demo learner's Ed25519 and X25519 public keys, creating them on first use in
// the learner's own key store (as `eduledger holder init` would).
func ensureHolderKeys(store *keystore.Store, learnerID string) ([]string, error) {
	var keys []string
	for _, k := range []struct {
		id   string
		kind multikey.Kind
	}{{holderSignKey, multikey.Ed25519}, {holderDecryptKey, multikey.X25519}} {
		info, err := store.Info(k.id)
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			info, err = store.Generate(eduledger.LearnerDID(learnerID), k.kind, k.id)
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, info.PublicKeyMultibase)
	}
	return keys, nil
}

func demoDiploma(learnerID string) issuance.CredentialRequest {
	return issuance.CredentialRequest{Type: eduledger.TypeDiploma, LearnerID: learnerID,
		Name: credential.Text{Zh: "毕业证书", En: "Diploma"},
		Subject: credential.Subject{
			Achievement: &credential.Achievement{ID: "urn:eduledger:program:riverside-university:cs",
				AchievementType: "Diploma", Name: credential.Text{Zh: "计算机科学与技术", En: "Computer Science and Technology"},
				Criteria:     credential.Criteria{Narrative: credential.Text{Zh: "修满规定学分并通过毕业论文答辩。", En: "Complete the required credits and defend the thesis."}},
				FieldOfStudy: "Computer Science", CreditsAvailable: 160},
			ActivityStartDate: time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC),
			ActivityEndDate:   time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
			CreditsEarned:     162.5,
			CertificateNumber: "RU-2026-" + learnerID[len(learnerID)-5:],
		}}
}
