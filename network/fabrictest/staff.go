package fabrictest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger/fabric"
	"github.com/eduledger/eduledger/sdk/msp"
)

// Issue issues a new staff identity from the CA of member mspID, with the eduledger.org and
// eduledger.role attributes set to orgID and role (each left out when empty), as an organisation's
// administrator would with its CA. It lets tests act for organisations they admit themselves.
func (n *Network) Issue(mspID, orgID string, role eduledger.StaffRole) (*fabric.Identity, error) {
	member, ok := MemberOf(mspID)
	if !ok {
		return nil, fmt.Errorf("fabrictest: %s is not a member of the network", mspID)
	}
	ca, err := n.ca(member)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	if orgID != "" {
		attrs[eduledger.AttrOrg] = orgID
	}
	if role != "" {
		attrs[eduledger.AttrRole] = string(role)
	}
	cn := "test"
	if orgID != "" {
		cn = string(role) + "@" + orgID
	}
	id, err := ca.Issue(cn, attrs)
	if err != nil {
		return nil, fmt.Errorf("fabrictest: issue %s: %w", cn, err)
	}
	return &fabric.Identity{MSPID: mspID, Certificate: id.CertPEM(), Sign: id.Sign}, nil
}

func (n *Network) ca(member string) (*msp.CA, error) {
	domain := member + ".eduledger.local"
	dir := filepath.Join(n.opts.Dir, "crypto", "peerOrganizations", domain, "ca")
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca."+domain+"-cert.pem"))
	if err != nil {
		return nil, fmt.Errorf("fabrictest: CA of %s: %w", member, err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "priv_sk"))
	if err != nil {
		return nil, fmt.Errorf("fabrictest: CA key of %s: %w", member, err)
	}
	return msp.LoadCA(members[member], certPEM, keyPEM)
}
