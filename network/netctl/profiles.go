package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/eduledger/eduledger/sdk/ledger/fabric"
)

// peerFlags collects repeated -peer key=host:port flags.
type peerFlags map[string]string

func (p peerFlags) String() string { return fmt.Sprint(map[string]string(p)) }

func (p peerFlags) Set(v string) error {
	k, addr, ok := strings.Cut(v, "=")
	if !ok || k == "" || addr == "" {
		return fmt.Errorf("-peer %q: want member=host:port", v)
	}
	p[k] = addr
	return nil
}

// profilesCmd writes OUT/<member>.json for every member: its own peer's gateway first, then the
// other members' peers for fail-over, and the organisation it trusts with private data. TLS CA
// paths are relative to OUT so the state folder can move.
func profilesCmd(args []string) error {
	fs := flag.NewFlagSet("profiles", flag.ContinueOnError)
	crypto := fs.String("crypto", "", "cryptogen output folder")
	out := fs.String("out", "", "folder for the profiles")
	chaincode := fs.String("chaincode", "eduledger", "chaincode name")
	channel := fs.String("channel", "eduledger", "channel name")
	peers := peerFlags{}
	fs.Var(peers, "peer", "member=host:port of a member's peer (repeat for each member)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *crypto == "" || *out == "" {
		return errors.New("profiles: -crypto and -out are required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, self := range members {
		p := fabric.Profile{Channel: *channel, Chaincode: *chaincode, MSPID: self.MSPID,
			TransientEndorsers: []string{trusted[self.MSPID]}}
		order := []member{self}
		for _, m := range members {
			if m != self {
				order = append(order, m)
			}
		}
		for _, m := range order {
			addr, ok := peers[m.Key]
			if !ok {
				return fmt.Errorf("profiles: no -peer for %s", m.Key)
			}
			ca := filepath.Join(*crypto, "peerOrganizations", m.Domain, "tlsca", "tlsca."+m.Domain+"-cert.pem")
			rel, err := filepath.Rel(*out, ca)
			if err != nil {
				rel = ca
			}
			p.Gateways = append(p.Gateways, fabric.Gateway{Address: addr, TLSRootCert: rel})
		}
		data, err := json.MarshalIndent(&p, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, self.Key+".json"), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
