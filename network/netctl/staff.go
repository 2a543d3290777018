package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// staffCmd issues, from each member's cryptogen CA, one staff identity per demo organisation and
// staff role, with EduLedger's attributes, into OUT/<orgID>/<role> (Fabric MSP folder layout).
// Existing identities are kept, so re-running is harmless.
func staffCmd(args []string) error {
	fs := flag.NewFlagSet("staff", flag.ContinueOnError)
	crypto := fs.String("crypto", "", "cryptogen output folder")
	out := fs.String("out", "", "folder for the staff identities")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *crypto == "" || *out == "" {
		return errors.New("staff: -crypto and -out are required")
	}
	roles := []eduledger.StaffRole{eduledger.StaffAdmin, eduledger.StaffRegistrar, eduledger.StaffIssuer}
	for _, org := range demoOrgs {
		m, ok := memberByMSP(org.MSPID)
		if !ok {
			return fmt.Errorf("staff: %s is hosted by an unknown member %s", org.ID, org.MSPID)
		}
		ca, err := loadCryptogenCA(*crypto, m)
		if err != nil {
			return err
		}
		for _, role := range roles {
			dir := filepath.Join(*out, org.ID, string(role))
			if _, err := os.Stat(filepath.Join(dir, "signcerts")); err == nil {
				continue
			}
			id, err := ca.Issue(string(role)+"@"+org.ID, map[string]string{
				eduledger.AttrOrg:  org.ID,
				eduledger.AttrRole: string(role),
			}, msp.WithOUs(org.ID))
			if err != nil {
				return fmt.Errorf("staff: %s %s: %w", org.ID, role, err)
			}
			if err := id.Save(dir); err != nil {
				return fmt.Errorf("staff: %s %s: %w", org.ID, role, err)
			}
		}
	}
	return nil
}

// loadCryptogenCA loads the signing CA cryptogen made for member m: ca/ca.<domain>-cert.pem with
// its key ca/priv_sk.
func loadCryptogenCA(crypto string, m member) (*msp.CA, error) {
	dir := filepath.Join(crypto, "peerOrganizations", m.Domain, "ca")
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca."+m.Domain+"-cert.pem"))
	if err != nil {
		return nil, fmt.Errorf("staff: CA of %s: %w", m.MSPID, err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "priv_sk"))
	if err != nil {
		return nil, fmt.Errorf("staff: CA key of %s: %w", m.MSPID, err)
	}
	ca, err := msp.LoadCA(m.MSPID, certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("staff: CA of %s: %w", m.MSPID, err)
	}
	return ca, nil
}
