package ledgertest

import (
	"testing"
	"time"

	"github.com/eduledger/eduledger"
)

func (s *suite) testAccreditationWindows(t *testing.T) {
	ctx := t.Context()
	training := s.admit(t, "training", eduledger.KindTraining, SchoolMSP)
	ct := eduledger.TypeTrainingCertificate
	anchorBatch := func() error {
		_, err := training.issuer.AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 10, Type: ct,
			IssuerID: training.org.ID, IssuedAt: hoursFromNow(-0.01)})
		return err
	}
	check := func(at time.Time) *eduledger.AccreditationCheck {
		t.Helper()
		return must(s.school.issuer.CheckAccreditation(ctx, training.org.ID, ct, at))(t)
	}

	wantCode(t, anchorBatch(), eduledger.EFORBIDDEN) // never accredited

	future := s.accredit(t, training.org.ID, ct, hoursFromNow(1), hoursFromNow(3))
	wantCode(t, anchorBatch(), eduledger.EFORBIDDEN)
	if c := check(hoursFromNow(2)); !c.Accredited || c.Accreditation == nil || c.Accreditation.ID != future.ID {
		t.Errorf("two hours from now: %+v, want accredited by %s", c, future.ID)
	}
	if c := check(hoursFromNow(4)); c.Accredited {
		t.Errorf("after the window: %+v, want not accredited", c)
	}

	past := s.accredit(t, training.org.ID, ct, hoursFromNow(-3), hoursFromNow(-2))
	wantCode(t, anchorBatch(), eduledger.EFORBIDDEN)
	if c := check(hoursFromNow(-2.5)); !c.Accredited || c.Accreditation.ID != past.ID {
		t.Errorf("inside the past window: %+v, want accredited by %s", c, past.ID)
	}
	if c := check(zeroTime); c.Accredited || c.At.IsZero() {
		t.Errorf("now: %+v, want not accredited, at = the ledger's time", c)
	}

	current := s.accredit(t, training.org.ID, ct, hoursFromNow(-1), zeroTime)
	if current.ID == "" || current.GrantedBy != s.gov.ID || current.GrantedAt.IsZero() {
		t.Fatalf("granted = %+v; want an ID, grantedBy %s and grantedAt", current, s.gov.ID)
	}
	if err := anchorBatch(); err != nil {
		t.Fatalf("anchor while accredited: %v", err)
	}
	if c := check(zeroTime); !c.Accredited || c.Accreditation.ID != current.ID {
		t.Errorf("now: %+v, want accredited by %s", c, current.ID)
	}

	withdrawn := must(s.govAdmin.WithdrawAccreditation(ctx, training.org.ID, current.ID, "licence lapsed"))(t)
	if withdrawn.WithdrawnAt.IsZero() || withdrawn.WithdrawnReason != "licence lapsed" {
		t.Fatalf("withdrawn = %+v", withdrawn)
	}
	wantCode(t, anchorBatch(), eduledger.EFORBIDDEN)
	if c := check(withdrawn.WithdrawnAt.Add(-time.Millisecond)); !c.Accredited {
		t.Errorf("just before the withdrawal: %+v, want still accredited (history is kept)", c)
	}
	if c := check(withdrawn.WithdrawnAt); c.Accredited {
		t.Errorf("at the withdrawal: %+v, want not accredited", c)
	}
	_, err := s.govAdmin.WithdrawAccreditation(ctx, training.org.ID, current.ID, "again")
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = s.govAdmin.WithdrawAccreditation(ctx, training.org.ID, "acc-0000000000000000", "none")
	wantCode(t, err, eduledger.ENOTFOUND)

	h := must(s.school.issuer.GetAccreditationHistory(ctx, training.org.ID, current.ID))(t)
	if len(h) != 2 || h[0].Value.WithdrawnAt.IsZero() || !h[1].Value.WithdrawnAt.IsZero() {
		t.Errorf("history = %+v, want the withdrawal then the grant", h)
	}

	list := must(s.school.issuer.ListAccreditations(ctx, training.org.ID, eduledger.MaxPageSize, ""))(t)
	ids := map[string]bool{}
	for _, a := range list.Items {
		ids[a.ID] = true
	}
	for _, a := range []*eduledger.Accreditation{future, past, current} {
		if !ids[a.ID] {
			t.Errorf("ListAccreditations misses %s", a.ID)
		}
	}

	t.Run("only the governing organisation's admin may grant or withdraw", func(t *testing.T) {
		for _, c := range []*orgFixture{s.school, training} {
			_, err := c.admin.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: training.org.ID, CredentialType: ct, ValidFrom: hoursFromNow(-1)})
			wantCode(t, err, eduledger.EFORBIDDEN)
			_, err = c.admin.WithdrawAccreditation(ctx, training.org.ID, future.ID, "no")
			wantCode(t, err, eduledger.EFORBIDDEN)
		}
	})
	t.Run("bad grants are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			a    eduledger.Accreditation
			code string
		}{
			{"unknown organisation", eduledger.Accreditation{OrgID: s.id("nobody"), CredentialType: ct, ValidFrom: hoursFromNow(-1)}, eduledger.ENOTFOUND},
			{"unknown credential type", eduledger.Accreditation{OrgID: training.org.ID, CredentialType: "Badge", ValidFrom: hoursFromNow(-1)}, eduledger.EINVALID},
			{"window ending before it starts", eduledger.Accreditation{OrgID: training.org.ID, CredentialType: ct, ValidFrom: hoursFromNow(1), ValidUntil: hoursFromNow(-1)}, eduledger.EINVALID},
			{"no start", eduledger.Accreditation{OrgID: training.org.ID, CredentialType: ct}, eduledger.EINVALID},
			{"an ID chosen by the caller", eduledger.Accreditation{ID: "mine", OrgID: training.org.ID, CredentialType: ct, ValidFrom: hoursFromNow(-1)}, eduledger.EINVALID},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.govAdmin.GrantAccreditation(ctx, &tc.a)
				wantCode(t, err, tc.code)
			})
		}
	})
}
