package issuance

import (
	"context"
	"fmt"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/issuance/card"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// Identity cards. A learner's education identity card is a credential issued alone (anchored on
// its own, so that it can be checked and revoked by itself) from the learner's public record on the
// ledger: learner ID, roles, holder keys and portrait hash. The service remembers each
// organisation's current card for each learner; re-issuing revokes the previous one as
// SUPERSEDED after the new one is anchored, so a learner is never left without a valid card.

// IssueCard issues the first identity card of a learner from p's organisation, as p. Errors:
// INVALID (the learner has no Ed25519 holder key), NOT_FOUND (no such learner), CONFLICT (the
// learner already holds an active card from p's organisation: re-issue it; or the learner is
// suspended), FORBIDDEN (the chaincode refused p), UNAVAILABLE.
func (e *Engine) IssueCard(ctx context.Context, p Principal, learnerID string, req CardRequest, idemKey string) (*IssuedCredential, error) {
	return idempotent(ctx, e, p, idemKey, "card.issue", struct {
		L string
		R CardRequest
	}{learnerID, req}, func(ctx context.Context, call *idemCall) (*IssuedCredential, error) {
		if call.resuming {
			return e.resumeCard(ctx, p, learnerID, call.rec.Ref)
		}
		if cur, err := e.currentCard(p.OrgID, learnerID); err != nil {
			return nil, err
		} else if cur != nil && cur.Status != eduledger.StatusRevoked {
			return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s already holds card %s from %s; re-issue it instead", learnerID, cur.ID, p.OrgID)
		}
		return e.issueCard(ctx, p, learnerID, req, call)
	})
}

// ReissueCard issues a new identity card (after a change of roles or keys, or a lost card) and
// then revokes the learner's previous card from p's organisation as SUPERSEDED. Errors: as
// IssueCard; when the new card is anchored but the previous one cannot be revoked, the result
// says so in Warning.
func (e *Engine) ReissueCard(ctx context.Context, p Principal, learnerID string, req CardRequest, idemKey string) (*CardReissue, error) {
	return idempotent(ctx, e, p, idemKey, "card.reissue", struct {
		L string
		R CardRequest
	}{learnerID, req}, func(ctx context.Context, call *idemCall) (*CardReissue, error) {
		prev, err := e.currentCard(p.OrgID, learnerID)
		if err != nil {
			return nil, err
		}
		var card *IssuedCredential
		if call.resuming {
			card, err = e.resumeCard(ctx, p, learnerID, call.rec.Ref)
			if prev != nil && prev.ID == card.ID {
				prev = nil // the pointer had already moved; the previous card is unknown here
			}
		} else {
			card, err = e.issueCard(ctx, p, learnerID, req, call)
		}
		if err != nil {
			return nil, err
		}
		out := &CardReissue{Card: card}
		if prev == nil {
			return out, nil
		}
		out.Previous = e.view(prev, nil)
		if prev.Status == eduledger.StatusRevoked {
			return out, nil
		}
		old, err := e.ChangeStatus(ctx, p, prev.ID, StatusRequest{Status: eduledger.StatusRevoked, Reason: eduledger.ReasonSuperseded,
			Note: "superseded by " + card.ID})
		switch {
		case err == nil:
			out.Previous = old
		case eduledger.ErrorCode(err) == eduledger.ECONFLICT:
			// revoked meanwhile
		default:
			out.Warning = fmt.Sprintf("the new card is issued, but the previous card %s could not be revoked: %s; revoke it with POST /v1/credentials/%s/revoke",
				prev.ID, eduledger.ErrorMessage(err), prev.ID)
		}
		return out, nil
	})
}

// RevokeCard revokes the learner's current identity card from p's organisation. Errors: INVALID
// (reason), NOT_FOUND (no card), FORBIDDEN, CONFLICT (already revoked).
func (e *Engine) RevokeCard(ctx context.Context, p Principal, learnerID, reason, note string) (*IssuedCredential, error) {
	cur, err := e.currentCard(p.OrgID, learnerID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s has issued no identity card to learner %s", p.OrgID, learnerID)
	}
	return e.ChangeStatus(ctx, p, cur.ID, StatusRequest{Status: eduledger.StatusRevoked, Reason: reason, Note: note})
}

// GetCard returns the learner's current identity card from p's organisation. Errors: NOT_FOUND.
func (e *Engine) GetCard(ctx context.Context, p Principal, learnerID string) (*IssuedCredential, error) {
	cur, err := e.currentCard(p.OrgID, learnerID)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, eduledger.Errorf(eduledger.ENOTFOUND, "%s has issued no identity card to learner %s", p.OrgID, learnerID)
	}
	return e.GetCredential(ctx, p, cur.ID)
}

// currentCard returns the record of the learner's current card from an organisation, or nil.
func (e *Engine) currentCard(orgID, learnerID string) (*credRecord, error) {
	if !eduledger.ValidLocalID(learnerID) {
		return nil, invalidField("learnerId", "is not a learner ID")
	}
	var id string
	ok, err := e.store.get(keyCard(orgID, learnerID), &id)
	if err != nil || !ok {
		return nil, err
	}
	rec, _, err := e.loadCredential(id)
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func (e *Engine) issueCard(ctx context.Context, p Principal, learnerID string, req CardRequest, call *idemCall) (*IssuedCredential, error) {
	org, err := e.hosted(p.OrgID)
	if err != nil {
		return nil, err
	}
	l, err := e.reader.GetLearner(ctx, learnerID)
	if err != nil {
		return nil, err
	}
	if l.Status != eduledger.LearnerActive {
		return nil, eduledger.Errorf(eduledger.ECONFLICT, "learner %s is suspended", learnerID)
	}
	c := credential.New(eduledger.TypeIdentityCard, learnerID)
	c.Name = typeDefaults[eduledger.TypeIdentityCard].name
	c.ValidUntil = req.ValidUntil
	if c.ValidUntil.IsZero() {
		c.ValidUntil = e.now().Add(e.cfg.CardValidity)
	}
	c.Subject.LearnerID = learnerID
	c.Subject.Roles = l.Roles
	c.Subject.PortraitHash = l.PortraitHash
	for _, k := range l.HolderKeys {
		switch kind, _, _ := multikey.Decode(k); kind {
		case multikey.Ed25519:
			c.Subject.PublicKeyMultibase = k
		case multikey.X25519:
			c.Subject.KeyAgreementMultibase = k
		}
	}
	if c.Subject.PublicKeyMultibase == "" {
		return nil, invalidField("learnerId", fmt.Sprintf("learner %s has no Ed25519 holder key, which the card binds; add one with PUT /v1/learners/%s/holder-keys", learnerID, learnerID))
	}
	if errs := e.check.check(&org.org, eduledger.TypeIdentityCard, c, e.now()); len(errs) > 0 {
		return nil, rowsInvalid(FormatJSON, errs, "the card is not valid")
	}
	issued, err := e.issueSingle(ctx, p, org, eduledger.TypeIdentityCard, c, call)
	if err != nil {
		return nil, err
	}
	if err := e.store.put(keyCard(p.OrgID, learnerID), issued.ID, true); err != nil {
		return nil, err
	}
	return issued, nil
}

// resumeCard finishes a card whose first attempt was cut off.
func (e *Engine) resumeCard(ctx context.Context, p Principal, learnerID, id string) (*IssuedCredential, error) {
	issued, err := e.resumeSingle(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.store.put(keyCard(p.OrgID, learnerID), issued.ID, true); err != nil {
		return nil, err
	}
	return issued, nil
}

// CardImage draws the learner's current identity card from p's organisation as a PNG: the name
// and date of birth from p's organisation's private data (so only the registering organisation can
// print it), the portrait this service holds, the card's fields and a QR code with its
// verification link. Errors: NOT_FOUND (no card), FORBIDDEN (p's organisation did not register the
// learner), UNAVAILABLE (no font with Chinese glyphs is configured).
func (e *Engine) CardImage(ctx context.Context, p Principal, learnerID string) ([]byte, error) {
	if e.cards == nil {
		return nil, eduledger.Errorf(eduledger.EUNAVAILABLE, "card images need a font with Chinese glyphs; configure one (e.g. install Debian's fonts-wqy-microhei or fonts-noto-cjk and set the card font path)")
	}
	v, err := e.GetCard(ctx, p, learnerID)
	if err != nil {
		return nil, err
	}
	cl, org, err := e.client(ctx, p)
	if err != nil {
		return nil, err
	}
	pd, err := cl.GetPersonalData(ctx, learnerID)
	if err != nil {
		return nil, err
	}
	rec, _, err := e.loadCredential(v.ID)
	if err != nil {
		return nil, err
	}
	c, err := credential.Parse(rec.JSON)
	if err != nil {
		return nil, err
	}
	photo, err := e.portrait(c.Subject.PortraitHash)
	if err != nil {
		return nil, err
	}
	status := v.Status
	if status == eduledger.StatusActive && !c.ValidUntil.IsZero() && e.now().After(c.ValidUntil) {
		status = eduledger.StatusExpired
	}
	return e.cards.PNG(&card.Face{OrgZh: org.org.Name.Zh, OrgEn: org.org.Name.En, Name: pd.Name, LearnerID: learnerID,
		Roles: c.Subject.Roles, DateOfBirth: pd.DateOfBirth, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
		CredentialID: v.ID, IssuerDID: eduledger.OrgDID(org.org.ID), PortraitHash: c.Subject.PortraitHash, Portrait: photo,
		Link: v.VerificationLink, Status: status})
}

// QRCode returns a PNG QR code of the verification link of a credential p's organisation issued,
// scale pixels per module. Errors: NOT_FOUND, INVALID (scale).
func (e *Engine) QRCode(ctx context.Context, p Principal, credentialID string, scale int) ([]byte, error) {
	rec, b, err := e.issuedCredential(p, credentialID)
	if err != nil {
		return nil, err
	}
	return card.QRPNG(e.view(rec, b).VerificationLink, scale)
}
