package devnet

import (
	"context"
	"fmt"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// Accreditations returns the credential types a demo organisation is accredited for. The vocational
// college may not award degrees, which the demo uses to show a refused issuance.
func Accreditations(orgID string) []eduledger.CredentialType {
	switch orgID {
	case Bureau:
		return []eduledger.CredentialType{eduledger.TypeIdentityCard}
	case Riverside, Westlake:
		return []eduledger.CredentialType{eduledger.TypeIdentityCard, eduledger.TypeDiploma, eduledger.TypeDegree,
			eduledger.TypeTranscript, eduledger.TypeCertificate, eduledger.TypeMicroCredential}
	case Lakeside:
		return []eduledger.CredentialType{eduledger.TypeIdentityCard, eduledger.TypeDiploma, eduledger.TypeTranscript,
			eduledger.TypeCertificate, eduledger.TypeMicroCredential, eduledger.TypeTrainingCertificate}
	case Acme:
		return []eduledger.CredentialType{eduledger.TypeInternshipRecord, eduledger.TypeCertificate, eduledger.TypeTrainingCertificate}
	case Sunrise:
		return []eduledger.CredentialType{eduledger.TypeTrainingCertificate, eduledger.TypeMicroCredential, eduledger.TypeCertificate}
	}
	return nil
}

// accreditedSince is when the demo accreditations start: well before any credential the demo issues.
var accreditedSince = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// BootstrapReport says what Bootstrap changed.
type BootstrapReport struct {
	Initialised    bool
	Admitted       []string
	Accreditations int
}

// Bootstrap brings a channel to the demo network's governance: the education bureau governs, the demo
// organisations are admitted and accredited. It only adds what is missing, so it can run at every
// start and on a channel that already holds data. It fails with CONFLICT when another organisation
// governs the channel.
func Bootstrap(ctx context.Context, c ledger.Connector) (*BootstrapReport, error) {
	orgs := Organizations()
	bureau := orgs[0]
	l, err := c.Connect(ctx, bureau.MSPID, bureau.ID, eduledger.StaffAdmin)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	gov := ledger.NewClient(l)
	rep := &BootstrapReport{}

	governing, err := gov.GetGoverningOrganization(ctx)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		if _, err := gov.InitLedger(ctx, &bureau); err != nil {
			return nil, fmt.Errorf("devnet: initialise the ledger: %w", err)
		}
		rep.Initialised = true
	case err != nil:
		return nil, fmt.Errorf("devnet: read the governing organisation: %w", err)
	case governing.ID != bureau.ID:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the channel is governed by %s, not the demo network's %s", governing.ID, bureau.ID)
	}

	for _, org := range orgs[1:] {
		_, err := gov.GetOrganization(ctx, org.ID)
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			if _, err := gov.AdmitOrganization(ctx, &org); err != nil {
				return nil, fmt.Errorf("devnet: admit %s: %w", org.ID, err)
			}
			rep.Admitted = append(rep.Admitted, org.ID)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("devnet: read %s: %w", org.ID, err)
		}
	}

	now := time.Now()
	for _, org := range orgs {
		for _, t := range Accreditations(org.ID) {
			check, err := gov.CheckAccreditation(ctx, org.ID, t, now)
			if err != nil {
				return nil, fmt.Errorf("devnet: check accreditation of %s for %s: %w", org.ID, t, err)
			}
			if check.Accredited {
				continue
			}
			if _, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: org.ID, CredentialType: t, ValidFrom: accreditedSince}); err != nil {
				return nil, fmt.Errorf("devnet: accredit %s for %s: %w", org.ID, t, err)
			}
			rep.Accreditations++
		}
	}
	return rep, nil
}
