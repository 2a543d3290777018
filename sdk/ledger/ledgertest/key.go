package ledgertest

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/multikey"
)

func mldsaMultikey(t testing.TB) string {
	pub, _, err := mldsa44.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := multikey.Encode(multikey.MLDSA44, pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

func (s *suite) testIssuerKeys(t *testing.T) {
	ctx := t.Context()
	org := s.school.org.ID
	admin := s.school.admin
	ed := &eduledger.IssuerKey{OrgID: org, ID: "ed-1", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()}
	pq := &eduledger.IssuerKey{OrgID: org, ID: "pq-1", Type: eduledger.KeyMLDSA44, PublicKeyMultibase: mldsaMultikey(t)}

	got := must(admin.RegisterIssuerKey(ctx, ed))(t)
	if got.ValidFrom.IsZero() || got.RegisteredAt.IsZero() || !got.ValidAt(time.Now()) {
		t.Fatalf("registered = %+v; want validFrom defaulted to now and valid now", got)
	}
	must(admin.RegisterIssuerKey(ctx, pq))(t)
	_, err := admin.RegisterIssuerKey(ctx, ed)
	wantCode(t, err, eduledger.ECONFLICT)

	t.Run("bad keys are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			k    eduledger.IssuerKey
		}{
			{"an Ed25519 Multikey declared ML-DSA-44", eduledger.IssuerKey{OrgID: org, ID: "x1", Type: eduledger.KeyMLDSA44, PublicKeyMultibase: ed.PublicKeyMultibase}},
			{"an ML-DSA-44 Multikey declared Ed25519", eduledger.IssuerKey{OrgID: org, ID: "x2", Type: eduledger.KeyEd25519, PublicKeyMultibase: pq.PublicKeyMultibase}},
			{"a truncated Multikey", eduledger.IssuerKey{OrgID: org, ID: "x3", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed.PublicKeyMultibase[:20]}},
			{"not base58btc", eduledger.IssuerKey{OrgID: org, ID: "x4", Type: eduledger.KeyEd25519, PublicKeyMultibase: "u" + ed.PublicKeyMultibase[1:]}},
			{"an unknown key type", eduledger.IssuerKey{OrgID: org, ID: "x5", Type: "RSA", PublicKeyMultibase: ed.PublicKeyMultibase}},
			{"an expiry already passed", eduledger.IssuerKey{OrgID: org, ID: "x6", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey(), ValidUntil: hoursFromNow(-1)}},
			{"a revocation set by the caller", eduledger.IssuerKey{OrgID: org, ID: "x7", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey(), RevokedAt: hoursFromNow(-1)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := admin.RegisterIssuerKey(ctx, &tc.k)
				wantCode(t, err, eduledger.EINVALID)
			})
		}
	})
	t.Run("only the organisation's own admin manages its keys", func(t *testing.T) {
		k := &eduledger.IssuerKey{OrgID: org, ID: "intruder", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()}
		for _, c := range []struct {
			who string
			f   *orgFixture
		}{{"its registrar", &orgFixture{admin: s.school.registrar}}, {"its issuer", &orgFixture{admin: s.school.issuer}},
			{"another school's admin on the same MSP", s.school2}, {"an enterprise admin", s.enterprise}} {
			_, err := c.f.admin.RegisterIssuerKey(ctx, k)
			if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
				t.Errorf("%s: register got %v, want FORBIDDEN", c.who, err)
			}
			_, err = c.f.admin.RevokeIssuerKey(ctx, org, ed.ID, hoursFromNow(-1))
			if eduledger.ErrorCode(err) != eduledger.EFORBIDDEN {
				t.Errorf("%s: revoke got %v, want FORBIDDEN", c.who, err)
			}
		}
	})

	next := &eduledger.IssuerKey{OrgID: org, ID: "ed-2", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()}
	_, err = admin.RotateIssuerKey(ctx, pq.ID, next)
	wantCode(t, err, eduledger.EINVALID) // an ML-DSA key cannot be succeeded by an Ed25519 one
	rot := must(admin.RotateIssuerKey(ctx, ed.ID, next))(t)
	if rot.Previous.SupersededBy != next.ID || rot.Previous.RevocationReason != eduledger.RevokedSuperseded ||
		rot.Previous.ValidUntil.IsZero() || !rot.Previous.RevokedAt.IsZero() {
		t.Fatalf("previous after rotation = %+v", rot.Previous)
	}
	if !rot.Previous.ValidAt(rot.Previous.ValidFrom) || rot.Previous.ValidAt(rot.Previous.ValidUntil) {
		t.Errorf("previous key must count up to the rotation and not after: %+v", rot.Previous)
	}
	if rot.Current.ID != next.ID || rot.Current.ValidFrom.IsZero() {
		t.Errorf("current after rotation = %+v", rot.Current)
	}
	if k := must(s.enterprise.issuer.GetIssuerKey(ctx, org, ed.ID))(t); k.SupersededBy != next.ID {
		t.Errorf("GetIssuerKey after rotation = %+v", k)
	}
	_, err = admin.RotateIssuerKey(ctx, ed.ID, &eduledger.IssuerKey{OrgID: org, ID: "ed-3", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()})
	wantCode(t, err, eduledger.ECONFLICT)
	_, err = admin.RotateIssuerKey(ctx, "missing", &eduledger.IssuerKey{OrgID: org, ID: "ed-4", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()})
	wantCode(t, err, eduledger.ENOTFOUND)

	// A key published two hours ago and found compromised ten minutes ago.
	old := must(admin.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: org, ID: "ed-old", Type: eduledger.KeyEd25519,
		PublicKeyMultibase: ed25519Multikey(), ValidFrom: hoursFromNow(-2)}))(t)
	compromisedAt := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Millisecond)
	_, err = admin.RevokeIssuerKey(ctx, org, old.ID, hoursFromNow(1))
	wantCode(t, err, eduledger.EINVALID) // revocation in the future
	revoked := must(admin.RevokeIssuerKey(ctx, org, old.ID, compromisedAt))(t)
	if !revoked.RevokedAt.Equal(compromisedAt) || revoked.RevocationReason != eduledger.RevokedCompromised {
		t.Fatalf("revoked = %+v", revoked)
	}
	if !revoked.ValidAt(compromisedAt.Add(-time.Minute)) {
		t.Errorf("signatures before the compromise must still count: %+v", revoked)
	}
	if revoked.ValidAt(compromisedAt) || revoked.ValidAt(time.Now()) {
		t.Errorf("signatures at or after the compromise must not count: %+v", revoked)
	}
	_, err = admin.RevokeIssuerKey(ctx, org, old.ID, compromisedAt.Add(time.Minute))
	wantCode(t, err, eduledger.ECONFLICT)
	earlier := must(admin.RevokeIssuerKey(ctx, org, old.ID, compromisedAt.Add(-time.Minute)))(t)
	if !earlier.RevokedAt.Equal(compromisedAt.Add(-time.Minute)) {
		t.Errorf("moving the revocation earlier gave %+v", earlier)
	}

	// A compromised key is revoked, not rotated.
	must(admin.RevokeIssuerKey(ctx, org, next.ID, time.Now().UTC().Add(-time.Second)))(t)
	_, err = admin.RotateIssuerKey(ctx, next.ID, &eduledger.IssuerKey{OrgID: org, ID: "ed-5", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Multikey()})
	wantCode(t, err, eduledger.ECONFLICT)

	page := must(s.enterprise.issuer.ListIssuerKeys(ctx, org, eduledger.MaxPageSize, ""))(t)
	found := map[string]bool{}
	for _, k := range page.Items {
		found[k.ID] = true
	}
	for _, id := range []string{ed.ID, pq.ID, next.ID, old.ID} {
		if !found[id] {
			t.Errorf("ListIssuerKeys misses %s", id)
		}
	}
	_, err = s.enterprise.issuer.GetIssuerKey(ctx, org, "nope")
	wantCode(t, err, eduledger.ENOTFOUND)
}
