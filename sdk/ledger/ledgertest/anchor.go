package ledgertest

import (
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func (s *suite) testAnchorCredential(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "anchor-learner")
	a := newAnchor(s.school, l.ID, eduledger.TypeDiploma)
	a.ValidUntil = a.IssuedAt.Add(10 * 365 * 24 * time.Hour)

	got := must(s.school.issuer.AnchorCredential(ctx, a))(t)
	if got.Status != eduledger.StatusActive || got.TxID == "" || got.AnchoredAt.IsZero() || got.Digest != a.Digest {
		t.Fatalf("anchored = %+v", got)
	}
	for _, c := range []struct {
		how string
		get func() (*eduledger.CredentialAnchor, error)
	}{
		{"by ID", func() (*eduledger.CredentialAnchor, error) { return s.enterprise.issuer.GetCredential(ctx, a.ID) }},
		{"by digest", func() (*eduledger.CredentialAnchor, error) {
			return s.enterprise.issuer.GetCredentialByDigest(ctx, a.Digest)
		}},
		{"by status", func() (*eduledger.CredentialAnchor, error) {
			return s.enterprise.issuer.GetCredentialStatus(ctx, a.ID, "")
		}},
	} {
		r, err := c.get()
		if err != nil || !sameAnchor(r, got) {
			t.Errorf("lookup %s = %+v, %v; want %+v", c.how, r, err, got)
		}
	}
	// A registrar may anchor too.
	must(s.school.registrar.AnchorCredential(ctx, newAnchor(s.school, l.ID, eduledger.TypeTranscript)))(t)

	t.Run("anchors that break a rule are refused", func(t *testing.T) {
		dupDigest := newAnchor(s.school, l.ID, eduledger.TypeDiploma)
		dupDigest.Digest = a.Digest
		otherIssuer := newAnchor(s.school2, l.ID, eduledger.TypeDiploma)
		future := newAnchor(s.school, l.ID, eduledger.TypeDiploma)
		future.IssuedAt = hoursFromNow(24)
		badDigest := newAnchor(s.school, l.ID, eduledger.TypeDiploma)
		badDigest.Digest = "ABC"
		preset := newAnchor(s.school, l.ID, eduledger.TypeDiploma)
		preset.Status = eduledger.StatusRevoked
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			a      *eduledger.CredentialAnchor
			code   string
		}{
			{"the same credential ID again", s.school.issuer, a, eduledger.ECONFLICT},
			{"the same digest under another ID", s.school.issuer, dupDigest, eduledger.ECONFLICT},
			{"an unregistered learner", s.school.issuer, newAnchor(s.school, s.id("ghost"), eduledger.TypeDiploma), eduledger.ENOTFOUND},
			{"another organisation as issuer", s.school.issuer, otherIssuer, eduledger.EFORBIDDEN},
			{"an admin, who does not issue", s.school.admin, newAnchor(s.school, l.ID, eduledger.TypeDiploma), eduledger.EFORBIDDEN},
			{"a type the issuer is not accredited for", s.school.issuer, newAnchor(s.school, l.ID, eduledger.TypeMicroCredential), eduledger.EFORBIDDEN},
			{"an enterprise issuing a diploma", s.enterprise.issuer, newAnchor(s.enterprise, l.ID, eduledger.TypeDiploma), eduledger.EFORBIDDEN},
			{"an issue date a day ahead", s.school.issuer, future, eduledger.EINVALID},
			{"a digest that is not lower-case hex SHA-256", s.school.issuer, badDigest, eduledger.EINVALID},
			{"a status chosen by the caller", s.school.issuer, preset, eduledger.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.client.AnchorCredential(ctx, tc.a)
				wantCode(t, err, tc.code)
			})
		}
	})
	_, err := s.enterprise.issuer.GetCredential(ctx, "urn:uuid:"+uuid())
	wantCode(t, err, eduledger.ENOTFOUND)
	_, err = s.enterprise.issuer.GetCredentialByDigest(ctx, randomHex(32))
	wantCode(t, err, eduledger.ENOTFOUND)
	_, err = s.enterprise.issuer.GetCredentialByDigest(ctx, "not-a-digest")
	wantCode(t, err, eduledger.EINVALID)
}

func (s *suite) testAnchorBatch(t *testing.T) {
	ctx := t.Context()
	b := &eduledger.BatchAnchor{Root: randomHex(32), Count: 5000, Type: eduledger.TypeDiploma, IssuerID: s.school.org.ID,
		IssuedAt: hoursFromNow(-0.1)}
	got := must(s.school.issuer.AnchorBatch(ctx, b))(t)
	if got.Status != eduledger.StatusActive || got.TxID == "" || got.AnchoredAt.IsZero() || got.Count != 5000 {
		t.Fatalf("anchored batch = %+v", got)
	}
	_, err := s.school.issuer.AnchorBatch(ctx, b)
	wantCode(t, err, eduledger.ECONFLICT)
	if r := must(s.enterprise.issuer.GetBatch(ctx, b.Root))(t); r.TxID != got.TxID || r.Count != b.Count {
		t.Errorf("GetBatch = %+v", r)
	}
	_, err = s.enterprise.issuer.GetBatch(ctx, randomHex(32))
	wantCode(t, err, eduledger.ENOTFOUND)

	member := "urn:uuid:" + uuid()
	st := must(s.enterprise.issuer.GetCredentialStatus(ctx, member, b.Root))(t)
	if st.Status != eduledger.StatusActive || st.BatchRoot != b.Root || st.IssuerID != s.school.org.ID || st.Type != b.Type {
		t.Errorf("status of an untouched member = %+v, want derived from the batch", st)
	}
	_, err = s.enterprise.issuer.GetCredential(ctx, member)
	wantCode(t, err, eduledger.ENOTFOUND) // no record until its status changes

	_, err = s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})
	wantCode(t, err, eduledger.ENOTFOUND) // without the batch root the ledger cannot know the credential
	_, err = s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, BatchRoot: randomHex(32), Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview})
	wantCode(t, err, eduledger.ENOTFOUND)
	_, err = s.school2.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, BatchRoot: b.Root, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
	wantCode(t, err, eduledger.EFORBIDDEN)

	rec := must(s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, BatchRoot: b.Root,
		Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview, Note: "transcript under audit"}))(t)
	if rec.Status != eduledger.StatusSuspended || rec.BatchRoot != b.Root || rec.Digest != "" || rec.StatusNote != "transcript under audit" || rec.StatusChangedAt.IsZero() {
		t.Fatalf("member status record = %+v", rec)
	}
	if r := must(s.enterprise.issuer.GetCredential(ctx, member))(t); !sameAnchor(r, rec) {
		t.Errorf("GetCredential after the change = %+v, want %+v", r, rec)
	}
	if r := must(s.enterprise.issuer.GetCredentialStatus(ctx, member, b.Root))(t); r.Status != eduledger.StatusSuspended {
		t.Errorf("GetCredentialStatus after the change = %+v", r)
	}
	other := must(s.school.issuer.AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 2, Type: eduledger.TypeDiploma,
		IssuerID: s.school.org.ID, IssuedAt: hoursFromNow(-0.1)}))(t)
	_, err = s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: member, BatchRoot: other.Root, Status: eduledger.StatusActive, Reason: eduledger.ReasonReinstated})
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = s.enterprise.issuer.GetCredentialStatus(ctx, member, other.Root)
	wantCode(t, err, eduledger.ECONFLICT)
	// The member's record now lists under its issuer.
	if !listsCredential(t, s.enterprise.issuer, s.school.org.ID, member) {
		t.Errorf("ListCredentialsByIssuer misses the batch member's status record")
	}

	t.Run("batches that break a rule are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			client *ledger.Client
			b      eduledger.BatchAnchor
			code   string
		}{
			{"an empty batch", s.school.issuer, eduledger.BatchAnchor{Root: randomHex(32), Count: 0, Type: eduledger.TypeDiploma, IssuerID: s.school.org.ID, IssuedAt: hoursFromNow(-0.1)}, eduledger.EINVALID},
			{"a type without accreditation", s.school.issuer, eduledger.BatchAnchor{Root: randomHex(32), Count: 3, Type: eduledger.TypeCertificate, IssuerID: s.school.org.ID, IssuedAt: hoursFromNow(-0.1)}, eduledger.EFORBIDDEN},
			{"another organisation's batch", s.school2.issuer, eduledger.BatchAnchor{Root: randomHex(32), Count: 3, Type: eduledger.TypeDiploma, IssuerID: s.school.org.ID, IssuedAt: hoursFromNow(-0.1)}, eduledger.EFORBIDDEN},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.client.AnchorBatch(ctx, &tc.b)
				wantCode(t, err, tc.code)
			})
		}
	})
}

func (s *suite) testStatusChanges(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "status-learner")
	a := s.anchor(t, s.school, l.ID, eduledger.TypeDiploma)
	change := func(c *ledger.Client, st eduledger.CredentialStatus, reason string) (*eduledger.CredentialAnchor, error) {
		return c.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: a.ID, Status: st, Reason: reason})
	}
	for _, step := range []struct {
		name   string
		client *ledger.Client
		status eduledger.CredentialStatus
		reason string
		code   string
	}{
		{"the issuer role may not change status", s.school.issuer, eduledger.StatusSuspended, eduledger.ReasonUnderReview, eduledger.EFORBIDDEN},
		{"another school's registrar may not", s.school2.registrar, eduledger.StatusRevoked, eduledger.ReasonFraud, eduledger.EFORBIDDEN},
		{"making an ACTIVE credential ACTIVE conflicts", s.school.registrar, eduledger.StatusActive, eduledger.ReasonReinstated, eduledger.ECONFLICT},
		{"the registrar suspends it", s.school.registrar, eduledger.StatusSuspended, eduledger.ReasonUnderReview, ""},
		{"suspending it twice conflicts", s.school.registrar, eduledger.StatusSuspended, eduledger.ReasonDisciplinary, eduledger.ECONFLICT},
		{"reactivating needs the REINSTATED reason", s.school.registrar, eduledger.StatusActive, eduledger.ReasonFraud, eduledger.EINVALID},
		{"the admin reinstates it", s.school.admin, eduledger.StatusActive, eduledger.ReasonReinstated, ""},
		{"the governing admin may not merely suspend", s.govAdmin, eduledger.StatusSuspended, eduledger.ReasonUnderReview, eduledger.EFORBIDDEN},
		{"an unknown reason is refused", s.school.registrar, eduledger.StatusRevoked, "BECAUSE", eduledger.EINVALID},
		{"the governing admin revokes it", s.govAdmin, eduledger.StatusRevoked, eduledger.ReasonFraud, ""},
		{"a revoked credential cannot be reinstated", s.school.registrar, eduledger.StatusActive, eduledger.ReasonReinstated, eduledger.ECONFLICT},
		{"nor suspended", s.school.admin, eduledger.StatusSuspended, eduledger.ReasonUnderReview, eduledger.ECONFLICT},
	} {
		t.Run(step.name, func(t *testing.T) {
			got, err := change(step.client, step.status, step.reason)
			wantCode(t, err, step.code)
			if err == nil && (got.Status != step.status || got.StatusReason != step.reason || got.StatusChangedAt.IsZero() || got.Digest != a.Digest) {
				t.Errorf("after the change: %+v", got)
			}
		})
	}
	if r := must(s.enterprise.issuer.GetCredential(ctx, a.ID))(t); r.Status != eduledger.StatusRevoked || r.StatusReason != eduledger.ReasonFraud {
		t.Errorf("final record = %+v, want REVOKED for FRAUD", r)
	}
	// The issuing school's own registrar may revoke too.
	b := s.anchor(t, s.school, l.ID, eduledger.TypeDegree)
	if r := must(s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: b.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonIssuedInError}))(t); r.Status != eduledger.StatusRevoked {
		t.Errorf("revoked by the registrar = %+v", r)
	}
	_, err := s.school.registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: "urn:uuid:" + uuid(), Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
	wantCode(t, err, eduledger.ENOTFOUND)
}

// sameAnchor compares two records, times by instant.
func sameAnchor(a, b *eduledger.CredentialAnchor) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	if !x.IssuedAt.Equal(y.IssuedAt) || !x.ValidUntil.Equal(y.ValidUntil) || !x.AnchoredAt.Equal(y.AnchoredAt) || !x.StatusChangedAt.Equal(y.StatusChangedAt) {
		return false
	}
	x.IssuedAt, x.ValidUntil, x.AnchoredAt, x.StatusChangedAt = y.IssuedAt, y.ValidUntil, y.AnchoredAt, y.StatusChangedAt
	return x == y
}

// listsCredential pages through an issuer's credentials looking for id.
func listsCredential(t testing.TB, c *ledger.Client, issuerID, id string) bool {
	t.Helper()
	bookmark := ""
	for {
		p := must(c.ListCredentialsByIssuer(t.Context(), issuerID, eduledger.MaxPageSize, bookmark))(t)
		for _, a := range p.Items {
			if a.ID == id {
				return true
			}
		}
		if p.Bookmark == "" || len(p.Items) == 0 {
			return false
		}
		bookmark = p.Bookmark
	}
}
