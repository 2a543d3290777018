package chaincode

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// InitLedger fixes the governing organisation: the GOVERNMENT organisation whose admins admit,
// change and suspend organisations and grant accreditations. The caller must be an admin of that
// organisation, from the MSP that hosts it. It succeeds once; every later call, by anyone, is
// refused with CONFLICT. With the GoverningMSP option, only an organisation of that MSP qualifies. (Fabric's gateway cannot send --isInit, so this is an ordinary
// transaction that works once; operators run it right after the chaincode is committed.)
func (c *Contract) InitLedger(ctx contractapi.TransactionContextInterface, org eduledger.Organization) (*eduledger.Organization, error) {
	stub := ctx.GetStub()
	gk, err := key(typeConfig, governanceAttribute)
	if err != nil {
		return nil, err
	}
	var gov governance
	if ok, err := getJSON(stub, gk, &gov); err != nil {
		return nil, err
	} else if ok {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the ledger is already initialised; %s governs it", gov.OrgID)
	}
	if err := checkNewOrganization(&org); err != nil {
		return nil, err
	}
	if org.Kind != eduledger.KindGovernment {
		return nil, eduledger.Errorf(eduledger.EINVALID, "the governing organisation must be of kind GOVERNMENT, not %s", org.Kind)
	}
	if c.governingMSP != "" && org.MSPID != c.governingMSP {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "this network is governed by an organisation of %s; %s is hosted by %s and may not initialise the ledger", c.governingMSP, org.ID, org.MSPID)
	}
	if err := requireFounder(ctx, &org); err != nil {
		return nil, err
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	org.Status, org.AdmittedAt, org.UpdatedAt = eduledger.OrgActive, now, now
	orgKey, err := key(typeOrg, org.ID)
	if err != nil {
		return nil, err
	}
	payload, err := putJSON(stub, orgKey, &org)
	if err != nil {
		return nil, err
	}
	if _, err := putJSON(stub, gk, &governance{OrgID: org.ID, InitialisedAt: now, TxID: stub.GetTxID()}); err != nil {
		return nil, err
	}
	return &org, emit(stub, eduledger.EventLedgerInitialised, payload)
}

// GetGoverningOrganization returns the organisation fixed by InitLedger. Errors: NOT_FOUND before
// the ledger is initialised.
func (c *Contract) GetGoverningOrganization(ctx contractapi.TransactionContextInterface) (*eduledger.Organization, error) {
	gov, err := readGovernance(ctx)
	if err != nil {
		return nil, err
	}
	return readOrganization(ctx, gov.OrgID)
}

// AdmitOrganization registers an organisation, ACTIVE from now on. Caller: an admin of the
// governing organisation. Errors: INVALID, FORBIDDEN, CONFLICT when the ID is taken.
func (c *Contract) AdmitOrganization(ctx contractapi.TransactionContextInterface, org eduledger.Organization) (*eduledger.Organization, error) {
	if _, err := governingAdmin(ctx, "admit organisations"); err != nil {
		return nil, err
	}
	if err := checkNewOrganization(&org); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	k, err := key(typeOrg, org.ID)
	if err != nil {
		return nil, err
	}
	var existing eduledger.Organization
	if ok, err := getJSON(stub, k, &existing); err != nil {
		return nil, err
	} else if ok {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "organisation %s is already registered", org.ID)
	}
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	org.Status, org.AdmittedAt, org.UpdatedAt = eduledger.OrgActive, now, now
	return &org, saveOrganization(ctx, k, &org, eduledger.EventOrganizationAdmitted)
}

// UpdateOrganization changes an organisation's names and region. Caller: an admin of the governing
// organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND.
func (c *Contract) UpdateOrganization(ctx contractapi.TransactionContextInterface, update eduledger.OrganizationUpdate) (*eduledger.Organization, error) {
	if _, err := governingAdmin(ctx, "change organisations"); err != nil {
		return nil, err
	}
	if err := update.Validate(); err != nil {
		return nil, err
	}
	org, k, err := loadOrganization(ctx, update.ID)
	if err != nil {
		return nil, err
	}
	now, err := txTime(ctx.GetStub())
	if err != nil {
		return nil, err
	}
	org.Name, org.RegionCode, org.UpdatedAt = update.Name, update.RegionCode, now
	return org, saveOrganization(ctx, k, org, eduledger.EventOrganizationUpdated)
}

// SuspendOrganization stops an organisation's staff from acting until it is reinstated; what it
// anchored stays on the ledger with its status. Caller: an admin of the governing organisation.
// Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is already suspended or is the governing
// organisation itself.
func (c *Contract) SuspendOrganization(ctx contractapi.TransactionContextInterface, orgID, reason string) (*eduledger.Organization, error) {
	gov, err := governingAdmin(ctx, "suspend organisations")
	if err != nil {
		return nil, err
	}
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	org, k, err := loadOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	switch {
	case org.ID == gov.org.ID:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "the governing organisation cannot be suspended")
	case org.Status == eduledger.OrgSuspended:
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "organisation %s is already suspended", org.ID)
	}
	now, err := txTime(ctx.GetStub())
	if err != nil {
		return nil, err
	}
	org.Status, org.StatusReason, org.UpdatedAt = eduledger.OrgSuspended, reason, now
	return org, saveOrganization(ctx, k, org, eduledger.EventOrganizationSuspended)
}

// ReinstateOrganization lets a suspended organisation act again. Caller: an admin of the governing
// organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is not suspended.
func (c *Contract) ReinstateOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*eduledger.Organization, error) {
	if _, err := governingAdmin(ctx, "reinstate organisations"); err != nil {
		return nil, err
	}
	org, k, err := loadOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if org.Status != eduledger.OrgSuspended {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "organisation %s is not suspended", org.ID)
	}
	now, err := txTime(ctx.GetStub())
	if err != nil {
		return nil, err
	}
	org.Status, org.StatusReason, org.UpdatedAt = eduledger.OrgActive, "", now
	return org, saveOrganization(ctx, k, org, eduledger.EventOrganizationReinstated)
}

// GetOrganization returns a registered organisation. Errors: INVALID, NOT_FOUND.
func (c *Contract) GetOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*eduledger.Organization, error) {
	return readOrganization(ctx, orgID)
}

// ListOrganizations returns one page of the registered organisations, in ID order. Errors: INVALID
// (page size outside 1..MaxPageSize, a bookmark from another list).
func (c *Contract) ListOrganizations(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*OrganizationPage, error) {
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeOrg, nil, decodeItem[eduledger.Organization])
	return (*OrganizationPage)(p), err
}

// GetOrganizationHistory returns every version of an organisation, newest first. Errors: INVALID,
// NOT_FOUND.
func (c *Contract) GetOrganizationHistory(ctx contractapi.TransactionContextInterface, orgID string) ([]OrganizationVersion, error) {
	_, k, err := loadOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	h, err := history[eduledger.Organization](ctx.GetStub(), k)
	return versions(h, err, func(e eduledger.HistoryEntry[eduledger.Organization]) OrganizationVersion {
		return OrganizationVersion(e)
	})
}

// checkNewOrganization validates an organisation a caller asks to register, including that it
// leaves the fields the ledger sets empty.
func checkNewOrganization(org *eduledger.Organization) error {
	if err := org.Validate(); err != nil {
		return err
	}
	if org.Status != "" || org.StatusReason != "" || !org.AdmittedAt.IsZero() || !org.UpdatedAt.IsZero() {
		return eduledger.Errorf(eduledger.EINVALID, "status, statusReason, admittedAt and updatedAt are set by the ledger; leave them out")
	}
	return nil
}

func readGovernance(ctx contractapi.TransactionContextInterface) (*governance, error) {
	gk, err := key(typeConfig, governanceAttribute)
	if err != nil {
		return nil, err
	}
	gov := new(governance)
	ok, err := getJSON(ctx.GetStub(), gk, gov)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "the ledger is not initialised yet: no governing organisation")
	}
	return gov, nil
}

// loadOrganization reads an organisation for change and returns it with its key.
func loadOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*eduledger.Organization, string, error) {
	if !eduledger.ValidOrgID(orgID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "organisation ID %.70q must be 3-64 lower-case letters, digits or hyphens", orgID)
	}
	k, err := key(typeOrg, orgID)
	if err != nil {
		return nil, "", err
	}
	org := new(eduledger.Organization)
	ok, err := getJSON(ctx.GetStub(), k, org)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "organisation %s is not registered", orgID)
	}
	return org, k, nil
}

func readOrganization(ctx contractapi.TransactionContextInterface, orgID string) (*eduledger.Organization, error) {
	org, _, err := loadOrganization(ctx, orgID)
	return org, err
}

func saveOrganization(ctx contractapi.TransactionContextInterface, k string, org *eduledger.Organization, event string) error {
	payload, err := putJSON(ctx.GetStub(), k, org)
	if err != nil {
		return err
	}
	return emit(ctx.GetStub(), event, payload)
}

// governingAdmin refuses the action unless the caller is an admin of the governing organisation.
func governingAdmin(ctx contractapi.TransactionContextInterface, action string) (*caller, error) {
	c, err := staff(ctx)
	if err != nil {
		return nil, err
	}
	gov, err := readGovernance(ctx)
	if err != nil {
		return nil, err
	}
	if c.org.ID != gov.OrgID {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "only the governing organisation (%s) may %s", gov.OrgID, action)
	}
	if err := c.allow(action, eduledger.StaffAdmin); err != nil {
		return nil, err
	}
	return c, nil
}

// requireFounder checks that the caller of InitLedger is an admin of the organisation it names,
// from that organisation's MSP. The organisation is not on the ledger yet, so staff cannot be used.
func requireFounder(ctx contractapi.TransactionContextInterface, org *eduledger.Organization) error {
	id := ctx.GetClientIdentity()
	if id == nil || isNil(id) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "the caller's identity cannot be read")
	}
	mspID, _ := id.GetMSPID()
	orgID, _, _ := id.GetAttributeValue(eduledger.AttrOrg)
	role, _, _ := id.GetAttributeValue(eduledger.AttrRole)
	switch {
	case mspID != org.MSPID:
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only %s may initialise the ledger for %s; your certificate comes from %s", org.MSPID, org.ID, mspID)
	case orgID != org.ID:
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only staff of %s may initialise the ledger for it; your certificate names %.70q", org.ID, orgID)
	case eduledger.StaffRole(role) != eduledger.StaffAdmin:
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only an admin may initialise the ledger; your role is %.40q", role)
	}
	return nil
}
