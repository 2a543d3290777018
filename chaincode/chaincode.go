// Package chaincode is EduLedger's smart contract: the one place where the rules that every
// organisation must follow are enforced — who governs the network, which organisations are
// admitted and accredited for which credential types, which keys they sign with, which learners
// exist, which credentials are anchored with what status, which learning outcomes each learner's
// lifelong archive holds, and what the credit bank's rules, accounts, recognitions and redemptions
// are.
//
// It runs unchanged on a Hyperledger Fabric peer (as a chaincode service, cmd/chaincode) and in
// EduLedger's embedded ledger (sdk/ledger/embedded). Every transaction is deterministic: time comes
// only from the transaction timestamp, identifiers it creates derive from the transaction ID, and
// no output depends on map iteration order. Every write is authorised by the caller's MSP ID and
// the eduledger.org and eduledger.role attributes of the caller's certificate, checked against the
// organisation registered on the ledger. Errors start with a stable code ("INVALID: …",
// "NOT_FOUND: …", "FORBIDDEN: …", "CONFLICT: …") that eduledger.ParseError reads back.
//
// docs/data-model.md describes the ledger keys, the transactions and who may call them, the events
// and what is public and what is private.
package chaincode

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/eduledger/eduledger"
)

// Name is the contract's name, the namespace contractapi routes "eduledger:Function" calls to. It is
// also the default contract, so plain function names work.
const Name = "eduledger"

// Version is the version the contract reports in its metadata.
const Version = "1.0.0"

// Contract is EduLedger's smart contract. Its exported methods are the chaincode's transactions;
// each takes the transaction context first and its arguments as strings or JSON documents. Obtain it
// through New, which installs the argument checks and the serializer it relies on.
type Contract struct {
	contractapi.Contract
	signatures map[string]signature
	// governingMSP, when set, is the only MSP whose organisation InitLedger accepts.
	governingMSP string
}

// Option configures the chaincode.
type Option func(*Contract)

// GoverningMSP makes InitLedger accept only a governing organisation hosted by mspID (and so, as
// InitLedger requires, called by an admin from that MSP). Run every organisation's chaincode with
// the same value: an admin of another MSP who calls InitLedger first is then refused by every
// honest endorser, instead of governing the network because it was quicker.
func GoverningMSP(mspID string) Option {
	return func(c *Contract) { c.governingMSP = mspID }
}

// signature describes a transaction's arguments, so that a call with the wrong number of them is
// refused with a clear message (contractapi itself ignores extra arguments) and so that argument
// decoding errors can name the argument.
type signature struct {
	params   []string
	evaluate bool
}

// signatures lists every transaction with the names of its arguments. New checks it against the
// methods, so it cannot drift from them.
func signatures() map[string]signature {
	submit := func(params ...string) signature { return signature{params: params} }
	evaluate := func(params ...string) signature { return signature{params: params, evaluate: true} }
	return map[string]signature{
		"InitLedger":               submit("organization"),
		"GetGoverningOrganization": evaluate(),
		"AdmitOrganization":        submit("organization"),
		"UpdateOrganization":       submit("update"),
		"SuspendOrganization":      submit("orgId", "reason"),
		"ReinstateOrganization":    submit("orgId"),
		"GetOrganization":          evaluate("orgId"),
		"ListOrganizations":        evaluate("pageSize", "bookmark"),
		"GetOrganizationHistory":   evaluate("orgId"),
		"GrantAccreditation":       submit("accreditation"),
		"WithdrawAccreditation":    submit("orgId", "accreditationId", "reason"),
		"ListAccreditations":       evaluate("orgId", "pageSize", "bookmark"),
		"CheckAccreditation":       evaluate("orgId", "credentialType", "at"),
		"GetAccreditationHistory":  evaluate("orgId", "accreditationId"),
		"RegisterIssuerKey":        submit("key"),
		"RotateIssuerKey":          submit("previousKeyId", "key"),
		"RevokeIssuerKey":          submit("orgId", "keyId", "revokedAt"),
		"GetIssuerKey":             evaluate("orgId", "keyId"),
		"ListIssuerKeys":           evaluate("orgId", "pageSize", "bookmark"),
		"RegisterLearner":          submit("learner"),
		"GetLearner":               evaluate("learnerId"),
		"GetPersonalData":          evaluate("learnerId"),
		"UpdateLearnerRoles":       submit("learnerId", "roles"),
		"UpdateLearnerHolderKeys":  submit("learnerId", "holderKeys"),
		"SuspendLearner":           submit("learnerId", "reason"),
		"ReinstateLearner":         submit("learnerId"),
		"GetLearnerHistory":        evaluate("learnerId"),
		"AnchorCredential":         submit("anchor"),
		"AnchorBatch":              submit("batch"),
		"ChangeCredentialStatus":   submit("change"),
		"GetCredential":            evaluate("credentialId"),
		"GetCredentialByDigest":    evaluate("digest"),
		"GetCredentialStatus":      evaluate("credentialId", "batchRoot"),
		"GetBatch":                 evaluate("root"),
		"ListCredentialsByLearner": evaluate("learnerId", "pageSize", "bookmark"),
		"ListCredentialsByIssuer":  evaluate("issuerId", "pageSize", "bookmark"),
		"GetCredentialHistory":     evaluate("credentialId"),

		"RecordLearningOutcome":       submit("record"),
		"RevokeLearningRecord":        submit("recordId", "reason"),
		"GetLearningRecord":           evaluate("recordId"),
		"GetLearningRecordByDigest":   evaluate("digest"),
		"GetLearningRecordDetail":     evaluate("recordId"),
		"ListLearningRecordsByIssuer": evaluate("issuerId", "pageSize", "bookmark"),
		"GetLearnerArchive":           evaluate("learnerId", "pageSize", "bookmark"),
		"PublishCreditRule":           submit("rule"),
		"GetCreditRule":               evaluate("ruleId", "version"),
		"GetCreditRuleAt":             evaluate("ruleId", "at"),
		"ListCreditRules":             evaluate("pageSize", "bookmark"),
		"PublishRecognitionRule":      submit("rule"),
		"GetRecognitionRule":          evaluate("ruleId", "version"),
		"GetRecognitionRuleAt":        evaluate("ruleId", "at"),
		"ListRecognitionRules":        evaluate("pageSize", "bookmark"),
		"OpenCreditAccount":           submit("learnerId"),
		"GetCreditAccount":            evaluate("learnerId"),
		"DepositCredits":              submit("deposit"),
		"RecognizeCredits":            submit("recognition"),
		"RedeemCredits":               submit("redemption"),
		"GetCreditEntry":              evaluate("learnerId", "entryId"),
		"GetCreditEntryHistory":       evaluate("learnerId", "entryId"),
		"ListCreditEntries":           evaluate("learnerId", "pageSize", "bookmark"),
		"GetRedemption":               evaluate("learnerId", "redemptionId"),
		"ListRedemptions":             evaluate("learnerId", "pageSize", "bookmark"),
		"GetCreditStatement":          evaluate("learnerId", "holderId"),
	}
}

// New returns EduLedger's chaincode, ready to be started as a chaincode service or run by the
// embedded ledger. It replaces contractapi's default serializer, which validates every argument
// and result against a JSON schema at a cost the throughput target cannot afford, with a strict
// JSON one (see serializer.go), and refuses calls with an unknown transaction name or the wrong
// number of arguments before any argument is decoded.
func New(opts ...Option) (*contractapi.ContractChaincode, error) {
	c := &Contract{signatures: signatures()}
	for _, o := range opts {
		o(c)
	}
	c.Name = Name
	c.Info = metadata.InfoMetadata{
		Title:       "EduLedger",
		Description: "Organisations, accreditations, issuer keys, learner identities, credential anchors, the lifelong learning archive and the credit bank for trustworthy learning records.",
		Version:     Version,
	}
	c.BeforeTransaction = c.checkCall
	names, err := c.argumentNames()
	if err != nil {
		return nil, err
	}
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, fmt.Errorf("chaincode: %w", err)
	}
	cc.TransactionSerializer = &serializer{names: names}
	cc.Info = c.Info
	return cc, nil
}

// GetEvaluateTransactions lists the read-only transactions, which contractapi marks as EVALUATE in
// the chaincode's metadata. Clients must evaluate them: some use paginated queries, which Fabric
// refuses in a submitted transaction.
func (c *Contract) GetEvaluateTransactions() []string {
	var names []string
	for name, sig := range c.signatures {
		if sig.evaluate {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// checkCall runs before every transaction of the contract: it refuses unknown transaction names
// and wrong argument counts with INVALID, which contractapi would report as an unstructured error
// or, for extra arguments, not at all.
func (c *Contract) checkCall(ctx contractapi.TransactionContextInterface) error {
	fn, params := ctx.GetStub().GetFunctionAndParameters()
	if i := strings.LastIndexByte(fn, ':'); i >= 0 {
		fn = fn[i+1:]
	}
	sig, ok := c.signatures[upperFirst(fn)]
	if !ok {
		return eduledger.Errorf(eduledger.EINVALID, "there is no transaction named %.80q", fn)
	}
	if len(params) != len(sig.params) {
		list := "no arguments"
		if len(sig.params) > 0 {
			list = "arguments " + strings.Join(sig.params, ", ")
		}
		return eduledger.Errorf(eduledger.EINVALID, "%s takes %s; got %d argument(s)", upperFirst(fn), list, len(params))
	}
	return nil
}

// argumentNames checks the signature table against the contract's methods and returns the name
// the serializer uses for each argument type in its error messages.
func (c *Contract) argumentNames() (map[reflect.Type]string, error) {
	names := make(map[reflect.Type]string)
	ctxType := reflect.TypeFor[contractapi.TransactionContextInterface]()
	t := reflect.TypeOf(c)
	seen := 0
	for i := range t.NumMethod() {
		m := t.Method(i)
		sig, ok := c.signatures[m.Name]
		if !ok {
			continue
		}
		seen++
		// receiver, ctx, params…
		if m.Type.NumIn() != 2+len(sig.params) || m.Type.In(1) != ctxType {
			return nil, fmt.Errorf("chaincode: %s: signature table lists %d arguments, method takes %d", m.Name, len(sig.params), m.Type.NumIn()-2)
		}
		for j, name := range sig.params {
			pt := m.Type.In(2 + j)
			if pt.Kind() == reflect.String {
				continue // a string argument cannot fail to decode
			}
			if prev, dup := names[pt]; dup && prev != name {
				return nil, fmt.Errorf("chaincode: %s: argument type %s is named both %q and %q", m.Name, pt, prev, name)
			}
			names[pt] = name
		}
	}
	if seen != len(c.signatures) {
		return nil, fmt.Errorf("chaincode: the signature table lists %d transactions, the contract has %d of them", len(c.signatures), seen)
	}
	return names, nil
}

func upperFirst(s string) string {
	if s == "" || (s[0] >= 'A' && s[0] <= 'Z') {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// caller is the submitter of a transaction, identified as a staff member of an active organisation
// registered on the ledger and hosted by the submitter's MSP.
type caller struct {
	mspID string
	org   orgRef
	role  eduledger.StaffRole
}

// orgRef is the part of an organisation's record that authorisation needs. Decoding only these
// fields (encoding/json skips the rest without allocating) keeps the check that every transaction
// makes cheap.
type orgRef struct {
	ID     string              `json:"id"`
	MSPID  string              `json:"mspId"`
	Kind   eduledger.OrgKind   `json:"kind"`
	Status eduledger.OrgStatus `json:"status"`
}

// staff identifies the caller from the MSP ID and the eduledger.org and eduledger.role attributes
// of its certificate, and checks them against the registered organisation: it must exist, be
// hosted by the caller's MSP (so that one MSP's CA cannot speak for another MSP's organisations)
// and be ACTIVE. Every refusal is FORBIDDEN.
func staff(ctx contractapi.TransactionContextInterface) (*caller, error) {
	id := ctx.GetClientIdentity()
	if id == nil || isNil(id) {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "the caller's identity cannot be read")
	}
	mspID, err := id.GetMSPID()
	if err != nil || mspID == "" {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "the caller's MSP cannot be read")
	}
	orgID, found, err := id.GetAttributeValue(eduledger.AttrOrg)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "the attributes of your certificate cannot be read")
	}
	if !found || orgID == "" {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "your certificate names no organisation (attribute %s); ask your CA administrator to re-enrol you with it", eduledger.AttrOrg)
	}
	role, found, err := id.GetAttributeValue(eduledger.AttrRole)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "the attributes of your certificate cannot be read")
	}
	if !found || role == "" {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "your certificate carries no staff role (attribute %s); ask your CA administrator to re-enrol you with one", eduledger.AttrRole)
	}
	if !eduledger.StaffRole(role).Valid() {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "your certificate's staff role %.40q is none of admin, registrar, issuer", role)
	}
	if !eduledger.ValidOrgID(orgID) {
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "your certificate names organisation %.70q, which is not a valid organisation ID", orgID)
	}
	c := &caller{mspID: mspID, role: eduledger.StaffRole(role)}
	k, err := key(typeOrg, orgID)
	if err != nil {
		return nil, err
	}
	ok, err := getJSON(ctx.GetStub(), k, &c.org)
	if err != nil {
		return nil, err
	}
	switch {
	case !ok:
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "organisation %s named in your certificate is not registered on the ledger", orgID)
	case c.org.MSPID != mspID:
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "organisation %s is hosted by %s, but your certificate comes from %s", orgID, c.org.MSPID, mspID)
	case c.org.Status != eduledger.OrgActive:
		return nil, eduledger.Errorf(eduledger.EFORBIDDEN, "organisation %s is suspended and may not act", orgID)
	}
	return c, nil
}

// allow refuses the action unless the caller holds one of roles.
func (c *caller) allow(action string, roles ...eduledger.StaffRole) error {
	if !slices.Contains(roles, c.role) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "only %s staff may %s; your role is %s", joinRoles(roles), action, c.role)
	}
	return nil
}

// allowKinds refuses the action unless the caller's organisation is of one of kinds.
func (c *caller) allowKinds(action string, kinds ...eduledger.OrgKind) error {
	if !slices.Contains(kinds, c.org.Kind) {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "%s organisations may not %s", c.org.Kind, action)
	}
	return nil
}

// own refuses the action unless it concerns the caller's own organisation.
func (c *caller) own(action, orgID string) error {
	if orgID != c.org.ID {
		return eduledger.Errorf(eduledger.EFORBIDDEN, "staff of %s may not %s for organisation %s", c.org.ID, action, orgID)
	}
	return nil
}

func joinRoles(roles []eduledger.StaffRole) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// isNil reports whether v is nil or an interface holding a nil pointer (contractapi hands the
// contract a nil *cid.ClientID when the creator cannot be parsed).
func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
