package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/eduledger/eduledger/cmd/internal/backend"
	"github.com/eduledger/eduledger/cmd/internal/config"
	"github.com/eduledger/eduledger/internal/demo"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/ledger/embedded"
)

// demoConfig is the demo's configuration: which ledger to tell the story on.
type demoConfig struct {
	Ledger backend.Config `mapstructure:"ledger"`
	Batch  int            `mapstructure:"batch"`
	Save   string         `mapstructure:"save"`
}

func (c *demoConfig) Validate() error {
	if c.Batch < demo.MinBatchSize || c.Batch > 100000 {
		return fmt.Errorf("batch must be between %d and 100000, not %d", demo.MinBatchSize, c.Batch)
	}
	return c.Ledger.Validate()
}

func newDemoCmd(g *globals, s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Tell EduLedger's story end to end and check every outcome",
		Long: `demo plays every part: the bureau admits and accredits, schools publish keys, register
learners (personal data private), issue diplomas alone and a class as one Merkle batch, an employer
verifies them, registrars suspend, reinstate and revoke, and unauthorised attempts are refused.
It exits 0 only when every step turned out as EduLedger promises.

Without --dir it uses a fresh embedded ledger in a new temporary directory (kept, so that you can
inspect it with 'eduledger ledger … --dir'). With --dir it uses (or creates) that development
network. With ledger.backend=fabric (config file or EDULEDGER_LEDGER_BACKEND) it tells the story on
a Fabric network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := &demoConfig{Batch: 40}
			cfg.Ledger.Backend, cfg.Ledger.ReaderMSP = backend.Embedded, devnet.GovMSP
			cfg.Ledger.Dir = g.dir
			if !cmd.Flags().Changed("dir") {
				tmp, err := os.MkdirTemp("", "eduledger-demo-")
				if err != nil {
					return err
				}
				cfg.Ledger.Dir = filepath.Join(tmp, "network")
			}
			if err := config.Load(cfg, g.config, cmd.Flags()); err != nil {
				return usagef("%v", err)
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			b, err := backend.Open(cmd.Context(), cfg.Ledger, log)
			if err != nil {
				return err
			}
			res, err := demo.Run(cmd.Context(), demo.Config{Connector: b.Connector, Out: s.out, BatchSize: cfg.Batch, SaveDir: cfg.Save})
			closeErr := b.Close()
			if err != nil {
				return err
			}
			if closeErr != nil {
				return closeErr
			}
			if cfg.Ledger.Backend == backend.Embedded {
				rep, err := embedded.Verify(cmd.Context(), filepath.Join(cfg.Ledger.Dir, "ledger"))
				if err != nil {
					return fmt.Errorf("the ledger failed its integrity check after the demo: %w", err)
				}
				fmt.Fprintf(s.out, "The ledger in %s verifies intact: %d blocks, %d transactions (%d valid).\n",
					cfg.Ledger.Dir, rep.Blocks, rep.Transactions, rep.Valid)
			}
			if cfg.Save != "" {
				fmt.Fprintf(s.out, "Issued credentials saved in %s.\n", cfg.Save)
			}
			if !res.OK() {
				return fmt.Errorf("%d of %d demo steps did not go as expected", len(res.Unexpected), res.Steps)
			}
			return nil
		},
	}
	cmd.Flags().Int("batch", 40, "size of the graduating class issued as one Merkle batch")
	cmd.Flags().String("save", "", "directory to save the issued credentials in")
	return cmd
}
