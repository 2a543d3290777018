package verifier

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/idcard"
)

// IssuerSummary is an organisation as anyone may see it: what the ledger records publicly.
type IssuerSummary struct {
	ID           string              `json:"id"`
	DID          string              `json:"did"`
	Name         eduledger.Name      `json:"name"`
	Kind         eduledger.OrgKind   `json:"kind"`
	KindName     Text                `json:"kindName"`
	RegionCode   string              `json:"regionCode"`
	Status       eduledger.OrgStatus `json:"status"`
	StatusReason string              `json:"statusReason,omitempty"`
	AdmittedAt   time.Time           `json:"admittedAt,omitzero"`
	UpdatedAt    time.Time           `json:"updatedAt,omitzero"`
}

func summaryOf(o *eduledger.Organization) IssuerSummary {
	return IssuerSummary{ID: o.ID, DID: eduledger.OrgDID(o.ID), Name: o.Name, Kind: o.Kind, KindName: kindNames[o.Kind],
		RegionCode: o.RegionCode, Status: o.Status, StatusReason: o.StatusReason, AdmittedAt: o.AdmittedAt, UpdatedAt: o.UpdatedAt}
}

// IssuerDetails is an organisation with its accreditations and published keys, current and past.
type IssuerDetails struct {
	IssuerSummary
	Accreditations []Accreditation `json:"accreditations"`
	Keys           []PublicKey     `json:"keys"`
}

// Accreditation is an accreditation as the public sees it.
type Accreditation struct {
	ID              string                   `json:"id"`
	CredentialType  eduledger.CredentialType `json:"credentialType"`
	TypeName        Text                     `json:"typeName"`
	ValidFrom       time.Time                `json:"validFrom"`
	ValidUntil      time.Time                `json:"validUntil,omitzero"`
	GrantedAt       time.Time                `json:"grantedAt,omitzero"`
	GrantedBy       string                   `json:"grantedBy,omitempty"`
	WithdrawnAt     time.Time                `json:"withdrawnAt,omitzero"`
	WithdrawnReason string                   `json:"withdrawnReason,omitempty"`
	// InForce says whether it covers the time of the answer.
	InForce bool `json:"inForce"`
}

// PublicKey is a published issuer key.
type PublicKey struct {
	ID                 string            `json:"id"`
	VerificationMethod string            `json:"verificationMethod"`
	Type               eduledger.KeyType `json:"type"`
	PublicKeyMultibase string            `json:"publicKeyMultibase"`
	ValidFrom          time.Time         `json:"validFrom,omitzero"`
	ValidUntil         time.Time         `json:"validUntil,omitzero"`
	RegisteredAt       time.Time         `json:"registeredAt,omitzero"`
	RevokedAt          time.Time         `json:"revokedAt,omitzero"`
	RevocationReason   string            `json:"revocationReason,omitempty"`
	SupersededBy       string            `json:"supersededBy,omitempty"`
	// Current says whether a signature made at the time of the answer would count.
	Current bool `json:"current"`
}

// Issuers returns a page of the organisations registered on the ledger, in ID order; pass the
// returned bookmark for the next page. Errors: INVALID (page size outside 1..200, a bookmark from
// elsewhere), UNAVAILABLE.
func (v *Verifier) Issuers(ctx context.Context, pageSize int, bookmark string) (*eduledger.Page[IssuerSummary], error) {
	if pageSize < 1 || pageSize > eduledger.MaxPageSize {
		return nil, eduledger.Errorf(eduledger.EINVALID, "page size must be between 1 and %d", eduledger.MaxPageSize)
	}
	p, err := v.client.ListOrganizations(ctx, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &eduledger.Page[IssuerSummary]{Items: make([]IssuerSummary, 0, len(p.Items)), Bookmark: p.Bookmark}
	for i := range p.Items {
		out.Items = append(out.Items, summaryOf(&p.Items[i]))
	}
	return out, nil
}

// Issuer returns an organisation with its accreditations and keys. Errors: INVALID for a malformed
// ID, NOT_FOUND, UNAVAILABLE.
func (v *Verifier) Issuer(ctx context.Context, orgID string) (*IssuerDetails, error) {
	if !eduledger.ValidOrgID(orgID) {
		return nil, eduledger.Errorf(eduledger.EINVALID, "%q is not an organisation ID (3-64 lower-case letters, digits or hyphens)", orgID)
	}
	d, err := v.view.issuers.get(ctx, orgID, func(ctx context.Context) (*IssuerDetails, error) {
		o, err := v.client.GetOrganization(ctx, orgID)
		if err != nil {
			return nil, err
		}
		accs, err := v.view.accreditations(ctx, orgID)
		if err != nil {
			return nil, err
		}
		d := &IssuerDetails{IssuerSummary: summaryOf(o), Accreditations: []Accreditation{}, Keys: []PublicKey{}}
		for _, a := range accs {
			d.Accreditations = append(d.Accreditations, Accreditation{ID: a.ID, CredentialType: a.CredentialType, TypeName: TypeName(a.CredentialType),
				ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, GrantedAt: a.GrantedAt, GrantedBy: a.GrantedBy,
				WithdrawnAt: a.WithdrawnAt, WithdrawnReason: a.WithdrawnReason})
		}
		bookmark := ""
		for {
			p, err := v.client.ListIssuerKeys(ctx, orgID, eduledger.MaxPageSize, bookmark)
			if err != nil {
				return nil, err
			}
			for _, k := range p.Items {
				d.Keys = append(d.Keys, PublicKey{ID: k.ID, VerificationMethod: eduledger.KeyDID(orgID, k.ID), Type: k.Type,
					PublicKeyMultibase: k.PublicKeyMultibase, ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil,
					RegisteredAt: k.RegisteredAt, RevokedAt: k.RevokedAt, RevocationReason: k.RevocationReason, SupersededBy: k.SupersededBy})
			}
			if p.Bookmark == "" || len(p.Items) == 0 {
				break
			}
			bookmark = p.Bookmark
		}
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	// The cached value is shared: the time-dependent flags go on a copy.
	now := v.o.now()
	out := *d
	out.Accreditations = append([]Accreditation(nil), d.Accreditations...)
	for i := range out.Accreditations {
		a := &out.Accreditations[i]
		acc := eduledger.Accreditation{ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, WithdrawnAt: a.WithdrawnAt}
		a.InForce = acc.CoversAt(now)
	}
	out.Keys = append([]PublicKey(nil), d.Keys...)
	for i := range out.Keys {
		k := &out.Keys[i]
		ik := eduledger.IssuerKey{ValidFrom: k.ValidFrom, ValidUntil: k.ValidUntil, RevokedAt: k.RevokedAt}
		k.Current = ik.ValidAt(now)
	}
	return &out, nil
}

// StatusReport is the ledger's answer about one credential, without the credential itself.
type StatusReport struct {
	Verdict   Verdict       `json:"verdict"`
	CheckedAt time.Time     `json:"checkedAt"`
	TypeName  Text          `json:"typeName"`
	Record    *LedgerRecord `json:"credential"`
	Issuer    *IssuerInfo   `json:"issuer,omitempty"`
	// Checks are the status and validity checks (and, for a link, anchoring, accreditation and
	// the card token).
	Checks []Check `json:"checks"`
}

// Status returns a credential's ledger record and status; batchRoot names the batch of a
// credential issued in one ("" for one anchored alone). Errors: INVALID for a malformed ID or root,
// NOT_FOUND when the ledger holds neither the credential nor the batch, CONFLICT when the record
// names another batch, UNAVAILABLE.
func (v *Verifier) Status(ctx context.Context, credentialID, batchRoot string) (*StatusReport, error) {
	rec, err := v.record(ctx, credentialID, batchRoot)
	if err != nil {
		return nil, err
	}
	now := v.o.now()
	r := &StatusReport{CheckedAt: now, TypeName: TypeName(rec.Type), Record: recordOf(rec), Issuer: v.issuerInfo(ctx, rec.IssuerID)}
	r.Checks = []Check{statusCheck(anchorOutcome{rec: rec}), ledgerValidity(rec, now)}
	r.Verdict = verdictOf(r.Checks)
	return r, nil
}

func (v *Verifier) record(ctx context.Context, credentialID, batchRoot string) (*eduledger.CredentialAnchor, error) {
	switch {
	case !eduledger.ValidCredentialID(credentialID):
		return nil, eduledger.Errorf(eduledger.EINVALID, "%.80q is not a credential ID", credentialID)
	case batchRoot != "" && !eduledger.ValidDigest(batchRoot):
		return nil, eduledger.Errorf(eduledger.EINVALID, "the batch root must be a lower-case hex SHA-256")
	case batchRoot == "":
		return v.view.ownRecord(ctx, credentialID)
	}
	b, err := v.view.batch(ctx, batchRoot)
	if err != nil {
		return nil, err
	}
	rec, own, err := v.view.memberRecord(ctx, b, credentialID)
	if err != nil {
		return nil, err
	}
	if own && rec.BatchRoot != batchRoot {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "credential %s is not recorded as a member of batch %s", credentialID, batchRoot)
	}
	return rec, nil
}

func (v *Verifier) issuerInfo(ctx context.Context, orgID string) *IssuerInfo {
	info := &IssuerInfo{ID: orgID, DID: eduledger.OrgDID(orgID)}
	info.fill(v.view.organization(ctx, orgID))
	return info
}

func ledgerValidity(rec *eduledger.CredentialAnchor, now time.Time) Check {
	switch {
	case now.Before(rec.IssuedAt.Add(-DefaultAnchorTolerance)):
		return Check{Name: CheckValidity, Status: credential.Failed, Reason: tf("not valid before %s", "自 %s 起才生效", instant(rec.IssuedAt))}
	case !rec.ValidUntil.IsZero() && !now.Before(rec.ValidUntil):
		return Check{Name: CheckValidity, Status: credential.Failed, Reason: tf("expired: the ledger records it valid until %s", "已过期：账本记录的有效期至 %s", instant(rec.ValidUntil))}
	case rec.ValidUntil.IsZero():
		return Check{Name: CheckValidity, Status: credential.Passed, Reason: tf("issued %s, with no expiry", "签发于 %s，长期有效", day(rec.IssuedAt))}
	}
	return Check{Name: CheckValidity, Status: credential.Passed, Reason: tf("issued %s, valid until %s", "签发于 %s，有效期至 %s", day(rec.IssuedAt), day(rec.ValidUntil))}
}

// CheckCardToken: an identity card token (sdk/idcard) is signed by a key the ledger lists for the
// card's issuer, never revoked as compromised, and names the digest the ledger holds for the card.
const CheckCardToken CheckName = "cardToken"

// LinkReport is the answer for a verification link or QR code: the ledger's record of the
// credential it names and whether it matches. It does not check the credential's contents — only
// the credential file can be checked for that.
type LinkReport struct {
	StatusReport
	Verified bool        `json:"verified"`
	Target   *LinkTarget `json:"target"`
	// Card is what an identity card token in the link says (it is signed by the issuer; see the
	// cardToken check).
	Card *CardInfo `json:"card,omitempty"`
}

// CardInfo is the content of an identity card token.
type CardInfo struct {
	CredentialID string                  `json:"credentialId"`
	IssuerID     string                  `json:"issuerId"`
	KeyID        string                  `json:"keyId"`
	LearnerID    string                  `json:"learnerId"`
	Roles        []eduledger.LearnerRole `json:"roles"`
	HolderKey    string                  `json:"holderKey"`
	PortraitHash string                  `json:"portraitHash,omitempty"`
	ValidFrom    time.Time               `json:"validFrom"`
	ValidUntil   time.Time               `json:"validUntil"`
	Issued       time.Time               `json:"issued"`
	Digest       string                  `json:"digest"`
}

// Lookup answers for what a verification link or QR code carries: a link as Link writes it (or
// its query), or an identity card token ("EDU1:…", or a link with the token in "card"). It looks
// the credential up on the ledger and checks that the record holds the link's digest, its issuer
// was accredited when it was anchored, its status and validity, and the card token's signature.
// Errors: INVALID when q names no credential; NOT_FOUND, CONFLICT and UNAVAILABLE as Status.
func (v *Verifier) Lookup(ctx context.Context, q string) (*LinkReport, error) {
	q = strings.TrimSpace(q)
	var target *LinkTarget
	var token *idcard.Token
	var err error
	switch {
	case len(q) > 8192:
		return nil, eduledger.Errorf(eduledger.EINVALID, "the link is too long")
	case strings.HasPrefix(q, idcard.Prefix):
		if token, err = idcard.Parse(q); err != nil {
			return nil, err
		}
		target = &LinkTarget{CredentialID: token.CredentialID, Digest: token.Digest}
	default:
		if target, err = ParseLink(q); err != nil {
			return nil, err
		}
		link := q
		if !strings.Contains(link, "?") {
			link = "?" + link
		}
		if u, perr := url.Parse(link); perr == nil && u.Query().Get(idcard.LinkParam) != "" {
			if token, err = idcard.ParseLink(link); err != nil {
				return nil, err
			}
		}
	}

	rec, err := v.record(ctx, target.CredentialID, target.BatchRoot)
	if err != nil {
		return nil, err
	}
	now := v.o.now()
	r := &LinkReport{Target: target, StatusReport: StatusReport{CheckedAt: now, TypeName: TypeName(rec.Type), Record: recordOf(rec),
		Issuer: v.issuerInfo(ctx, rec.IssuerID)}}
	r.Checks = append(r.Checks, linkAnchorCheck(target, rec),
		v.accreditationCheck(ctx, rec.IssuerID, rec.Type, issuance{time: rec.AnchoredAt, witnessed: true}),
		statusCheck(anchorOutcome{rec: rec}), ledgerValidity(rec, now))
	if token != nil {
		r.Card = &CardInfo{CredentialID: token.CredentialID, IssuerID: token.IssuerID, KeyID: token.KeyID, LearnerID: token.LearnerID,
			Roles: token.Roles, HolderKey: token.HolderKey, PortraitHash: token.PortraitHash, ValidFrom: token.ValidFrom,
			ValidUntil: token.ValidUntil, Issued: token.Issued, Digest: token.Digest}
		r.Checks = append(r.Checks, v.cardTokenCheck(ctx, token, rec, now))
	}
	r.Verdict = verdictOf(r.Checks)
	r.Verified = r.Verdict == Verified
	v.m.verifications.WithLabelValues("link", string(r.Verdict)).Inc()
	return r, nil
}

func linkAnchorCheck(t *LinkTarget, rec *eduledger.CredentialAnchor) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckAnchor, Status: s, Reason: r} }
	switch {
	case t.Digest == "":
		return check(credential.Passed, tf("the ledger holds a record of %s (the link names no digest to compare)", "账本上有 %s 的记录（链接未提供可比对的摘要）", rec.ID))
	case rec.Digest == "":
		return check(credential.Passed, tf("the ledger holds %s as a member of batch %s…; the link's digest is its Merkle leaf, which only the credential file can prove to be in the batch",
			"账本记录 %s 属于批次 %s…；链接中的摘要为其默克尔叶，只有凭证文件才能证明其属于该批次", rec.ID, short(rec.BatchRoot)))
	case rec.Digest != t.Digest:
		return check(credential.Failed, tf("the link names digest %s…, but the ledger holds %s… for %s: the paper does not match the ledger's record",
			"链接中的摘要 %[1]s… 与账本为 %[3]s 记录的 %[2]s… 不符：纸质证书与账本记录不一致", short(t.Digest), short(rec.Digest), rec.ID))
	}
	return check(credential.Passed, tf("the ledger holds %s with the very digest the link names (%s…), anchored %s", "账本记录的 %s 与链接中的摘要（%s…）一致，锚定于 %s",
		rec.ID, short(t.Digest), instant(rec.AnchoredAt)))
}

func (v *Verifier) cardTokenCheck(ctx context.Context, token *idcard.Token, rec *eduledger.CredentialAnchor, now time.Time) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckCardToken, Status: s, Reason: r} }
	if err := token.Verify(ctx, v.keys, now); err != nil {
		if eduledger.ErrorCode(err) == eduledger.EUNAVAILABLE {
			return check(credential.Unknown, unreachable(err))
		}
		return check(credential.Failed, Text{En: "the card token does not verify: " + eduledger.ErrorMessage(err), Zh: "身份证令牌验证未通过：" + eduledger.ErrorMessage(err)})
	}
	k, err := v.view.key(ctx, token.IssuerID, token.KeyID)
	switch {
	case err != nil:
		return check(credential.Unknown, unreachable(err))
	case !k.RevokedAt.IsZero():
		return check(credential.Failed, tf("the key that signed the card token was revoked as compromised from %s; the token's own date cannot be trusted — ask for the card credential",
			"签署身份证令牌的密钥自 %s 起因泄露被吊销，令牌自身的日期不可信——请出示身份证凭证文件", instant(k.RevokedAt)))
	case token.IssuerID != rec.IssuerID:
		return check(credential.Failed, tf("the card token names issuer %s, but the ledger records %s", "令牌中的签发机构 %s 与账本记录的 %s 不符", token.IssuerID, rec.IssuerID))
	case rec.Digest != "" && token.Digest != rec.Digest:
		return check(credential.Failed, tf("the card token names another digest than the ledger holds for the card", "令牌中的摘要与账本记录不符"))
	}
	return check(credential.Passed, tf("signed by %s's key %s and names the digest the ledger holds", "由 %s 的密钥 %s 签署，摘要与账本记录一致", token.IssuerID, token.KeyID))
}
