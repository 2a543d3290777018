// Package devnet creates and loads EduLedger's development network: one certificate authority per
// Fabric member organisation (GovMSP, SchoolMSP, EnterpriseMSP), the demo organisations they host,
// and staff identities carrying EduLedger's role attributes, minted on first use and kept in Fabric's
// MSP folder layout. It is what `eduledger devnet init` writes and what `make run` and the demo use.
//
// Layout of a network directory:
//
//	network.json               the network: channel, chaincode, member MSPs, demo organisations
//	msp/<MSPID>/ca/            the MSP's CA (ca-cert.pem, priv_sk)
//	users/<MSPID>/<orgID>/<role>/  staff identities (signcerts/, keystore/, cacerts/, config.yaml)
//	users/<MSPID>/_reader/         a member without staff attributes, for queries
//	ledger/                    the embedded ledger
//
// The CA keys sit in the directory because this is a development network; a production network keeps
// them in its operators' CAs (see docs/operations.md).
package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/msp"
)

// Member organisations (Fabric MSPs) of the development network.
const (
	GovMSP        = "GovMSP"
	SchoolMSP     = "SchoolMSP"
	EnterpriseMSP = "EnterpriseMSP"
)

// Channel and chaincode names, the same on the embedded ledger and on Fabric.
const (
	Channel   = "eduledger"
	Chaincode = "eduledger"
)

// IDs of the demo organisations.
const (
	Bureau     = "edu-bureau"
	Riverside  = "riverside-university"
	Lakeside   = "lakeside-college"
	Acme       = "acme-networks"
	Sunrise    = "sunrise-training"
	Westlake   = "westlake-university"
	regionSH   = "310000"
	regionHZ   = "330100"
	fileConfig = "network.json"
)

// Organizations returns the demo organisations: the governing education bureau, two schools and an
// enterprise in one city, a training provider, and a university in another region of the Yangtze
// River Delta (for cross-region credit recognition). The bureau comes first.
func Organizations() []eduledger.Organization {
	return []eduledger.Organization{
		{ID: Bureau, MSPID: GovMSP, Kind: eduledger.KindGovernment, RegionCode: regionSH,
			Name: eduledger.Name{Zh: "市教育局", En: "Municipal Education Bureau"}},
		{ID: Riverside, MSPID: SchoolMSP, Kind: eduledger.KindSchool, RegionCode: regionSH,
			Name: eduledger.Name{Zh: "滨江大学", En: "Riverside University"}},
		{ID: Lakeside, MSPID: SchoolMSP, Kind: eduledger.KindSchool, RegionCode: regionSH,
			Name: eduledger.Name{Zh: "湖畔职业学院", En: "Lakeside Vocational College"}},
		{ID: Acme, MSPID: EnterpriseMSP, Kind: eduledger.KindEnterprise, RegionCode: regionSH,
			Name: eduledger.Name{Zh: "艾克米网络有限公司", En: "Acme Networks Ltd."}},
		{ID: Sunrise, MSPID: EnterpriseMSP, Kind: eduledger.KindTraining, RegionCode: regionSH,
			Name: eduledger.Name{Zh: "朝阳职业培训中心", En: "Sunrise Vocational Training Centre"}},
		{ID: Westlake, MSPID: SchoolMSP, Kind: eduledger.KindSchool, RegionCode: regionHZ,
			Name: eduledger.Name{Zh: "西湖大学城学院", En: "Westlake University College"}},
	}
}

// Organization returns the demo organisation with the given ID.
func Organization(id string) (eduledger.Organization, bool) {
	i := slices.IndexFunc(Organizations(), func(o eduledger.Organization) bool { return o.ID == id })
	if i < 0 {
		return eduledger.Organization{}, false
	}
	return Organizations()[i], true
}

// description is network.json.
type description struct {
	Channel   string   `json:"channel"`
	Chaincode string   `json:"chaincode"`
	MSPs      []string `json:"msps"`
}

// Network is a development network on disk.
type Network struct {
	dir  string
	desc description
	cas  map[string]*msp.CA

	mu    sync.Mutex
	staff map[string]*msp.SigningIdentity
}

// Init creates a development network in dir, which must be empty or absent: a fresh CA per member
// MSP and the network description. It fails with CONFLICT when dir already holds a network.
func Init(dir string) (*Network, error) {
	if _, err := os.Stat(filepath.Join(dir, fileConfig)); err == nil {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "%s already holds a development network", dir)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "%s is not empty; choose an empty or new directory", dir)
	}
	n := &Network{dir: dir, cas: map[string]*msp.CA{}, staff: map[string]*msp.SigningIdentity{},
		desc: description{Channel: Channel, Chaincode: Chaincode, MSPs: []string{GovMSP, SchoolMSP, EnterpriseMSP}}}
	for _, id := range n.desc.MSPs {
		ca, err := msp.NewCA(id, "ca."+id)
		if err != nil {
			return nil, fmt.Errorf("devnet: create CA of %s: %w", id, err)
		}
		if err := ca.Save(n.caDir(id)); err != nil {
			return nil, fmt.Errorf("devnet: save CA of %s: %w", id, err)
		}
		n.cas[id] = ca
	}
	b, _ := json.MarshalIndent(n.desc, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, fileConfig), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("devnet: write %s: %w", fileConfig, err)
	}
	return n, nil
}

// Load opens the development network in dir. It fails with NOT_FOUND when there is none.
func Load(dir string) (*Network, error) {
	b, err := os.ReadFile(filepath.Join(dir, fileConfig))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s holds no development network; run `eduledger devnet init --dir %s`", dir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	n := &Network{dir: dir, cas: map[string]*msp.CA{}, staff: map[string]*msp.SigningIdentity{}}
	if err := json.Unmarshal(b, &n.desc); err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%s is damaged: %v", filepath.Join(dir, fileConfig), err)
	}
	for _, id := range n.desc.MSPs {
		ca, err := msp.LoadCAFromDir(id, n.caDir(id))
		if err != nil {
			return nil, fmt.Errorf("devnet: load CA of %s: %w", id, err)
		}
		n.cas[id] = ca
	}
	return n, nil
}

// Open loads the development network in dir, creating it first when dir holds none.
func Open(dir string) (n *Network, created bool, err error) {
	n, err = Load(dir)
	if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
		n, err = Init(dir)
		return n, err == nil, err
	}
	return n, false, err
}

// Dir returns the network's directory.
func (n *Network) Dir() string { return n.dir }

// LedgerDir returns where the embedded ledger of the network lives.
func (n *Network) LedgerDir() string { return filepath.Join(n.dir, "ledger") }

// MSPs returns the member organisations' MSP configurations, as the channel trusts them.
func (n *Network) MSPs() []msp.Config {
	out := make([]msp.Config, 0, len(n.desc.MSPs))
	for _, id := range n.desc.MSPs {
		out = append(out, n.cas[id].Config())
	}
	return out
}

// CA returns the CA of a member MSP.
func (n *Network) CA(mspID string) (*msp.CA, bool) {
	ca, ok := n.cas[mspID]
	return ca, ok
}

// Staff returns the identity of a demo organisation's staff member in role, minting and saving it on
// first use.
func (n *Network) Staff(orgID string, role eduledger.StaffRole) (*msp.SigningIdentity, error) {
	org, ok := Organization(orgID)
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s is not a demo organisation", orgID)
	}
	return n.StaffOf(org.MSPID, orgID, role)
}

// StaffOf returns the identity of a staff member of any organisation hosted by mspID, minting and
// saving it on first use. The organisation need not be registered on the ledger: the chaincode
// decides what the identity may do.
func (n *Network) StaffOf(mspID, orgID string, role eduledger.StaffRole) (*msp.SigningIdentity, error) {
	ca, ok := n.cas[mspID]
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s is not a member of this network", mspID)
	}
	if !eduledger.ValidOrgID(orgID) || !role.Valid() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "staff identity needs a valid organisation ID and role, got %q and %q", orgID, role)
	}
	return n.identity(ca, filepath.Join(mspID, orgID, string(role)), string(role)+"@"+orgID, map[string]string{
		eduledger.AttrOrg:  orgID,
		eduledger.AttrRole: string(role),
	})
}

// Reader returns a member of mspID without staff attributes: it may run every query and change
// nothing. The verifier service reads the ledger with one.
func (n *Network) Reader(mspID string) (*msp.SigningIdentity, error) {
	ca, ok := n.cas[mspID]
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s is not a member of this network", mspID)
	}
	return n.identity(ca, filepath.Join(mspID, "_reader"), "reader@"+mspID, nil)
}

// identity loads the identity saved under users/<rel>, or issues and saves it on first use.
func (n *Network) identity(ca *msp.CA, rel, commonName string, attrs map[string]string) (*msp.SigningIdentity, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.staff[rel]; ok {
		return id, nil
	}
	dir := filepath.Join(n.dir, "users", rel)
	id, err := msp.LoadSigningIdentity(dir, ca.MSPID())
	if err != nil {
		if _, statErr := os.Stat(dir); !errors.Is(statErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("devnet: load %s: %w", dir, err)
		}
		id, err = ca.Issue(commonName, attrs)
		if err != nil {
			return nil, fmt.Errorf("devnet: issue %s: %w", rel, err)
		}
		if err := id.Save(dir); err != nil {
			return nil, fmt.Errorf("devnet: save %s: %w", dir, err)
		}
	}
	n.staff[rel] = id
	return id, nil
}

func (n *Network) caDir(mspID string) string { return filepath.Join(n.dir, "msp", mspID, "ca") }
