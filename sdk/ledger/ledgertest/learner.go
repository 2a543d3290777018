package ledgertest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func (s *suite) testLearners(t *testing.T) {
	ctx := t.Context()
	reg := s.school.registrar
	p := newPersonal()
	l := s.learnerFor("alice", p)

	got := must(reg.RegisterLearner(ctx, l, p))(t)
	if got.RegisteredBy != s.school.org.ID || got.Status != eduledger.LearnerActive || got.RegisteredAt.IsZero() {
		t.Fatalf("registered = %+v", got)
	}
	_, err := reg.RegisterLearner(ctx, l, p)
	wantCode(t, err, eduledger.ECONFLICT)

	// The public record, read raw, holds nothing that identifies the learner.
	raw, err := s.enterprise.issuer.Ledger().Evaluate(ctx, &ledger.Transaction{Function: "GetLearner", Args: []string{l.ID}})
	if err != nil {
		t.Fatal(err)
	}
	assertNoPersonalData(t, "the public learner record", raw, p)
	pub := must(s.enterprise.issuer.GetLearner(ctx, l.ID))(t)
	if pub.PersonalDataCommitment != p.Commitment() || !slices.Equal(pub.Roles, l.Roles) || pub.PortraitHash != l.PortraitHash {
		t.Errorf("GetLearner = %+v", pub)
	}

	if pd := must(reg.GetPersonalData(ctx, l.ID))(t); *pd != *p {
		t.Errorf("GetPersonalData = %+v, want what was registered", pd)
	}
	if pd := must(s.school.admin.GetPersonalData(ctx, l.ID))(t); *pd != *p {
		t.Errorf("GetPersonalData as admin = %+v", pd)
	}
	for _, c := range []struct {
		who    string
		client *ledger.Client
	}{
		{"the registering school's issuer", s.school.issuer},
		{"another school on the same MSP", s.school2.registrar},
		{"an enterprise", s.enterprise.registrar},
		{"the governing organisation", s.govAdmin},
	} {
		if _, err := c.client.GetPersonalData(ctx, l.ID); eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
			t.Errorf("%s reading personal data: got %v, want FORBIDDEN", c.who, err)
		}
	}

	t.Run("registrations are refused when they break a rule", func(t *testing.T) {
		other := newPersonal()
		for _, tc := range []struct {
			name     string
			client   *ledger.Client
			learner  *eduledger.Learner
			personal *eduledger.PersonalData
			code     string
		}{
			{"personal data that does not match the commitment", reg, s.learnerFor("bob", p), other, eduledger.EINVALID},
			{"personal data without a salt", reg, s.learnerFor("bob", &eduledger.PersonalData{Name: "x", NationalID: "y"}), &eduledger.PersonalData{Name: "x", NationalID: "y"}, eduledger.EINVALID},
			{"an enterprise registrar", s.enterprise.registrar, s.learnerFor("bob", other), other, eduledger.EFORBIDDEN},
			{"a school issuer", s.school.issuer, s.learnerFor("bob", other), other, eduledger.EFORBIDDEN},
			{"an unknown role", reg, &eduledger.Learner{ID: s.id("bob"), Roles: []eduledger.LearnerRole{"DEAN"}, PersonalDataCommitment: other.Commitment()}, other, eduledger.EINVALID},
			{"a holder key that is not a Multikey", reg, &eduledger.Learner{ID: s.id("bob"), Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, HolderKeys: []string{"zzzz"}, PersonalDataCommitment: other.Commitment()}, other, eduledger.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.client.RegisterLearner(ctx, tc.learner, tc.personal)
				wantCode(t, err, tc.code)
			})
		}
		// Without the transient personal data at all.
		b, _ := json.Marshal(s.learnerFor("bob", other))
		_, err := reg.Ledger().Submit(ctx, &ledger.Transaction{Function: "RegisterLearner", Args: []string{string(b)}})
		wantCode(t, err, eduledger.EINVALID)
		_, err = reg.GetLearner(ctx, s.id("bob"))
		wantCode(t, err, eduledger.ENOTFOUND)
	})

	graduate := []eduledger.LearnerRole{eduledger.RoleGraduate}
	_, err = s.school2.registrar.UpdateLearnerRoles(ctx, l.ID, graduate)
	wantCode(t, err, eduledger.EFORBIDDEN)
	if g := must(reg.UpdateLearnerRoles(ctx, l.ID, graduate))(t); !slices.Equal(g.Roles, graduate) {
		t.Errorf("roles after graduation = %v", g.Roles)
	}
	_, err = reg.UpdateLearnerRoles(ctx, l.ID, nil)
	wantCode(t, err, eduledger.EINVALID)
	newKey := ed25519Multikey()
	if g := must(reg.UpdateLearnerHolderKeys(ctx, l.ID, []string{newKey}))(t); !slices.Equal(g.HolderKeys, []string{newKey}) {
		t.Errorf("holder keys after update = %v", g.HolderKeys)
	}

	_, err = reg.SuspendLearner(ctx, l.ID, "")
	wantCode(t, err, eduledger.EINVALID)
	must(reg.SuspendLearner(ctx, l.ID, "identity under review"))(t)
	_, err = s.school.issuer.AnchorCredential(ctx, newAnchor(s.school, l.ID, eduledger.TypeDiploma))
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = reg.UpdateLearnerRoles(ctx, l.ID, []eduledger.LearnerRole{eduledger.RoleStudent})
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = reg.SuspendLearner(ctx, l.ID, "again")
	wantCode(t, err, eduledger.ECONFLICT)
	must(reg.ReinstateLearner(ctx, l.ID))(t)
	_, err = reg.ReinstateLearner(ctx, l.ID)
	wantCode(t, err, eduledger.ECONFLICT)
	s.anchor(t, s.school, l.ID, eduledger.TypeDiploma)

	h := must(s.enterprise.issuer.GetLearnerHistory(ctx, l.ID))(t)
	if len(h) != 5 {
		t.Fatalf("history has %d versions, want 5 (registered, graduated, new key, suspended, reinstated)", len(h))
	}
	if h[0].Value.Status != eduledger.LearnerActive || h[1].Value.Status != eduledger.LearnerSuspended || !slices.Equal(h[4].Value.Roles, l.Roles) {
		t.Errorf("history is not newest first: %+v", h)
	}
	for i, e := range h {
		b, _ := json.Marshal(e.Value)
		assertNoPersonalData(t, "learner history", b, p)
		if i > 0 && e.Timestamp.After(h[i-1].Timestamp) {
			t.Errorf("history[%d] is newer than history[%d]", i, i-1)
		}
	}
	_, err = reg.GetLearner(ctx, "no such learner")
	wantCode(t, err, eduledger.EINVALID)
	_, err = reg.GetLearner(ctx, s.id("nobody"))
	wantCode(t, err, eduledger.ENOTFOUND)
}

// assertNoPersonalData fails t if b contains any identifying field of p.
func assertNoPersonalData(t testing.TB, what string, b []byte, p *eduledger.PersonalData) {
	t.Helper()
	for _, v := range []string{p.Name, p.NationalID, p.PhotoRef, p.Salt} {
		if v != "" && strings.Contains(string(b), v) {
			t.Errorf("%s contains personal data %q", what, v)
		}
	}
}
