package chaincode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/eduledger/eduledger"
)

// GrantAccreditation lets an organisation issue one credential type from validFrom until
// validUntil (open-ended when absent). The ledger assigns the accreditation's ID, derived from the
// transaction ID. Caller: an admin of the governing organisation. Errors: INVALID, FORBIDDEN,
// NOT_FOUND when the organisation is not registered.
func (c *Contract) GrantAccreditation(ctx contractapi.TransactionContextInterface, a eduledger.Accreditation) (*eduledger.Accreditation, error) {
	gov, err := governingAdmin(ctx, "grant accreditations")
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.ID != "" || !a.GrantedAt.IsZero() || a.GrantedBy != "" || !a.WithdrawnAt.IsZero() || a.WithdrawnReason != "" {
		return nil, eduledger.Errorf(eduledger.EINVALID, "id, grantedAt, grantedBy, withdrawnAt and withdrawnReason are set by the ledger; leave them out")
	}
	if _, err := readOrganization(ctx, a.OrgID); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	a.ID = accreditationID(stub.GetTxID())
	a.ValidFrom, a.ValidUntil = utc(a.ValidFrom), utc(a.ValidUntil)
	a.GrantedAt, a.GrantedBy = now, gov.org.ID
	k, err := key(typeAccreditation, a.OrgID, string(a.CredentialType), a.ID)
	if err != nil {
		return nil, err
	}
	var existing eduledger.Accreditation
	if ok, err := getJSON(stub, k, &existing); err != nil {
		return nil, err
	} else if ok {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "accreditation %s already exists", a.ID)
	}
	payload, err := putAccreditation(stub, k, &a)
	if err != nil {
		return nil, err
	}
	return &a, emit(stub, eduledger.EventAccreditationGranted, payload)
}

// WithdrawAccreditation ends an accreditation now. The record stays, with withdrawnAt set, so that
// credentials issued while it held still verify as issued by an accredited organisation. Caller: an
// admin of the governing organisation. Errors: INVALID, FORBIDDEN, NOT_FOUND, CONFLICT when it is
// already withdrawn.
func (c *Contract) WithdrawAccreditation(ctx contractapi.TransactionContextInterface, orgID, accreditationID, reason string) (*eduledger.Accreditation, error) {
	if _, err := governingAdmin(ctx, "withdraw accreditations"); err != nil {
		return nil, err
	}
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	a, k, err := loadAccreditation(ctx.GetStub(), orgID, accreditationID)
	if err != nil {
		return nil, err
	}
	if !a.WithdrawnAt.IsZero() {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "accreditation %s was already withdrawn at %s", a.ID, a.WithdrawnAt.Format(timeLayout))
	}
	stub := ctx.GetStub()
	now, err := txTime(stub)
	if err != nil {
		return nil, err
	}
	a.WithdrawnAt, a.WithdrawnReason = now, reason
	payload, err := putAccreditation(stub, k, a)
	if err != nil {
		return nil, err
	}
	return a, emit(stub, eduledger.EventAccreditationWithdrawn, payload)
}

// ListAccreditations returns one page of an organisation's accreditations, current and past,
// ordered by credential type. Errors: INVALID, NOT_FOUND when the organisation is not registered.
func (c *Contract) ListAccreditations(ctx contractapi.TransactionContextInterface, orgID string, pageSize int32, bookmark string) (*AccreditationPage, error) {
	if _, err := readOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	p, err := page(ctx.GetStub(), pageSize, bookmark, typeAccreditation, []string{orgID}, decodeItem[eduledger.Accreditation])
	return (*AccreditationPage)(p), err
}

// CheckAccreditation answers whether an organisation was accredited to issue a credential type at
// a time (RFC 3339; empty means the transaction time). Errors: INVALID, NOT_FOUND when the
// organisation is not registered.
func (c *Contract) CheckAccreditation(ctx contractapi.TransactionContextInterface, orgID, credentialType, at string) (*eduledger.AccreditationCheck, error) {
	ct := eduledger.CredentialType(credentialType)
	if !ct.Valid() {
		return nil, eduledger.Errorf(eduledger.EINVALID, "credentialType %.40q is not a known credential type", credentialType)
	}
	t, err := parseTime("at", at)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		if t, err = txTime(ctx.GetStub()); err != nil {
			return nil, err
		}
	}
	if _, err := readOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	check := &eduledger.AccreditationCheck{OrgID: orgID, CredentialType: ct, At: t}
	id, err := accreditationAt(ctx.GetStub(), orgID, ct, t)
	if err != nil || id == "" {
		return check, err
	}
	k, err := key(typeAccreditation, orgID, string(ct), id)
	if err != nil {
		return nil, err
	}
	check.Accreditation = new(eduledger.Accreditation)
	if ok, err := getJSON(ctx.GetStub(), k, check.Accreditation); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("accreditation %s is in the index but has no record", id)
	}
	check.Accredited = true
	return check, nil
}

// GetAccreditationHistory returns every version of an accreditation, newest first. Errors:
// INVALID, NOT_FOUND.
func (c *Contract) GetAccreditationHistory(ctx contractapi.TransactionContextInterface, orgID, accreditationID string) ([]AccreditationVersion, error) {
	_, k, err := loadAccreditation(ctx.GetStub(), orgID, accreditationID)
	if err != nil {
		return nil, err
	}
	h, err := history[eduledger.Accreditation](ctx.GetStub(), k)
	return versions(h, err, func(e eduledger.HistoryEntry[eduledger.Accreditation]) AccreditationVersion {
		return AccreditationVersion(e)
	})
}

// window is an accreditation's validity as the index of one organisation's accreditations for
// one credential type keeps it.
type window struct {
	ID          string    `json:"id"`
	ValidFrom   time.Time `json:"validFrom"`
	ValidUntil  time.Time `json:"validUntil,omitzero"`
	WithdrawnAt time.Time `json:"withdrawnAt,omitzero"`
}

// accreditationAt returns the ID of the first accreditation (in ID order, so every endorser picks
// the same) of orgID for ct that was in force at t, or "". Anchoring asks it on every transaction,
// so it reads one key, the (organisation, type) window index, rather than a range: a point read is
// cheaper to simulate and to re-check at commit, where a grant or withdrawal committed meanwhile
// invalidates the transaction (MVCC_READ_CONFLICT) instead of letting it use a stale answer.
func accreditationAt(stub shim.ChaincodeStubInterface, orgID string, ct eduledger.CredentialType, t time.Time) (string, error) {
	ws, _, err := readWindows(stub, orgID, ct)
	if err != nil {
		return "", err
	}
	for _, w := range ws {
		a := eduledger.Accreditation{ValidFrom: w.ValidFrom, ValidUntil: w.ValidUntil, WithdrawnAt: w.WithdrawnAt}
		if a.CoversAt(t) {
			return w.ID, nil
		}
	}
	return "", nil
}

func readWindows(stub shim.ChaincodeStubInterface, orgID string, ct eduledger.CredentialType) ([]window, string, error) {
	k, err := key(typeAccWindows, orgID, string(ct))
	if err != nil {
		return nil, "", err
	}
	var ws []window
	if _, err := getJSON(stub, k, &ws); err != nil {
		return nil, "", err
	}
	return ws, k, nil
}

// putAccreditation writes an accreditation and its entry in the window index, and returns the
// record's bytes.
func putAccreditation(stub shim.ChaincodeStubInterface, k string, a *eduledger.Accreditation) ([]byte, error) {
	payload, err := putJSON(stub, k, a)
	if err != nil {
		return nil, err
	}
	ws, wk, err := readWindows(stub, a.OrgID, a.CredentialType)
	if err != nil {
		return nil, err
	}
	w := window{ID: a.ID, ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, WithdrawnAt: a.WithdrawnAt}
	if i := slices.IndexFunc(ws, func(x window) bool { return x.ID == a.ID }); i >= 0 {
		ws[i] = w
	} else {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(x, y window) int { return strings.Compare(x.ID, y.ID) })
	if _, err := putJSON(stub, wk, ws); err != nil {
		return nil, err
	}
	return payload, nil
}

// accreditationID derives an accreditation's ID from the transaction that grants it.
func accreditationID(txID string) string {
	h := sha256.Sum256([]byte(txID))
	return "acc-" + hex.EncodeToString(h[:8])
}

// loadAccreditation finds an accreditation by organisation and ID. Its key also holds the
// credential type, so each type's slot is read in turn: a handful of point reads, no range query in
// a submitted transaction.
func loadAccreditation(stub shim.ChaincodeStubInterface, orgID, accreditationID string) (*eduledger.Accreditation, string, error) {
	if !eduledger.ValidOrgID(orgID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "organisation ID %.70q must be 3-64 lower-case letters, digits or hyphens", orgID)
	}
	if !eduledger.ValidLocalID(accreditationID) {
		return nil, "", eduledger.Errorf(eduledger.EINVALID, "accreditation ID %.70q is not valid", accreditationID)
	}
	for _, ct := range eduledger.CredentialTypes {
		k, err := key(typeAccreditation, orgID, string(ct), accreditationID)
		if err != nil {
			return nil, "", err
		}
		b, err := stub.GetState(k)
		if err != nil {
			return nil, "", fmt.Errorf("read state: %w", err)
		}
		if b == nil {
			continue
		}
		a := new(eduledger.Accreditation)
		if err := json.Unmarshal(b, a); err != nil {
			return nil, "", fmt.Errorf("decode state %q: %w", printableKey(k), err)
		}
		return a, k, nil
	}
	return nil, "", eduledger.Errorf(eduledger.ENOTFOUND, "organisation %s has no accreditation %s", orgID, accreditationID)
}
