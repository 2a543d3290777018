package issuerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/internal/problem"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/sdk/issuance"
	"github.com/eduledger/eduledger/sdk/issuance/card"
	"github.com/eduledger/eduledger/sdk/issuance/client"
	"github.com/eduledger/eduledger/sdk/ledger"
	"github.com/eduledger/eduledger/verifier"
)

// TestARegistrarRegistersIssuesInBulkAndRevokes drives the whole story through the real client
// against the service on loopback: register a learner, issue and print the identity card, issue a
// diploma, issue 1,000 diplomas from a CSV upload, revoke — and checks every outcome on the ledger
// with the real verifier.
func TestARegistrarRegistersIssuesInBulkAndRevokes(t *testing.T) {
	s := startService(t, Config{})
	ctx := context.Background()
	registrar := s.client(devnet.Riverside, eduledger.StaffRegistrar)
	issuer := s.client(devnet.Riverside, eduledger.StaffIssuer)
	v := s.verifier()

	photo := portrait(t)
	l, err := registrar.RegisterLearner(ctx, issuance.LearnerRegistration{ID: "L20260001",
		Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, HolderKeys: []string{holderKey(1)},
		Personal: issuance.PersonalDetails{Name: "王小明", NationalID: "310115200405010011", DateOfBirth: "2004-05-01"},
		Portrait: photo}, "")
	if err != nil {
		t.Fatal(err)
	}
	if l.RegisteredBy != devnet.Riverside || l.PortraitHash == "" || !l.HasPortrait || l.Personal != nil {
		t.Fatalf("registered learner = %+v", l)
	}
	got, err := registrar.GetLearner(ctx, l.ID, true)
	if err != nil || got.Personal == nil || got.Personal.Name != "王小明" {
		t.Fatalf("the registering school reads the personal data back: %+v, %v", got, err)
	}
	lakesideRegistrar := s.client(devnet.Lakeside, eduledger.StaffRegistrar)
	if _, err := lakesideRegistrar.GetLearner(ctx, l.ID, true); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
		t.Fatalf("another school read the personal data: %v", err)
	}

	t.Run("the identity card is issued, verifies on the ledger and prints", func(t *testing.T) {
		c, err := registrar.IssueCard(ctx, l.ID, issuance.CardRequest{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if res := v.VerifyCredential(ctx, c.Credential); !res.Verified {
			t.Fatalf("the card does not verify: %+v", res.Failed())
		}
		if _, err := registrar.IssueCard(ctx, l.ID, issuance.CardRequest{}, ""); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
			t.Fatalf("a second card was issued beside the first: %v", err)
		}
		qr, err := registrar.CardQR(ctx, l.ID, 4)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(qr)); err != nil {
			t.Fatalf("the QR code is not a PNG: %v", err)
		}
		if _, ok := card.FindFont(); !ok {
			t.Log("no CJK font installed: the card image is not checked")
			return
		}
		img, err := registrar.CardPNG(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(img))
		if err != nil || m.Bounds().Dx() != card.Width || m.Bounds().Dy() != card.Height {
			t.Fatalf("the card is not a %dx%d PNG: %v", card.Width, card.Height, err)
		}
		if _, err := lakesideRegistrar.CardPNG(ctx, l.ID); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
			t.Fatalf("another school printed the card: %v", err)
		}
	})

	var diploma *issuance.IssuedCredential
	t.Run("a diploma is issued alone, signed, anchored and verifiable", func(t *testing.T) {
		diploma, err = issuer.IssueCredential(ctx, diplomaRequest(l.ID), "")
		if err != nil {
			t.Fatal(err)
		}
		if diploma.TxID == "" || diploma.Status != eduledger.StatusActive || !strings.Contains(diploma.VerificationLink, "/v?") {
			t.Fatalf("issued diploma = %+v", diploma)
		}
		if res := v.VerifyCredential(ctx, diploma.Credential); !res.Verified {
			t.Fatalf("the diploma does not verify: %+v", res.Failed())
		}
		target, err := verifier.ParseLink(diploma.VerificationLink)
		if err != nil || target.CredentialID != diploma.ID || target.Digest != diploma.Digest {
			t.Fatalf("the verification link names %+v, %v", target, err)
		}
	})

	var job *issuance.Job
	t.Run("1,000 diplomas from a CSV upload are anchored under a few Merkle roots", func(t *testing.T) {
		learners := registerMany(t, registrar, "B", 1000)
		job, err = issuer.CreateCSVJob(ctx, strings.NewReader(diplomaCSV(learners)), client.CSVJob{Type: eduledger.TypeDiploma})
		if err != nil {
			t.Fatal(err)
		}
		if job.Rows != 1000 || job.Invalid != 0 {
			t.Fatalf("job as received = %+v", job)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		job, err = issuer.WaitJob(wctx, job.ID, 20*time.Millisecond, nil)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != issuance.JobCompleted || job.Issued != 1000 || len(job.Batches) != 4 {
			t.Fatalf("finished job = %+v", job)
		}
		for _, b := range job.Batches {
			onLedger, err := ledger.NewClient(s.reader).GetBatch(ctx, b.Root)
			if err != nil || onLedger.Count != b.Count || onLedger.IssuerID != devnet.Riverside {
				t.Fatalf("batch %d on the ledger = %+v, %v", b.Number, onLedger, err)
			}
		}
		n := 0
		err = issuer.ExportJob(ctx, job.ID, func(c *issuance.ExportedCredential) error {
			if n%97 == 0 {
				if res := v.VerifyCredential(ctx, c.Credential); !res.Verified {
					return fmt.Errorf("row %d does not verify: %+v", c.Row, res.Failed())
				}
			}
			n++
			return nil
		})
		if err != nil || n != 1000 {
			t.Fatalf("exported %d credentials: %v", n, err)
		}
		rows, err := issuer.JobRows(ctx, job.ID, issuance.RowQuery{State: issuance.RowIssued, PageSize: 200})
		if err != nil || len(rows.Items) != 200 || rows.NextPageToken == "" || rows.Items[0].Row != 2 {
			t.Fatalf("first page of issued rows: %d rows, next %q, %v", len(rows.Items), rows.NextPageToken, err)
		}
	})

	t.Run("revocation reaches the ledger and the verifier, for single and batch credentials", func(t *testing.T) {
		if _, err := issuer.Revoke(ctx, diploma.ID, eduledger.ReasonIssuedInError, ""); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Fatalf("an issuer (not a registrar) revoked: %v", err)
		}
		r, err := registrar.Revoke(ctx, diploma.ID, eduledger.ReasonIssuedInError, "wrong programme")
		if err != nil || r.Status != eduledger.StatusRevoked {
			t.Fatalf("revoke = %+v, %v", r, err)
		}
		page, err := issuer.ListCredentials(ctx, issuance.CredentialQuery{JobID: job.ID, PageSize: 3})
		if err != nil || len(page.Items) != 3 {
			t.Fatalf("list = %+v, %v", page, err)
		}
		member := page.Items[1]
		if _, err := registrar.Suspend(ctx, member.ID, eduledger.ReasonUnderReview, ""); err != nil {
			t.Fatal(err)
		}
		got, err := registrar.GetCredential(ctx, member.ID)
		if err != nil || got.Status != eduledger.StatusSuspended || got.BatchRoot == "" {
			t.Fatalf("suspended batch member = %+v, %v", got, err)
		}
		fresh := s.verifier()
		for _, id := range []string{diploma.ID, member.ID} {
			c, err := registrar.GetCredential(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if res := fresh.VerifyCredential(ctx, c.Credential); res.Verified {
				t.Fatalf("%s still verifies after its status changed", id)
			}
		}
		if _, err := registrar.Reinstate(ctx, member.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := registrar.Revoke(ctx, diploma.ID, eduledger.ReasonOther, ""); eduledger.ErrorCode(err) != eduledger.ECONFLICT {
			t.Fatalf("revoking twice: %v", err)
		}
	})

	t.Run("the card is re-issued after graduation and the old one is superseded", func(t *testing.T) {
		if _, err := registrar.UpdateLearnerRoles(ctx, l.ID, []eduledger.LearnerRole{eduledger.RoleGraduate}); err != nil {
			t.Fatal(err)
		}
		old, err := registrar.GetCard(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		re, err := registrar.ReissueCard(ctx, l.ID, issuance.CardRequest{}, "")
		if err != nil || re.Warning != "" {
			t.Fatalf("reissue = %+v, %v", re, err)
		}
		if re.Previous == nil || re.Previous.ID != old.ID || re.Previous.Status != eduledger.StatusRevoked || re.Previous.StatusReason != eduledger.ReasonSuperseded {
			t.Fatalf("previous card = %+v", re.Previous)
		}
		cur, err := registrar.GetCard(ctx, l.ID)
		if err != nil || cur.ID != re.Card.ID {
			t.Fatalf("current card = %+v, %v", cur, err)
		}
		var vc struct {
			Subject struct {
				Roles []eduledger.LearnerRole `json:"roles"`
			} `json:"credentialSubject"`
		}
		if err := json.Unmarshal(cur.Credential, &vc); err != nil || len(vc.Subject.Roles) != 1 || vc.Subject.Roles[0] != eduledger.RoleGraduate {
			t.Fatalf("the new card's roles = %+v, %v", vc.Subject.Roles, err)
		}
	})

	t.Run("the audit log names who did what, with the result", func(t *testing.T) {
		admin := s.client(devnet.Riverside, eduledger.StaffAdmin)
		seen := map[string]string{}
		var last time.Time
		for token := ""; ; {
			page, err := admin.Audit(ctx, 200, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Items {
				if e.Actor.OrgID != devnet.Riverside || e.Actor.TokenID == "" || e.Time.IsZero() {
					t.Fatalf("audit entry without its actor or time: %+v", e)
				}
				if !last.IsZero() && e.Time.After(last) {
					t.Fatalf("the audit log is not newest first: %s after %s", e.Time, last)
				}
				last = e.Time
				seen[e.Action+" "+e.Result] = e.Target
			}
			if token = page.NextPageToken; token == "" {
				break
			}
		}
		for _, want := range []string{"learner.register ok", "card.issue ok", "card.issue CONFLICT", "credential.issue ok",
			"job.create ok", "credential.revoke ok", "credential.revoke FORBIDDEN", "card.reissue ok"} {
			if _, ok := seen[want]; !ok {
				t.Errorf("the audit log has no %q entry", want)
			}
		}
		if !strings.Contains(seen["credential.revoke ok"], "urn:uuid:") {
			t.Errorf("the revocation's target is %q", seen["credential.revoke ok"])
		}
		if _, err := registrar.Audit(ctx, 10, ""); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Errorf("a registrar read the audit log: %v", err)
		}
	})
}

// TestRefusalsAreTheRight4xxProblemNeverA5xx sends every kind of bad request and checks the status
// and the problem's stable code.
func TestRefusalsAreTheRight4xxProblemNeverA5xx(t *testing.T) {
	s := startService(t, Config{})
	ctx := context.Background()
	riverside := s.client(devnet.Riverside, eduledger.StaffRegistrar)
	learners := registerMany(t, riverside, "R", 3)
	diploma, err := riverside.IssueCredential(ctx, diplomaRequest(learners[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	lakeside := s.client(devnet.Lakeside, eduledger.StaffRegistrar)
	issuerTok, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "i", OrgID: devnet.Riverside, Role: eduledger.StaffIssuer}, "test")
	regTok, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "r", OrgID: devnet.Riverside, Role: eduledger.StaffRegistrar}, "test")
	lakeTok, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "l", OrgID: devnet.Lakeside, Role: eduledger.StaffIssuer}, "test")
	revoked, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "gone", OrgID: devnet.Riverside, Role: eduledger.StaffAdmin}, "test")
	if _, err := s.srv.Engine().Tokens().Revoke(revoked.ID, "test"); err != nil {
		t.Fatal(err)
	}
	foreign, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "f", OrgID: devnet.Westlake, Role: eduledger.StaffAdmin}, "test")
	learnerJSON := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"roles":["STUDENT"],"personal":{"name":"李四","nationalId":"310115200501010022"}}`, id)
	}
	degreeJSON, _ := json.Marshal(issuance.CredentialRequest{Type: eduledger.TypeDegree, LearnerID: learners[1],
		Subject: diplomaRequest(learners[1]).Subject})
	csvHead := "learnerId,achievement.name.en,activityEndDate\n"
	big := `{"id":"L9","roles":["STUDENT"],"personal":{"name":"` + strings.Repeat("x", 70<<10) + `","nationalId":"1"}}`

	for _, tc := range []struct {
		name                 string
		method, path, token  string
		ctype, body          string
		status               int
		code, mention, field string
	}{
		{"no token", "GET", "/v1/credentials", "", "", "", 401, eduledger.EUNAUTHORIZED, "API token", ""},
		{"a malformed token", "GET", "/v1/credentials", "edl_nonsense", "", "", 401, eduledger.EUNAUTHORIZED, "not valid", ""},
		{"a revoked token", "GET", "/v1/credentials", revoked.Secret, "", "", 401, eduledger.EUNAUTHORIZED, "not valid", ""},
		{"a token of an organisation the service does not host", "GET", "/v1/credentials", foreign.Secret, "", "", 403, eduledger.EFORBIDDEN, "does not issue for", ""},
		{"an issuer registering a learner (wrong role)", "POST", "/v1/learners", issuerTok.Secret, "application/json", learnerJSON("L8"), 403, eduledger.EFORBIDDEN, "", ""},
		{"an issuer rotating keys (wrong role)", "POST", "/v1/keys/rotate", issuerTok.Secret, "", "", 403, eduledger.EFORBIDDEN, "", ""},
		{"a registrar creating tokens (wrong role)", "POST", "/v1/tokens", regTok.Secret, "application/json", `{"name":"x","role":"admin"}`, 403, eduledger.EFORBIDDEN, "admin", ""},
		{"a vocational college issuing a degree (not accredited)", "POST", "/v1/credentials", lakeTok.Secret, "application/json", string(degreeJSON), 403, eduledger.EFORBIDDEN, "accredit", ""},
		{"a bulk job of an unaccredited type", "POST", "/v1/jobs?type=Degree", lakeTok.Secret, "text/csv", csvHead + learners[1] + ",Law,2026-06-30\n", 403, eduledger.EFORBIDDEN, "accredit", ""},
		{"revoking another school's credential", "POST", "/v1/credentials/" + diploma.ID + "/revoke", "LAKE-REG", "application/json", `{"reason":"FRAUD"}`, 403, eduledger.EFORBIDDEN, "", ""},
		{"reading another school's credential", "GET", "/v1/credentials/" + diploma.ID, lakeTok.Secret, "", "", 404, eduledger.ENOTFOUND, "", ""},
		{"a CSV row with a bad date", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv",
			csvHead + learners[1] + ",Law,2026-06-30\n" + learners[2] + ",Law,30/06/2026\n", 400, eduledger.EINVALID, "row 3, column activityEndDate", "row 3, column activityEndDate"},
		{"a CSV row with an unregistered learner", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv",
			csvHead + "L2099999,Law,2026-06-30\n", 400, eduledger.EINVALID, "not registered", "row 2, column learnerId"},
		{"a CSV row missing a required field", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv",
			"learnerId,achievement.name.en\n" + learners[1] + ",Law\n", 400, eduledger.EINVALID, "required", "row 2, column activityEndDate"},
		{"a CSV with an unknown column", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv", "learnerId,grade\nL1,A\n", 400, eduledger.EINVALID, "grade", "header, column grade"},
		{"a CSV row with too many cells", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv", csvHead + learners[1] + ",Law,2026-06-30,extra\n", 400, eduledger.EINVALID, "cells", "row 2"},
		{"a CSV upload without a type", "POST", "/v1/jobs", issuerTok.Secret, "text/csv", csvHead, 400, eduledger.EINVALID, "type", ""},
		{"an upload of an unsupported type", "POST", "/v1/jobs", issuerTok.Secret, "application/xml", "<rows/>", 415, problem.CodeUnsupportedMediaType, "", ""},
		{"an oversized body", "POST", "/v1/learners", regTok.Secret, "application/json", big, 413, problem.CodeTooLarge, "larger than", ""},
		{"malformed JSON", "POST", "/v1/credentials", issuerTok.Secret, "application/json", `{"type":"Diploma",`, 400, eduledger.EINVALID, "JSON", ""},
		{"JSON with an unknown field", "POST", "/v1/credentials", issuerTok.Secret, "application/json", `{"type":"Diploma","grade":"A"}`, 400, eduledger.EINVALID, "grade", ""},
		{"a credential that breaks its schema", "POST", "/v1/credentials", issuerTok.Secret, "application/json",
			`{"type":"Diploma","learnerId":"` + learners[1] + `","subject":{"achievement":{"name":"Law"}}}`, 400, eduledger.EINVALID, "activityEndDate", "/subject/activityEndDate"},
		{"a credential for an unregistered learner", "POST", "/v1/credentials", issuerTok.Secret, "application/json",
			`{"type":"Diploma","learnerId":"L2099999","subject":{"achievement":{"name":"Law"},"activityEndDate":"2026-06-30T00:00:00Z"}}`, 400, eduledger.EINVALID, "not registered", "/learnerId"},
		{"an unknown credential type", "POST", "/v1/credentials", issuerTok.Secret, "application/json", `{"type":"Passport","learnerId":"L1"}`, 400, eduledger.EINVALID, "Passport", "/type"},
		{"a bad reason code", "POST", "/v1/credentials/" + diploma.ID + "/revoke", regTok.Secret, "application/json", `{"reason":"BECAUSE"}`, 400, eduledger.EINVALID, "reason", ""},
		{"a duplicate learner", "POST", "/v1/learners", regTok.Secret, "application/json", learnerJSON(learners[0]), 409, eduledger.ECONFLICT, "", ""},
		{"an unknown credential", "GET", "/v1/credentials/urn:uuid:00000000-0000-4000-8000-000000000000", regTok.Secret, "", "", 404, eduledger.ENOTFOUND, "", ""},
		{"an unknown job", "GET", "/v1/jobs/job_nope", regTok.Secret, "", "", 404, eduledger.ENOTFOUND, "", ""},
		{"an unknown route", "GET", "/v1/diplomas", regTok.Secret, "", "", 404, eduledger.ENOTFOUND, "", ""},
		{"a bad page size", "GET", "/v1/credentials?pageSize=-1", regTok.Secret, "", "", 400, eduledger.EINVALID, "pageSize", ""},
		{"a forged page token", "GET", "/v1/credentials?pageToken=Zm9v", regTok.Secret, "", "", 400, eduledger.EINVALID, "pageToken", ""},
		{"a wrong method", "DELETE", "/v1/credentials", regTok.Secret, "", "", 405, problem.CodeMethodNotAllowed, "", ""},
		{"binary junk as a CSV", "POST", "/v1/jobs?type=Diploma", issuerTok.Secret, "text/csv", "\x00\xff\xfe\"\x01,\n\x02", 400, eduledger.EINVALID, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token
			if token == "LAKE-REG" {
				tok, _ := s.srv.Engine().Tokens().Create(issuance.TokenSpec{Name: "lr", OrgID: devnet.Lakeside, Role: eduledger.StaffRegistrar}, "test")
				token = tok.Secret
			}
			status, ctype, body := s.raw(tc.method, tc.path, token, tc.ctype, []byte(tc.body))
			var d problem.Details
			if err := json.Unmarshal(body, &d); err != nil || !strings.HasPrefix(ctype, problem.ContentType) {
				t.Fatalf("status %d, %s: not a problem: %s", status, ctype, body)
			}
			if status != tc.status || d.Code != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", status, d.Code, d.Detail, tc.status, tc.code)
			}
			if !strings.Contains(d.Detail, tc.mention) {
				t.Fatalf("detail %q does not mention %q", d.Detail, tc.mention)
			}
			if tc.field != "" && (len(d.Errors) == 0 || d.Errors[0].Field != tc.field) {
				t.Fatalf("field errors %+v, want the first to name %q", d.Errors, tc.field)
			}
		})
	}
	_ = lakeside
}
