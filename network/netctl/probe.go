package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// readyCmd waits until every member's gateway can endorse on every member: an evaluation pinned
// to each organisation, through each organisation's own gateway, as each organisation's client
// (cryptogen's User1).
func readyCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ready", flag.ContinueOnError)
	profiles := fs.String("profiles", "", "folder of the connection profiles")
	crypto := fs.String("crypto", "", "cryptogen output folder")
	chaincode := fs.String("chaincode", "", "chaincode name (default: the profiles')")
	function := fs.String("function", "org.hyperledger.fabric:GetMetadata", "a read-only function every caller may evaluate")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profiles == "" || *crypto == "" {
		return errors.New("ready: -profiles and -crypto are required")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	msps := make([]string, len(members))
	for i, m := range members {
		msps[i] = m.MSPID
	}
	for _, m := range members {
		p, err := fabric.LoadProfile(filepath.Join(*profiles, m.Key+".json"))
		if err != nil {
			return err
		}
		if *chaincode != "" {
			p.Chaincode = *chaincode
		}
		p.Gateways = p.Gateways[:1] // this member's own gateway, no fail-over
		id, err := fabric.LoadIdentity(m.MSPID, filepath.Join(*crypto, "peerOrganizations", m.Domain, "users", "User1@"+m.Domain, "msp"))
		if err != nil {
			return err
		}
		l, err := fabric.Connect(p, id)
		if err != nil {
			return err
		}
		err = l.Ready(ctx, *function, msps...)
		l.Close()
		if err != nil {
			return fmt.Errorf("ready: through %s's gateway: %w", m.MSPID, err)
		}
	}
	return nil
}

// bootstrapCmd runs the chaincode's one-time InitLedger as the governing organisation's admin,
// fixing edu-bureau as the governing organisation. A ledger that is already initialised by
// edu-bureau is success.
func bootstrapCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	profile := fs.String("profile", "", "connection profile of GovMSP")
	identity := fs.String("identity", "", "MSP folder of edu-bureau's admin")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to keep trying")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile == "" || *identity == "" {
		return errors.New("bootstrap: -profile and -identity are required")
	}
	gov := demoOrgs[0]
	p, err := fabric.LoadProfile(*profile)
	if err != nil {
		return err
	}
	id, err := fabric.LoadIdentity(gov.MSPID, *identity)
	if err != nil {
		return err
	}
	l, err := fabric.Connect(p, id)
	if err != nil {
		return err
	}
	defer l.Close()
	arg, err := json.Marshal(&gov)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	for {
		_, err = l.Submit(ctx, &ledger.Transaction{Function: "InitLedger", Args: []string{string(arg)}})
		switch eduledger.ErrorCode(err) {
		case "":
			return nil
		case eduledger.ECONFLICT:
			// Initialised before: fine if by edu-bureau.
			res, gerr := l.Evaluate(ctx, &ledger.Transaction{Function: "GetGoverningOrganization"})
			if gerr != nil {
				return fmt.Errorf("bootstrap: %w (and reading the governing organisation: %v)", err, gerr)
			}
			var got eduledger.Organization
			if jerr := json.Unmarshal(res, &got); jerr != nil || got.ID != gov.ID {
				return fmt.Errorf("bootstrap: the ledger is governed by %q, not %s", got.ID, gov.ID)
			}
			return nil
		case eduledger.EUNAVAILABLE:
			if ctx.Err() != nil {
				return fmt.Errorf("bootstrap: %w", err)
			}
			time.Sleep(500 * time.Millisecond)
		default:
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
}
