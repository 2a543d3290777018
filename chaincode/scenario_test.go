package chaincode_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/chaincode"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// The conformance suite (sdk/ledger/ledgertest, run on the embedded ledger by its own test) covers
// every area against the wall clock. These scenarios pin the transaction time, so they can check
// the edges of every time window exactly.

func TestAccreditationWindowEdgesFollowTheTransactionTime(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	issuer := n.staff(t, acme, eduledger.StaffIssuer)
	from, until := epoch.Add(24*time.Hour), epoch.Add(48*time.Hour)
	acc, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: acme.id, CredentialType: eduledger.TypeTrainingCertificate, ValidFrom: from, ValidUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	batchAt := func(at time.Time) error {
		n.setTime(at)
		_, err := issuer.AnchorBatch(ctx, &eduledger.BatchAnchor{Root: randomHex(32), Count: 1, Type: eduledger.TypeTrainingCertificate, IssuerID: acme.id, IssuedAt: at})
		return err
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		code string
	}{
		{"a millisecond before the window opens is refused", from.Add(-time.Millisecond), eduledger.EFORBIDDEN},
		{"the first instant of the window is allowed", from, ""},
		{"the last millisecond of the window is allowed", until.Add(-time.Millisecond), ""},
		{"the instant the window closes is refused", until, eduledger.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, batchAt(tc.at), tc.code) })
	}

	// Withdrawn in the middle of the window: refused from that transaction's time on, while the
	// record of the earlier period stays.
	reopened, err := gov.GrantAccreditation(ctx, &eduledger.Accreditation{OrgID: acme.id, CredentialType: eduledger.TypeTrainingCertificate, ValidFrom: from.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	withdrawAt := from.Add(100 * time.Hour)
	n.setTime(withdrawAt)
	w, err := gov.WithdrawAccreditation(ctx, acme.id, reopened.ID, "licence suspended")
	if err != nil {
		t.Fatal(err)
	}
	if !w.WithdrawnAt.Equal(withdrawAt) {
		t.Fatalf("withdrawnAt = %s, want the transaction time %s", w.WithdrawnAt, withdrawAt)
	}
	wantCode(t, batchAt(withdrawAt.Add(time.Hour)), eduledger.EFORBIDDEN)
	for _, tc := range []struct {
		at   time.Time
		want string // accreditation ID in force, "" for none
	}{
		{from.Add(-time.Nanosecond), ""}, {from, acc.ID}, {until, ""},
		{withdrawAt.Add(-time.Nanosecond), reopened.ID}, {withdrawAt, ""},
	} {
		c, err := issuer.CheckAccreditation(ctx, acme.id, eduledger.TypeTrainingCertificate, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if c.Accreditation != nil {
			got = c.Accreditation.ID
		}
		if c.Accredited != (tc.want != "") || got != tc.want || !c.At.Equal(tc.at) {
			t.Errorf("at %s: %+v, want accreditation %q", tc.at.Format(time.RFC3339Nano), c, tc.want)
		}
	}
}

func TestAccreditationIDsDeriveFromTheTransaction(t *testing.T) {
	n := newWorld(t)
	gw := n.gateway(t, govMSP, bureau.id, eduledger.StaffAdmin)
	b, _ := json.Marshal(&eduledger.Accreditation{OrgID: lakeside.id, CredentialType: eduledger.TypeDegree, ValidFrom: epoch})
	r, err := gw.Submit(t.Context(), &ledger.Transaction{Function: "GrantAccreditation", Args: []string{string(b)}})
	if err != nil {
		t.Fatal(err)
	}
	var a eduledger.Accreditation
	if err := json.Unmarshal(r.Result, &a); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(r.TxID))
	if want := "acc-" + hex.EncodeToString(h[:8]); a.ID != want {
		t.Fatalf("accreditation ID %q, want %q derived from transaction %s", a.ID, want, r.TxID)
	}
}

func TestIssuedAtMayRunAheadOfTheTransactionByFiveMinutesAtMost(t *testing.T) {
	n := newWorld(t)
	l := n.registerLearner(t, riverside, "early-bird")
	issuer := n.staff(t, riverside, eduledger.StaffIssuer)
	at := epoch.Add(time.Hour)
	for _, tc := range []struct {
		name     string
		issuedAt time.Time
		code     string
	}{
		{"exactly five minutes ahead", at.Add(5 * time.Minute), ""},
		{"a millisecond more", at.Add(5*time.Minute + time.Millisecond), eduledger.EINVALID},
		{"a year in the past", at.AddDate(-1, 0, 0), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.setTime(at)
			_, err := issuer.AnchorCredential(t.Context(), anchorDoc(riverside, l.ID, eduledger.TypeDiploma, tc.issuedAt))
			wantCode(t, err, tc.code)
		})
	}
}

func TestKeyLifecycleTimesAreTheTransactionTimes(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	admin := n.staff(t, riverside, eduledger.StaffAdmin)
	registeredAt := epoch.Add(time.Hour)
	n.setTime(registeredAt)
	k1, err := admin.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: riverside.id, ID: "diploma-2026", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})
	if err != nil {
		t.Fatal(err)
	}
	if !k1.ValidFrom.Equal(registeredAt) || !k1.RegisteredAt.Equal(registeredAt) {
		t.Fatalf("registered key = %+v, want validFrom and registeredAt %s", k1, registeredAt)
	}
	rotatedAt := epoch.AddDate(0, 6, 0)
	n.setTime(rotatedAt)
	rot, err := admin.RotateIssuerKey(ctx, k1.ID, &eduledger.IssuerKey{OrgID: riverside.id, ID: "diploma-2027", Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Previous.ValidUntil.Equal(rotatedAt) || !rot.Current.ValidFrom.Equal(rotatedAt) {
		t.Fatalf("rotation = %+v, want the old key valid until and the new one from %s", rot, rotatedAt)
	}
	if !rot.Previous.ValidAt(rotatedAt.Add(-time.Nanosecond)) || rot.Previous.ValidAt(rotatedAt) || !rot.Current.ValidAt(rotatedAt) {
		t.Errorf("the old key must cover signatures up to the rotation and the new one from it: %+v", rot)
	}

	revokeAt := rotatedAt.Add(24 * time.Hour)
	n.setTime(revokeAt)
	_, err = admin.RevokeIssuerKey(ctx, riverside.id, rot.Current.ID, revokeAt.Add(2*time.Millisecond))
	wantCode(t, err, eduledger.EINVALID) // two milliseconds after the transaction time
	n.setTime(revokeAt)
	k, err := admin.RevokeIssuerKey(ctx, riverside.id, rot.Current.ID, revokeAt)
	if err != nil {
		t.Fatalf("revoking from the transaction time itself: %v", err)
	}
	if k.ValidAt(revokeAt) || !k.ValidAt(revokeAt.Add(-time.Nanosecond)) {
		t.Errorf("revoked key = %+v: signatures before the compromise count, at and after it not", k)
	}
}

func TestHistoryCarriesTransactionTimesNewestFirst(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	l := n.registerLearner(t, riverside, "historian")
	issuer, registrar := n.staff(t, riverside, eduledger.StaffIssuer), n.staff(t, riverside, eduledger.StaffRegistrar)
	times := []time.Time{epoch.Add(time.Hour), epoch.Add(2 * time.Hour), epoch.Add(3 * time.Hour)}
	n.setTime(times[0])
	a, err := issuer.AnchorCredential(ctx, anchorDoc(riverside, l.ID, eduledger.TypeDiploma, times[0]))
	if err != nil {
		t.Fatal(err)
	}
	n.setTime(times[1])
	if _, err := registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: a.ID, Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview}); err != nil {
		t.Fatal(err)
	}
	n.setTime(times[2])
	if _, err := registrar.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: a.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud}); err != nil {
		t.Fatal(err)
	}
	h, err := issuer.GetCredentialHistory(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("history has %d entries, want 3", len(h))
	}
	for i, e := range h {
		want := times[len(times)-1-i]
		if !e.Timestamp.Equal(want) {
			t.Errorf("history[%d] at %s, want %s", i, e.Timestamp, want)
		}
	}
	if !h[0].Value.StatusChangedAt.Equal(times[2]) || !h[2].Value.AnchoredAt.Equal(times[0]) {
		t.Errorf("record times: newest %+v, oldest %+v", h[0].Value, h[2].Value)
	}
}

func TestListsPageThroughManyRecords(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	admin := n.staff(t, acme, eduledger.StaffAdmin)
	var want []string
	for i := range 23 {
		k, err := admin.RegisterIssuerKey(ctx, &eduledger.IssuerKey{OrgID: acme.id, ID: "key-" + string(rune('a'+i)), Type: eduledger.KeyEd25519, PublicKeyMultibase: ed25519Key()})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, k.ID)
	}
	for _, size := range []int{1, 5, 10, 23, 24, eduledger.MaxPageSize} {
		var got []string
		var sizes []int
		bookmark := ""
		for {
			p, err := admin.ListIssuerKeys(ctx, acme.id, size, bookmark)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(p.Items))
			for _, k := range p.Items {
				got = append(got, k.ID)
			}
			if p.Bookmark == "" || len(sizes) > 30 {
				break
			}
			bookmark = p.Bookmark
		}
		if !slices.Equal(got, want) {
			t.Errorf("page size %d (pages of %v): got %v, want %v", size, sizes, got, want)
		}
		for i, s := range sizes[:len(sizes)-1] {
			if s != size {
				t.Errorf("page size %d: page %d holds %d items", size, i, s)
			}
		}
	}
}

// Two registrars change the same credential at once: exactly one change commits, the other is
// refused (by the chaincode or, when both were simulated on the same state, invalidated at commit
// with MVCC_READ_CONFLICT), and the record shows the winner.
func TestConcurrentStatusChangesOfOneCredentialLetExactlyOneWin(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	l := n.registerLearner(t, riverside, "contested")
	a, err := n.staff(t, riverside, eduledger.StaffIssuer).AnchorCredential(ctx, anchorDoc(riverside, l.ID, eduledger.TypeDiploma, epoch))
	if err != nil {
		t.Fatal(err)
	}
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		c := ledger.NewClient(n.gateway(t, schoolMSP, riverside.id, eduledger.StaffRegistrar))
		wg.Go(func() {
			_, errs[i] = c.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: a.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case eduledger.ErrorCode(err) != eduledger.ECONFLICT:
			t.Errorf("a losing change failed with %v, want CONFLICT", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d changes won, want exactly 1: %v", wins, errs)
	}
	h, err := n.staff(t, riverside, eduledger.StaffIssuer).GetCredentialHistory(ctx, a.ID)
	if err != nil || len(h) != 2 {
		t.Fatalf("history = %d entries, %v; want the anchoring and one revocation", len(h), err)
	}
}

// Anchors for different learners touch no common key, so many at once all commit.
func TestConcurrentAnchorsDoNotConflict(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	const clients = 32
	learners := make([]string, clients)
	for i := range learners {
		learners[i] = n.registerLearner(t, riverside, "many-"+string(rune('a'+i%26))+randomHex(2)).ID
	}
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i := range clients {
		c := ledger.NewClient(n.gateway(t, schoolMSP, riverside.id, eduledger.StaffIssuer))
		wg.Go(func() {
			for range 4 {
				if _, err := c.AnchorCredential(ctx, anchorDoc(riverside, learners[i], eduledger.TypeDiploma, epoch)); err != nil {
					errs[i] = errors.Join(errs[i], err)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent anchors failed: %v", err)
	}
	page, err := n.staff(t, riverside, eduledger.StaffIssuer).ListCredentialsByIssuer(ctx, riverside.id, eduledger.MaxPageSize, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != clients*4 {
		t.Fatalf("the issuer lists %d credentials, want %d", len(page.Items), clients*4)
	}
}

func TestAGoverningMSPKeepsOtherMSPsFromClaimingGovernance(t *testing.T) {
	n := newTestNet(t, chaincode.GoverningMSP(govMSP))
	ctx := t.Context()
	// A school's admin races the bureau with a GOVERNMENT organisation of the school's own MSP.
	rogue := org{"rogue-bureau", schoolMSP, eduledger.KindGovernment}
	_, err := n.staff(t, rogue, eduledger.StaffAdmin).InitLedger(ctx, rogue.document())
	wantCode(t, err, eduledger.EFORBIDDEN)
	if err != nil && !strings.Contains(err.Error(), "governed by an organisation of GovMSP") {
		t.Fatalf("the refusal does not say who governs: %v", err)
	}
	if _, err := n.staff(t, bureau, eduledger.StaffAdmin).GetGoverningOrganization(ctx); eduledger.ErrorCode(err) != eduledger.ENOTFOUND {
		t.Fatalf("after the refused claim the ledger is initialised: %v", err)
	}
	gov, err := n.staff(t, bureau, eduledger.StaffAdmin).InitLedger(ctx, bureau.document())
	if err != nil || gov.ID != bureau.id {
		t.Fatalf("the bureau's InitLedger = %+v, %v", gov, err)
	}
}
