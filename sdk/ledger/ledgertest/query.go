package ledgertest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

func (s *suite) testPagination(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "paged-learner")
	var want []string
	for range 7 {
		want = append(want, s.anchor(t, s.school, l.ID, eduledger.TypeTranscript).ID)
	}
	slices.Sort(want)

	var got []string
	var sizes []int
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatalf("pagination does not end: pages of %v so far", sizes)
		}
		p := must(s.enterprise.issuer.ListCredentialsByLearner(ctx, l.ID, 3, bookmark))(t)
		if len(p.Items) > 3 {
			t.Fatalf("a page of 3 holds %d items", len(p.Items))
		}
		sizes = append(sizes, len(p.Items))
		for _, a := range p.Items {
			got = append(got, a.ID)
			if a.LearnerID != l.ID {
				t.Errorf("learner %s's list holds %+v", l.ID, a)
			}
		}
		if p.Bookmark == "" || len(p.Items) == 0 {
			break
		}
		bookmark = p.Bookmark
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages (sizes %v) gave %v, want each credential once in ID order: %v", sizes, got, want)
	}

	t.Run("page sizes and bookmarks are checked", func(t *testing.T) {
		for _, size := range []int{0, -1, eduledger.MaxPageSize + 1} {
			_, err := s.enterprise.issuer.ListCredentialsByLearner(ctx, l.ID, size, "")
			wantCode(t, err, eduledger.EINVALID)
		}
		other := s.register(t, s.school, "paged-other")
		for range 2 {
			s.anchor(t, s.school, other.ID, eduledger.TypeTranscript)
		}
		p := must(s.enterprise.issuer.ListCredentialsByLearner(ctx, other.ID, 1, ""))(t)
		if p.Bookmark == "" {
			t.Fatal("a page of 1 out of 2 has no bookmark")
		}
		_, err := s.enterprise.issuer.ListCredentialsByLearner(ctx, l.ID, 3, p.Bookmark)
		wantCode(t, err, eduledger.EINVALID) // a bookmark from another learner's list
		_, err = s.enterprise.issuer.ListOrganizations(ctx, 3, p.Bookmark)
		wantCode(t, err, eduledger.EINVALID)
		_, err = s.enterprise.issuer.ListCredentialsByLearner(ctx, s.id("nobody"), 3, "")
		wantCode(t, err, eduledger.ENOTFOUND)
	})

	t.Run("the organisation list reaches this run's organisations", func(t *testing.T) {
		seen := map[string]bool{}
		bookmark := ""
		for {
			p := must(s.enterprise.issuer.ListOrganizations(ctx, 50, bookmark))(t)
			for _, o := range p.Items {
				if seen[o.ID] {
					t.Fatalf("organisation %s listed twice", o.ID)
				}
				seen[o.ID] = true
			}
			if p.Bookmark == "" || len(p.Items) == 0 {
				break
			}
			bookmark = p.Bookmark
		}
		for _, id := range []string{s.gov.ID, s.school.org.ID, s.school2.org.ID, s.enterprise.org.ID} {
			if !seen[id] {
				t.Errorf("ListOrganizations never returned %s", id)
			}
		}
	})
}

func (s *suite) testHistory(t *testing.T) {
	ctx := t.Context()
	l := s.register(t, s.school, "history-learner")
	a := s.anchor(t, s.school, l.ID, eduledger.TypeDiploma)
	steps := []eduledger.StatusChange{
		{CredentialID: a.ID, Status: eduledger.StatusSuspended, Reason: eduledger.ReasonUnderReview},
		{CredentialID: a.ID, Status: eduledger.StatusActive, Reason: eduledger.ReasonReinstated},
		{CredentialID: a.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonSuperseded},
	}
	for _, c := range steps {
		must(s.school.registrar.ChangeCredentialStatus(ctx, &c))(t)
	}
	h := must(s.enterprise.issuer.GetCredentialHistory(ctx, a.ID))(t)
	want := []eduledger.CredentialStatus{eduledger.StatusRevoked, eduledger.StatusActive, eduledger.StatusSuspended, eduledger.StatusActive}
	if len(h) != len(want) {
		t.Fatalf("history has %d versions, want %d", len(h), len(want))
	}
	txs := map[string]bool{}
	for i, e := range h {
		if e.Value == nil || e.Value.Status != want[i] || e.IsDelete {
			t.Errorf("history[%d] = %+v, want status %s", i, e.Value, want[i])
		}
		if e.TxID == "" || txs[e.TxID] {
			t.Errorf("history[%d] has transaction ID %q, empty or repeated", i, e.TxID)
		}
		txs[e.TxID] = true
		if i > 0 && e.Timestamp.After(h[i-1].Timestamp) {
			t.Errorf("history[%d] at %s is newer than history[%d] at %s", i, e.Timestamp, i-1, h[i-1].Timestamp)
		}
	}
	if h[len(h)-1].TxID != a.TxID {
		t.Errorf("the oldest version comes from %s, want the anchoring transaction %s", h[len(h)-1].TxID, a.TxID)
	}
	_, err := s.enterprise.issuer.GetCredentialHistory(ctx, "urn:uuid:"+uuid())
	wantCode(t, err, eduledger.ENOTFOUND)
}

func (s *suite) testEvents(t *testing.T) {
	ctx := t.Context()
	p := newPersonal()
	l := s.learnerFor("event-learner", p)
	reg := s.school.registrar.Ledger()
	lb, _ := json.Marshal(l)
	pb, _ := json.Marshal(p)
	first, err := reg.Submit(ctx, &ledger.Transaction{Function: "RegisterLearner", Args: []string{string(lb)},
		Transient: map[string][]byte{eduledger.TransientPersonalData: pb}})
	if err != nil {
		t.Fatal(err)
	}
	a := s.anchor(t, s.school, l.ID, eduledger.TypeDiploma)
	cb, _ := json.Marshal(&eduledger.StatusChange{CredentialID: a.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonFraud})
	last, err := reg.Submit(ctx, &ledger.Transaction{Function: "ChangeCredentialStatus", Args: []string{string(cb)}})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	events, err := s.enterprise.issuer.Ledger().Events(ctx, &ledger.Checkpoint{BlockNumber: first.BlockNumber})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := map[string]string{first.TxID: eduledger.EventLearnerRegistered, a.TxID: eduledger.EventCredentialAnchored,
		last.TxID: eduledger.EventCredentialStatusChanged}
	var order []string
	prevBlock := uint64(0)
	for ev := range events {
		if ev.BlockNumber < prevBlock {
			t.Errorf("event of block %d after block %d", ev.BlockNumber, prevBlock)
		}
		prevBlock = ev.BlockNumber
		assertNoPersonalData(t, "event "+ev.Name, ev.Payload, p)
		name, ours := wantNames[ev.TxID]
		if !ours {
			continue
		}
		if ev.Name != name {
			t.Errorf("transaction %s emitted %s, want %s", ev.TxID, ev.Name, name)
		}
		order = append(order, ev.TxID)
		if ev.TxID == last.TxID {
			var rec eduledger.CredentialAnchor
			if err := json.Unmarshal(ev.Payload, &rec); err != nil || rec.ID != a.ID || rec.Status != eduledger.StatusRevoked {
				t.Errorf("status change event payload = %s (%v), want the revoked record", ev.Payload, err)
			}
			if ev.BlockNumber != last.BlockNumber {
				t.Errorf("status change event in block %d, committed in block %d", ev.BlockNumber, last.BlockNumber)
			}
			break
		}
	}
	if !slices.Equal(order, []string{first.TxID, a.TxID, last.TxID}) {
		t.Fatalf("saw events of %v, want registration, anchoring and status change in commit order (ctx: %v)", order, ctx.Err())
	}
}
