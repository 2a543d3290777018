package verifier

import (
	"context"
	"slices"
	"strconv"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// VerifyPresentation checks a holder's presentation given as JSON: that it answers a challenge
// this verifier issued (NewChallenge), unused and unexpired, for its domain; that it is signed by
// the key on the holder's identity card, which must itself verify and whose key the ledger lists
// for an active learner; and every credential in it, each with every check. It never fails; the
// Result holds one Result per credential, the identity card first.
func (v *Verifier) VerifyPresentation(ctx context.Context, data []byte) *Result {
	now := v.o.now()
	res := &Result{Kind: KindPresentation, CheckedAt: now}
	nonce := presentedChallenge(data)
	fresh := v.chal.consume(nonce)

	hr := v.pres.Verify(ctx, data, nonce, v.o.domain)
	pc := holderCheck(hr, holder.CheckPresentation, CheckPresentation,
		tf("a verifiable presentation by %s", "由 %s 出示的可验证展示", eduledger.LearnerDID(hr.LearnerID)))
	res.Checks = append(res.Checks, pc)
	if pc.Status != credential.Passed {
		skip := tf("not checked: the presentation is not well-formed", "未检查：展示格式不正确")
		res.Checks = append(res.Checks, Check{Name: CheckHolderBinding, Status: credential.Skipped, Reason: skip},
			Check{Name: CheckCredentials, Status: credential.Skipped, Reason: skip})
		return v.finish(KindPresentation, res)
	}
	res.Holder = hr.LearnerID

	var card *Result
	if hr.Card != nil {
		card = v.finish(KindCredential, v.credentialResult(ctx, hr.Card, now))
		res.Credentials = append(res.Credentials, card)
	}
	others := make([]*Result, 0, len(hr.Credentials))
	for _, rep := range hr.Credentials {
		r := v.finish(KindCredential, v.credentialResult(ctx, rep, now))
		others = append(others, r)
		res.Credentials = append(res.Credentials, r)
	}
	res.Checks = append(res.Checks, v.bindingCheck(ctx, hr, card, fresh, nonce), credentialsCheck(hr.LearnerID, others))
	return v.finish(KindPresentation, res)
}

// presentedChallenge reads the challenge a presentation's proof answers ("" when there is none).
func presentedChallenge(data []byte) string {
	doc, err := jsoncanon.ParseObjectValue(data, documentLimits)
	if err != nil {
		return ""
	}
	p, _ := doc.Get("proof")
	if l := p.Elems(); len(l) == 1 {
		p = &l[0]
	}
	return p.GetStr("challenge")
}

// holderCheck carries one of the holder library's checks over.
func holderCheck(hr *holder.PresentationReport, from credential.CheckName, name CheckName, passed Text) Check {
	for _, c := range hr.Checks {
		if c.Name != from {
			continue
		}
		switch c.Status {
		case credential.Passed:
			return Check{Name: name, Status: c.Status, Reason: passed}
		case credential.Skipped:
			return Check{Name: name, Status: c.Status, Reason: tf("not checked", "未检查")}
		}
		return Check{Name: name, Status: c.Status, Reason: Text{En: c.Reason, Zh: "展示验证未通过：" + c.Reason}}
	}
	return Check{Name: name, Status: credential.Skipped, Reason: tf("not checked", "未检查")}
}

// bindingCheck decides whether the presenter is the holder: a fresh challenge of ours, one identity
// card that verifies (every check, the ledger's included), a proof by the card's key over the
// challenge and domain, and a learner the ledger lists as active with that key.
func (v *Verifier) bindingCheck(ctx context.Context, hr *holder.PresentationReport, card *Result, fresh bool, nonce string) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckHolderBinding, Status: s, Reason: r} }
	switch {
	case v.o.domain == "":
		return check(credential.Failed, tf("this verifier has no domain configured, so it accepts no presentations", "本验证服务未配置域名，不接受展示"))
	case !fresh:
		return check(credential.Failed, tf("the presentation does not answer a challenge of this verifier that is unused and unexpired (challenge %q)",
			"该展示未响应本验证服务签发的、未使用且未过期的挑战码（%q）", nonce))
	}
	if c := holderCheck(hr, holder.CheckIdentityCard, CheckHolderBinding, Text{}); c.Status != credential.Passed {
		c.Reason.Zh = "身份证验证未通过：" + c.Reason.En
		return c
	}
	if card == nil {
		return check(credential.Failed, tf("the presentation holds no identity card", "展示中没有教育信息身份证"))
	}
	if card.Verdict != Verified {
		f := card.Failed()[0]
		s := credential.Failed
		if card.Verdict == Unknown {
			s = credential.Unknown
		}
		return check(s, Text{En: "the identity card does not verify: " + string(f.Name) + ": " + f.Reason.En,
			Zh: "教育信息身份证未通过验证：" + f.Reason.Zh})
	}
	if c := holderCheck(hr, holder.CheckHolderProof, CheckHolderBinding, Text{}); c.Status != credential.Passed {
		c.Reason.Zh = "持有人签名验证未通过：" + c.Reason.En
		return c
	}
	l, err := v.view.learner(ctx, hr.LearnerID)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return check(credential.Failed, tf("learner %s is not registered on the ledger", "学习者 %s 未在账本上登记", hr.LearnerID))
	case err != nil:
		return check(credential.Unknown, unreachable(err))
	case l.Status == eduledger.LearnerSuspended:
		return check(credential.Failed, tf("learner %s's education identity is suspended on the ledger", "学习者 %s 的教育身份已被暂停", hr.LearnerID))
	}
	subj, _ := hr.Card.DocumentValue().Get("credentialSubject")
	cardKey := subj.GetStr("publicKeyMultibase")
	if len(l.HolderKeys) > 0 && !slices.Contains(l.HolderKeys, cardKey) {
		return check(credential.Failed, tf("the key on the identity card is no longer registered for learner %s on the ledger",
			"身份证上的密钥已不再登记为学习者 %s 的密钥", hr.LearnerID))
	}
	return check(credential.Passed, tf("signed over this verifier's challenge by the key on identity card %s, which the ledger lists for active learner %s",
		"已用教育信息身份证 %s 上的密钥对本服务的挑战码签名，账本确认该密钥属于状态正常的学习者 %s", card.Credential.ID, hr.LearnerID))
}

// credentialsCheck requires every credential besides the card to verify and to be about the holder.
func credentialsCheck(learnerID string, others []*Result) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckCredentials, Status: s, Reason: r} }
	status := credential.Passed
	var bad []Text
	for i, r := range others {
		n := strconv.Itoa(i + 1)
		switch {
		case r.Verdict == NotVerified:
			status = credential.Failed
			f := r.Failed()[0]
			bad = append(bad, Text{En: "credential " + n + " does not verify (" + string(f.Name) + ": " + f.Reason.En + ")",
				Zh: "第 " + n + " 份凭证未通过验证（" + f.Reason.Zh + "）"})
		case r.Credential.LearnerID != learnerID:
			status = credential.Failed
			bad = append(bad, tf("credential %s is about another learner", "第 %s 份凭证属于另一名学习者", n))
		case r.Verdict == Unknown:
			if status == credential.Passed {
				status = credential.Unknown
			}
			bad = append(bad, Text{En: "credential " + n + " could not be fully checked", Zh: "第 " + n + " 份凭证无法完成验证"})
		}
	}
	switch {
	case status != credential.Passed:
		return check(status, join(bad))
	case len(others) == 0:
		return check(credential.Passed, tf("the presentation carries only the identity card", "展示中只有教育信息身份证"))
	}
	return check(credential.Passed, tf("all %d credentials verify and are about the holder", "全部 %d 份凭证均通过验证且属于持有人", len(others)))
}
