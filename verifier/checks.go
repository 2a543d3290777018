package verifier

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// credentialResult completes an offline report with the ledger checks.
func (v *Verifier) credentialResult(ctx context.Context, rep *credential.Report, now time.Time) *Result {
	res := &Result{Kind: KindCredential, CheckedAt: now}
	info := &CredentialInfo{ID: rep.ID, Type: rep.Type, LearnerID: rep.LearnerID, ValidFrom: rep.ValidFrom,
		ValidUntil: rep.ValidUntil, Digest: rep.Digest, BatchRoot: rep.BatchRoot, Fields: []Field{}}
	if rep.Type != "" {
		info.TypeName = TypeName(rep.Type)
	}
	doc := rep.DocumentValue()
	if doc != nil {
		name, _ := doc.Get("name")
		info.Name = docText(name)
		info.Fields = disclosedFields(doc)
	}
	res.Credential = info

	format := offlineCheck(rep, credential.CheckFormat, CheckFormat,
		tf("a JSON credential of a known EduLedger type (%s)", "格式正确，为 EduLedger 认可的凭证类型（%s）", info.TypeName.En))
	if format.Status == credential.Passed {
		format.Reason.Zh = "格式正确，为 EduLedger 认可的凭证类型（" + info.TypeName.Zh + "）"
	}
	res.Checks = append(res.Checks,
		format,
		offlineCheck(rep, credential.CheckSchema, CheckSchema, tf("matches the published schema of its type", "符合该类凭证公布的数据规范")),
		proofsCheck(rep))

	if format.Status != credential.Passed {
		why := tf("not checked: the credential is not well-formed", "未检查：凭证格式不正确")
		for _, n := range []CheckName{CheckIssuerKey, CheckAccreditation, CheckAnchor, CheckStatus} {
			res.Checks = append(res.Checks, Check{Name: n, Status: credential.Skipped, Reason: why})
		}
		res.Checks = append(res.Checks, v.validityCheck(rep, nil, now))
		return res
	}

	if rep.IssuerID != "" {
		info.Issuer = &IssuerInfo{ID: rep.IssuerID, DID: eduledger.OrgDID(rep.IssuerID)}
		iss, _ := doc.Get("issuer")
		name, _ := iss.Get("name")
		info.Issuer.ClaimedName = docText(name)
		info.Issuer.fill(v.view.organization(ctx, rep.IssuerID))
	}

	anchor := v.anchorCheck(ctx, rep)
	if anchor.rec != nil {
		info.Ledger = recordOf(anchor.rec)
	}
	at := issuance{time: anchor.witnessed, witnessed: !anchor.witnessed.IsZero()}
	if !at.witnessed {
		// Credentials state times to the second: a claim of 10:00:00 covers the whole second, and
		// the issuer's state is taken at its end (a suspension at 10:00:00.4 applies).
		if at.time = claimedIssuance(rep); !at.time.IsZero() && at.time.Equal(at.time.Truncate(time.Second)) {
			at.time = at.time.Add(time.Second - time.Nanosecond)
		}
	}
	res.Checks = append(res.Checks,
		v.issuerKeyCheck(ctx, rep, at),
		v.accreditationCheck(ctx, rep.IssuerID, rep.Type, at),
		anchor.check,
		statusCheck(anchor),
		v.validityCheck(rep, anchor.rec, now))
	return res
}

// issuance is the time a credential counts as issued: when the ledger anchored it (witnessed), or
// — for a credential the ledger does not hold — what it claims.
type issuance struct {
	time      time.Time
	witnessed bool
}

func (at issuance) text() Text {
	if at.witnessed {
		return tf("when the ledger anchored it (%s)", "账本锚定时（%s）", instant(at.time))
	}
	return tf("at the issuance time it claims (%s), as the ledger has not anchored this document", "其声称的签发时间（%s，账本未锚定此文件）", instant(at.time))
}

// claimedIssuance is the creation time of the credential's Ed25519 proof, or its validFrom.
func claimedIssuance(rep *credential.Report) time.Time {
	for _, c := range rep.Checks {
		if c.Name == credential.CheckProof && c.Proof != nil && c.Proof.Cryptosuite == dataintegrity.EdDSAJCS2022 && !c.Proof.Created.IsZero() {
			return c.Proof.Created
		}
	}
	if !rep.ValidFrom.IsZero() {
		return rep.ValidFrom
	}
	return time.Time{}
}

// offlineCheck carries one of the credential library's checks over, with a bilingual reason.
func offlineCheck(rep *credential.Report, from credential.CheckName, name CheckName, passed Text) Check {
	c, ok := rep.Check(from)
	switch {
	case !ok:
		return Check{Name: name, Status: credential.Skipped, Reason: tf("not checked", "未检查")}
	case c.Status == credential.Passed:
		return Check{Name: name, Status: c.Status, Reason: passed}
	case c.Status == credential.Skipped:
		return Check{Name: name, Status: c.Status, Reason: tf("not checked: an earlier check failed", "未检查：前序检查未通过")}
	}
	return Check{Name: name, Status: c.Status, Reason: Text{En: c.Reason, Zh: offlineZh[name] + zhDetail(c.Reason)}}
}

var offlineZh = map[CheckName]string{
	CheckFormat:   "格式不正确：",
	CheckSchema:   "不符合数据规范：",
	CheckProofs:   "签名验证未通过：",
	CheckValidity: "不在有效期内：",
}

// proofsCheck folds the proof-set check and every proof's signature into one.
func proofsCheck(rep *credential.Report) Check {
	var failed, unknown []Text
	var suites []string
	for _, c := range rep.Checks {
		switch c.Name {
		case credential.CheckProofSet, credential.CheckProof:
		default:
			continue
		}
		what := Text{En: "the proof set", Zh: "签名集"}
		if c.Proof != nil {
			n := strconv.Itoa(c.Proof.Index)
			what = Text{En: "proof " + n + " (" + c.Proof.Cryptosuite + ")", Zh: "签名 " + n + "（" + c.Proof.Cryptosuite + "）"}
		}
		switch c.Status {
		case credential.Passed:
			if c.Proof != nil {
				suites = append(suites, c.Proof.Cryptosuite)
			}
		case credential.Unknown:
			unknown = append(unknown, Text{En: what.En + ": could not fetch the signing key from the ledger", Zh: what.Zh + "：无法从账本获取签名密钥"})
		case credential.Skipped:
			failed = append(failed, Text{En: what.En + ": not checked", Zh: what.Zh + "：未检查"})
		default:
			failed = append(failed, Text{En: what.En + ": " + c.Reason, Zh: what.Zh + "：" + zhDetail(c.Reason)})
		}
	}
	switch {
	case len(failed) > 0:
		r := join(failed)
		r.Zh = "签名验证未通过，凭证可能被篡改：" + r.Zh
		return Check{Name: CheckProofs, Status: credential.Failed, Reason: r}
	case len(unknown) > 0:
		return Check{Name: CheckProofs, Status: credential.Unknown, Reason: join(unknown)}
	case len(suites) == 0:
		return Check{Name: CheckProofs, Status: credential.Failed, Reason: tf("the credential carries no proof", "凭证没有任何签名")}
	}
	return Check{Name: CheckProofs, Status: credential.Passed,
		Reason: tf("every signature verifies (%s)", "所有签名均验证通过（%s）", strings.Join(suites, ", "))}
}

// zhPhrases translate the credential library's most common findings; anything else stays in
// English inside the Chinese sentence.
var zhPhrases = []struct{ en, zh string }{
	{"batch signature does not verify", "批次签名与内容不符"},
	{"signature does not verify", "签名与内容不符"},
	{"credential is not in the batch", "凭证不在该批次中"},
	{"is not a key of the issuer", "不是签发者的密钥"},
	{"the proof set must hold", "签名集必须包含"},
}

func zhDetail(en string) string {
	for _, p := range zhPhrases {
		if strings.Contains(en, p.en) {
			return strings.Replace(en, p.en, p.zh, 1)
		}
	}
	return en
}

// unreachable is the reason of a check that could not be made.
func unreachable(err error) Text {
	return Text{En: "could not reach the ledger: " + eduledger.ErrorMessage(err), Zh: "无法连接账本：" + eduledger.ErrorMessage(err)}
}

// anchorOutcome is the anchoring check and what it found.
type anchorOutcome struct {
	check Check
	// rec is the ledger's record of this very credential (nil when none, or when the record the
	// ID names is of another document).
	rec       *eduledger.CredentialAnchor
	witnessed time.Time
}

func (v *Verifier) anchorCheck(ctx context.Context, rep *credential.Report) anchorOutcome {
	fail := func(r Text) anchorOutcome {
		return anchorOutcome{check: Check{Name: CheckAnchor, Status: credential.Failed, Reason: r}}
	}
	unknown := func(err error) anchorOutcome {
		return anchorOutcome{check: Check{Name: CheckAnchor, Status: credential.Unknown, Reason: unreachable(err)}}
	}
	if !eduledger.ValidCredentialID(rep.ID) {
		return fail(tf("the credential has no valid ID to look up", "凭证没有可查询的有效编号"))
	}
	if !eduledger.ValidDigest(rep.Digest) {
		return fail(tf("the credential's digest cannot be computed", "无法计算凭证摘要"))
	}
	if rep.BatchRoot == "" {
		rec, err := v.view.ownRecord(ctx, rep.ID)
		switch {
		case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
			return fail(tf("not anchored: the ledger has no record of %s", "未上链：账本上没有 %s 的记录", rep.ID))
		case err != nil:
			return unknown(err)
		case rec.BatchRoot != "":
			return fail(tf("the ledger records %s as a member of batch %s, but the credential carries no batch proof",
				"账本记录 %s 属于批次 %s，但凭证没有批次证明", rep.ID, short(rec.BatchRoot)))
		case rec.Digest != rep.Digest:
			return fail(tf("the ledger anchors another digest (%s…) for %s than this document's (%s…): this is not the credential that was issued, or it was altered",
				"账本为 %[2]s 锚定的摘要（%[1]s…）与本文件（%[3]s…）不符：这不是签发的那份凭证，或已被篡改", short(rec.Digest), rep.ID, short(rep.Digest)))
		}
		if r, bad := mismatch(rec, rep); bad {
			return fail(r)
		}
		return anchorOutcome{rec: rec, witnessed: rec.AnchoredAt, check: Check{Name: CheckAnchor, Status: credential.Passed,
			Reason: tf("its digest %s… is anchored on the ledger since %s (transaction %s…)", "摘要 %s… 已于 %s 锚定在账本上（交易 %s…）",
				short(rep.Digest), instant(rec.AnchoredAt), short(rec.TxID))}}
	}

	if c, ok := rep.Check(credential.CheckMerkle); !ok || c.Status != credential.Passed {
		reason := "the batch proof is missing"
		if ok {
			reason = c.Reason
		}
		return fail(Text{En: "not in the batch it names: " + reason, Zh: "不属于其声称的批次：" + zhDetail(reason)})
	}
	b, err := v.view.batch(ctx, rep.BatchRoot)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return fail(tf("not anchored: the batch root %s… it is included under is not on the ledger", "未上链：其所属批次根 %s… 不在账本上", short(rep.BatchRoot)))
	case err != nil:
		return unknown(err)
	case b.anchor.IssuerID != rep.IssuerID || b.anchor.Type != rep.Type:
		return fail(tf("the batch %s… on the ledger holds %s credentials of %s, not %s credentials of %s",
			"账本上的批次 %s… 属于 %s 的 %s，而非 %s 的 %s", short(rep.BatchRoot), b.anchor.Type, b.anchor.IssuerID, rep.Type, rep.IssuerID))
	}
	if size, ok := batchSize(rep.DocumentValue()); !ok || size != b.anchor.Count {
		return fail(tf("the batch proof gives a batch size that differs from the %d credentials anchored", "批次证明中的批次大小与账本记录的 %d 份不符", b.anchor.Count))
	}
	rec, own, err := v.view.memberRecord(ctx, b, rep.ID)
	switch {
	case err != nil:
		return unknown(err)
	case own && rec.BatchRoot == "":
		return fail(tf("the ledger records %s as anchored on its own, not as a member of this batch", "账本记录 %s 为单独锚定，而非本批次成员", rep.ID))
	case own && rec.BatchRoot != rep.BatchRoot:
		return fail(tf("the ledger records %s as a member of batch %s…, not of this one", "账本记录 %s 属于批次 %s…，而非本批次", rep.ID, short(rec.BatchRoot)))
	}
	if r, bad := mismatch(rec, rep); bad {
		return fail(r)
	}
	return anchorOutcome{rec: rec, witnessed: b.anchor.AnchoredAt, check: Check{Name: CheckAnchor, Status: credential.Passed,
		Reason: tf("included by its Merkle proof in batch %s… of %d credentials, anchored on the ledger since %s",
			"经默克尔证明包含于批次 %s…（共 %d 份），该批次已于 %s 锚定在账本上", short(rep.BatchRoot), b.anchor.Count, instant(b.anchor.AnchoredAt))}}
}

// mismatch compares the ledger's record with what the credential claims.
func mismatch(rec *eduledger.CredentialAnchor, rep *credential.Report) (Text, bool) {
	switch {
	case rec.IssuerID != rep.IssuerID:
		return tf("the ledger records %s as issued by %s, not %s", "账本记录 %s 的签发者为 %s，而非 %s", rec.ID, rec.IssuerID, rep.IssuerID), true
	case rec.Type != rep.Type:
		return tf("the ledger records %s as a %s, not a %s", "账本记录 %s 的类型为 %s，而非 %s", rec.ID, rec.Type, rep.Type), true
	case rec.LearnerID != "" && rec.LearnerID != rep.LearnerID:
		return tf("the ledger records %s for another learner", "账本记录 %s 属于另一名学习者", rec.ID), true
	}
	return Text{}, false
}

// batchSize reads batchSize from a credential's Merkle batch proof.
func batchSize(doc *jsoncanon.Value) (int, bool) {
	proofs, _ := doc.Get("proof")
	for _, p := range asList(proofs) {
		if p.GetStr("cryptosuite") != dataintegrity.MLDSA44Merkle2026 {
			continue
		}
		n, _ := p.Get("batchSize")
		size, ok := n.Int()
		return int(size), ok && size <= eduledger.MaxBatchSize
	}
	return 0, false
}

func short(hex string) string {
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}

// issuerKeyCheck checks every key that signed the credential against the ledger's key registry.
// The rules (docs/verifier.md): the key is registered to the issuer with the proof's algorithm;
// the proof's own creation time is within the key's validity; and, when the ledger witnessed the
// credential at T: the proof claims no creation after T (+ tolerance); the key was registered by T
// (+ tolerance); a key revoked as compromised from R counts only when T < R, whatever the proof
// claims; a key retired (rotated or expired) at U counts only when T < U + tolerance.
func (v *Verifier) issuerKeyCheck(ctx context.Context, rep *credential.Report, at issuance) Check {
	tol := v.o.tolerance
	var failed, unknown, passed []Text
	seen := map[string]bool{}
	for _, c := range rep.Checks {
		if c.Name != credential.CheckProof || c.Proof == nil || seen[c.Proof.VerificationMethod] {
			continue
		}
		p := c.Proof
		seen[p.VerificationMethod] = true
		orgID, keyID, ok := eduledger.ParseKeyDID(p.VerificationMethod)
		if !ok || orgID != rep.IssuerID {
			failed = append(failed, tf("%s is not a key of the issuer", "%s 不是签发者的密钥", p.VerificationMethod))
			continue
		}
		k, err := v.view.key(ctx, orgID, keyID)
		switch {
		case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
			failed = append(failed, tf("key %s is not registered to %s on the ledger", "密钥 %s 未在账本上登记为 %s 的密钥", keyID, orgID))
			continue
		case err != nil:
			unknown = append(unknown, unreachable(err))
			continue
		}
		want := eduledger.KeyMLDSA44
		if p.Cryptosuite == dataintegrity.EdDSAJCS2022 {
			want = eduledger.KeyEd25519
		}
		signed := p.Created
		if signed.IsZero() {
			signed = at.time
		}
		switch {
		case k.Type != want:
			failed = append(failed, tf("key %s is an %s key; proof %s needs %s", "密钥 %s 为 %s 密钥，签名 %s 需要 %s", keyID, k.Type, p.Cryptosuite, want))
		case !k.ValidFrom.IsZero() && signed.Before(k.ValidFrom):
			failed = append(failed, tf("key %s is valid only from %s, but the proof says it was made at %s", "密钥 %s 自 %s 起才有效，而签名时间为 %s", keyID, instant(k.ValidFrom), instant(signed)))
		case !k.RevokedAt.IsZero() && !signed.Before(k.RevokedAt):
			failed = append(failed, tf("key %s was revoked as compromised from %s, and the proof says it was made at %s", "密钥 %s 自 %s 起因泄露被吊销，而签名时间为 %s", keyID, instant(k.RevokedAt), instant(signed)))
		case !k.ValidUntil.IsZero() && !signed.Before(k.ValidUntil):
			failed = append(failed, tf("key %s was valid until %s, but the proof says it was made at %s", "密钥 %s 有效期至 %s，而签名时间为 %s", keyID, instant(k.ValidUntil), instant(signed)))
		case at.witnessed && signed.After(at.time.Add(tol)):
			failed = append(failed, tf("the proof by %s claims to be made at %s, after the ledger anchored the credential at %s", "密钥 %s 的签名声称作于 %s，晚于账本锚定时间 %s", keyID, instant(signed), instant(at.time)))
		case at.witnessed && !k.RevokedAt.IsZero() && !at.time.Before(k.RevokedAt):
			failed = append(failed, tf("key %s was revoked as compromised from %s; the ledger anchored the credential at %s, after that, whatever date it claims",
				"密钥 %s 自 %s 起因泄露被吊销；账本于其后的 %s 才锚定此凭证，无论凭证声称的日期为何", keyID, instant(k.RevokedAt), instant(at.time)))
		case at.witnessed && !k.ValidUntil.IsZero() && !at.time.Before(k.ValidUntil.Add(tol)):
			failed = append(failed, tf("key %s was retired at %s; the ledger anchored the credential at %s, after that", "密钥 %s 已于 %s 停用；账本于其后的 %s 才锚定此凭证", keyID, instant(k.ValidUntil), instant(at.time)))
		case at.witnessed && !k.RegisteredAt.IsZero() && k.RegisteredAt.After(at.time.Add(tol)):
			failed = append(failed, tf("key %s was registered at %s, after the ledger anchored the credential at %s", "密钥 %s 于 %s 才登记，晚于账本锚定时间 %s", keyID, instant(k.RegisteredAt), instant(at.time)))
		default:
			note := Text{}
			if !k.RevokedAt.IsZero() {
				note = tf(" (revoked as compromised from %s, after this credential)", "（自 %s 起因泄露被吊销，晚于本凭证）", instant(k.RevokedAt))
			}
			passed = append(passed, Text{En: keyID + " (" + string(k.Type) + ")" + note.En, Zh: keyID + "（" + string(k.Type) + "）" + note.Zh})
		}
	}
	switch {
	case len(failed) > 0:
		return Check{Name: CheckIssuerKey, Status: credential.Failed, Reason: join(failed)}
	case len(unknown) > 0:
		return Check{Name: CheckIssuerKey, Status: credential.Unknown, Reason: unknown[0]}
	case len(passed) == 0:
		return Check{Name: CheckIssuerKey, Status: credential.Failed, Reason: tf("no proof names a key to check", "没有签名指明可检查的密钥")}
	}
	keys := join(passed)
	w := at.text()
	return Check{Name: CheckIssuerKey, Status: credential.Passed, Reason: Text{
		En: "registered to " + rep.IssuerID + " and valid " + w.En + ": " + strings.ReplaceAll(keys.En, "; ", ", "),
		Zh: "已登记为 " + rep.IssuerID + " 的密钥，且在" + w.Zh + "有效：" + strings.ReplaceAll(keys.Zh, "；", "、"),
	}}
}

// accreditationCheck checks that the issuer was registered, active and accredited for the type at
// the time the credential counts as issued.
func (v *Verifier) accreditationCheck(ctx context.Context, orgID string, ct eduledger.CredentialType, at issuance) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckAccreditation, Status: s, Reason: r} }
	if !eduledger.ValidOrgID(orgID) {
		return check(credential.Failed, tf("the credential does not name an EduLedger issuer", "凭证未指明 EduLedger 签发机构"))
	}
	h, err := v.view.organization(ctx, orgID)
	switch {
	case eduledger.ErrorCode(err) == eduledger.ENOTFOUND:
		return check(credential.Failed, tf("the issuer %s is not registered on the ledger", "签发机构 %s 未在账本上登记", orgID))
	case err != nil:
		return check(credential.Unknown, unreachable(err))
	}
	w := at.text()
	then := h.at(at.time)
	switch {
	case at.time.IsZero():
		return check(credential.Failed, tf("the credential gives no issuance time to check the issuer at", "凭证没有可供核查的签发时间"))
	case then == nil:
		return check(credential.Failed, Text{En: orgID + " was not yet registered " + w.En, Zh: orgID + " 在" + w.Zh + "尚未登记"})
	case then.Status == eduledger.OrgSuspended:
		return check(credential.Failed, Text{En: orgID + " was suspended " + w.En + " (" + then.StatusReason + ")",
			Zh: orgID + " 在" + w.Zh + "处于暂停状态（" + then.StatusReason + "）"})
	}
	accs, err := v.view.accreditations(ctx, orgID)
	if err != nil {
		if eduledger.ErrorCode(err) == eduledger.ENOTFOUND {
			return check(credential.Failed, tf("%s holds no accreditation", "%s 没有任何资质", orgID))
		}
		return check(credential.Unknown, unreachable(err))
	}
	tn := TypeName(ct)
	var ended *eduledger.Accreditation
	for i := range accs {
		a := &accs[i]
		if a.CredentialType != ct {
			continue
		}
		if a.CoversAt(at.time) {
			r := Text{En: orgID + " was active and accredited to issue " + tn.En + " credentials " + w.En + " (accreditation " + a.ID + ", from " + day(a.ValidFrom),
				Zh: orgID + " 在" + w.Zh + "处于正常状态，且具备签发" + tn.Zh + "的资质（资质 " + a.ID + "，自 " + day(a.ValidFrom)}
			if !a.ValidUntil.IsZero() {
				r.En += " until " + day(a.ValidUntil)
				r.Zh += " 至 " + day(a.ValidUntil)
			}
			r.En += ")"
			r.Zh += "）"
			if h.current.Status == eduledger.OrgSuspended {
				since := h.since()
				r.En += "; it has been suspended since " + day(since) + ", which does not affect credentials issued before"
				r.Zh += "；该机构自 " + day(since) + " 起被暂停，不影响此前签发的凭证"
			}
			return check(credential.Passed, r)
		}
		if !a.WithdrawnAt.IsZero() && !a.WithdrawnAt.After(at.time) {
			ended = a
		}
	}
	r := Text{En: orgID + " was not accredited to issue " + tn.En + " credentials " + w.En, Zh: orgID + " 在" + w.Zh + "不具备签发" + tn.Zh + "的资质"}
	if ended != nil {
		r.En += " (its accreditation was withdrawn on " + day(ended.WithdrawnAt) + ")"
		r.Zh += "（其资质已于 " + day(ended.WithdrawnAt) + " 撤销）"
	}
	return check(credential.Failed, r)
}

// statusCheck reads the credential's status from its ledger record.
func statusCheck(a anchorOutcome) Check {
	check := func(s credential.Outcome, r Text) Check { return Check{Name: CheckStatus, Status: s, Reason: r} }
	rec := a.rec
	switch {
	case rec == nil && a.check.Status == credential.Unknown:
		return check(credential.Unknown, a.check.Reason)
	case rec == nil:
		return check(credential.Skipped, tf("no ledger record of this credential to read a status from", "账本上没有此凭证的记录，无法读取状态"))
	}
	why := reasonText(rec.StatusReason)
	note := Text{}
	if rec.StatusNote != "" {
		note = Text{En: ": " + rec.StatusNote, Zh: "：" + rec.StatusNote}
	}
	switch rec.Status {
	case eduledger.StatusActive:
		if rec.StatusReason == eduledger.ReasonReinstated {
			return check(credential.Passed, tf("ACTIVE on the ledger (reinstated on %s)", "账本状态为有效（于 %s 恢复）", day(rec.StatusChangedAt)))
		}
		return check(credential.Passed, tf("ACTIVE on the ledger", "账本状态为有效"))
	case eduledger.StatusSuspended:
		return check(credential.Failed, Text{En: "SUSPENDED on the ledger since " + instant(rec.StatusChangedAt) + " — " + why.En + note.En,
			Zh: "自 " + instant(rec.StatusChangedAt) + " 起被暂停 — " + why.Zh + note.Zh})
	case eduledger.StatusRevoked:
		return check(credential.Failed, Text{En: "REVOKED on the ledger on " + instant(rec.StatusChangedAt) + " — " + why.En + note.En,
			Zh: "已于 " + instant(rec.StatusChangedAt) + " 被撤销 — " + why.Zh + note.Zh})
	}
	return check(credential.Failed, tf("the ledger records an unknown status %q", "账本记录了未知状态 %q", rec.Status))
}

// validityCheck checks the validity period the credential states and the one the ledger records.
func (v *Verifier) validityCheck(rep *credential.Report, rec *eduledger.CredentialAnchor, now time.Time) Check {
	c := offlineCheck(rep, credential.CheckValidity, CheckValidity, Text{})
	if c.Status != credential.Passed {
		if strings.HasPrefix(c.Reason.En, "expired at ") {
			c.Reason.Zh = "已过期：有效期至 " + strings.TrimPrefix(c.Reason.En, "expired at ")
		} else if strings.HasPrefix(c.Reason.En, "not valid before ") {
			c.Reason.Zh = "尚未生效：自 " + strings.TrimPrefix(c.Reason.En, "not valid before ") + " 起有效"
		}
		return c
	}
	if rec != nil && !rec.ValidUntil.IsZero() && !now.Before(rec.ValidUntil) {
		return Check{Name: CheckValidity, Status: credential.Failed,
			Reason: tf("expired: the ledger records it valid until %s", "已过期：账本记录的有效期至 %s", instant(rec.ValidUntil))}
	}
	if rep.ValidUntil.IsZero() {
		return Check{Name: CheckValidity, Status: credential.Passed, Reason: tf("valid from %s, with no expiry", "自 %s 起有效，长期有效", day(rep.ValidFrom))}
	}
	return Check{Name: CheckValidity, Status: credential.Passed, Reason: tf("valid from %s until %s", "有效期 %s 至 %s", day(rep.ValidFrom), day(rep.ValidUntil))}
}
