package chaincode_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/eduledger/eduledger"
)

// TestNoPersonalDataReachesTheSharedLedger runs a full scenario with distinctive personal data
// and full learning records (results, assessments, notes, evidence) and then searches everything
// the shared ledger keeps — every block's transactions (arguments, stored proposals, write sets,
// responses, events), every public state key and value, and the raw block files — for any of it. The personal data and the full records must only exist as hashes
// in the hashed write set of the registering or recording MSP's implicit collection, and no
// transaction may read private data.
func TestNoPersonalDataReachesTheSharedLedger(t *testing.T) {
	n := newWorld(t)
	ctx := t.Context()
	people := []*eduledger.PersonalData{
		{Name: "欧阳娜娜", NationalID: "31010420051231002X", DateOfBirth: "2005-12-31", PhotoRef: "vault/portraits/ouyang-nana.jpg", Salt: randomHex(32)},
		{Name: "Quentin Okonkwo-Larsen", NationalID: "P77120945", DateOfBirth: "1998-02-28", PhotoRef: "vault/portraits/qol.png", Salt: randomHex(32)},
		{Name: "司马相如", NationalID: "330106199703150417", PhotoRef: "", Salt: randomHex(32)},
	}
	registrars := []org{riverside, sunrise, district}
	var learners []*eduledger.Learner
	for i, p := range people {
		o := registrars[i]
		l, err := n.staff(t, o, eduledger.StaffRegistrar).RegisterLearner(ctx, learnerDoc("privacy-"+string(rune('a'+i)), p), p)
		if err != nil {
			t.Fatalf("register %d: %v", i, err)
		}
		learners = append(learners, l)
		got, err := n.staff(t, o, eduledger.StaffRegistrar).GetPersonalData(ctx, l.ID)
		if err != nil || *got != *p {
			t.Fatalf("the registering organisation cannot read the data back: %+v, %v", got, err)
		}
	}
	// A registration refused for a commitment mismatch is never ordered, whatever it carried.
	stranger := &eduledger.PersonalData{Name: "Never Stored", NationalID: "X-NEVER-0001", Salt: randomHex(32)}
	_, err := n.staff(t, riverside, eduledger.StaffRegistrar).RegisterLearner(ctx, learnerDoc("privacy-x", people[0]), stranger)
	wantCode(t, err, eduledger.EINVALID)
	people = append(people, stranger)

	// Everything else a learner's life on the ledger involves.
	reg := n.staff(t, riverside, eduledger.StaffRegistrar)
	if _, err := reg.UpdateLearnerRoles(ctx, learners[0].ID, []eduledger.LearnerRole{eduledger.RoleGraduate}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.SuspendLearner(ctx, learners[0].ID, "identity check"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.ReinstateLearner(ctx, learners[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, l := range learners {
		a, err := n.staff(t, riverside, eduledger.StaffIssuer).AnchorCredential(ctx, anchorDoc(riverside, l.ID, eduledger.TypeDiploma, epoch))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.ChangeCredentialStatus(ctx, &eduledger.StatusChange{CredentialID: a.ID, Status: eduledger.StatusRevoked, Reason: eduledger.ReasonIssuedInError}); err != nil {
			t.Fatal(err)
		}
	}

	// A learning outcome of each learner, with a full record that must stay private, and the
	// credit bank's life around them.
	gov := n.staff(t, bureau, eduledger.StaffAdmin)
	if _, err := gov.PublishCreditRule(ctx, awardRule("privacy-awards", 1500)); err != nil {
		t.Fatal(err)
	}
	var details []*eduledger.LearningRecordDetail
	for i, l := range learners {
		r, d := recordDoc(riverside, l.ID, eduledger.RecordAward, epoch.Add(-time.Hour))
		d.Result = fmt.Sprintf("一等奖 first prize %d/%s", 97-i, randomHex(3))
		d.Assessment = "jury of " + randomHex(5)
		d.Notes = fmt.Sprintf("评语：表现优异 outstanding work %s", randomHex(5))
		d.Evidence = []string{"vault/awards/" + randomHex(6) + ".pdf"}
		r.Digest = d.Digest()
		if _, err := n.staff(t, riverside, eduledger.StaffIssuer).RecordLearningOutcome(ctx, r, d); err != nil {
			t.Fatal(err)
		}
		details = append(details, d)
		if got, err := n.staff(t, riverside, eduledger.StaffRegistrar).GetLearningRecordDetail(ctx, r.ID); err != nil || got.Digest() != d.Digest() {
			t.Fatalf("the recording school cannot read the full record back: %+v, %v", got, err)
		}
		if l.RegisteredBy == riverside.id {
			n.openAccount(t, riverside, l.ID)
			e := n.deposit(t, riverside, eduledger.StaffIssuer, l.ID, eduledger.SourceRecord, r.ID, "privacy-awards")
			if _, err := n.staff(t, riverside, eduledger.StaffRegistrar).RedeemCredits(ctx, redemption("privacy-"+l.ID, riverside, l.ID,
				eduledger.RedemptionPart{EntryID: e.ID, Amount: 1000})); err != nil {
				t.Fatal(err)
			}
		}
	}

	var needles [][]byte
	for _, d := range details {
		for _, s := range append([]string{d.Result, d.Assessment, d.Notes, d.Salt}, d.Evidence...) {
			needles = append(needles, []byte(s))
		}
	}
	for _, p := range people {
		for _, s := range []string{p.Name, p.NationalID, p.DateOfBirth, p.PhotoRef, p.Salt} {
			if s != "" {
				needles = append(needles, []byte(s))
			}
		}
	}
	scan := func(what string, b []byte) {
		t.Helper()
		for _, s := range needles {
			if bytes.Contains(b, s) {
				t.Errorf("%s contains personal data %q", what, s)
			}
		}
	}

	personalHashes := map[[32]byte]bool{}
	for _, p := range people[:3] {
		b, _ := json.Marshal(p)
		personalHashes[sha256.Sum256(b)] = true
	}
	detailHashes := map[[32]byte]bool{}
	for _, d := range details {
		b, _ := json.Marshal(d)
		detailHashes[sha256.Sum256(b)] = true
	}
	hashedWrites, detailWrites := 0, 0
	written := map[string]bool{}
	for num := range n.l.Height() {
		b, err := n.l.Block(num)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			where := "block " + tx.TxID
			for _, a := range tx.Args {
				scan(where+" argument", []byte(a))
			}
			if tx.SignedProposal != nil {
				raw, err := proto.Marshal(tx.SignedProposal)
				if err != nil {
					t.Fatal(err)
				}
				scan(where+" stored proposal", raw)
			}
			if tx.Response != nil {
				scan(where+" response", tx.Response.Payload)
				scan(where+" response message", []byte(tx.Response.Message))
			}
			if tx.Event != nil {
				scan(where+" event "+tx.Event.Name, tx.Event.Payload)
			}
			if tx.RWSet == nil {
				continue
			}
			for _, w := range tx.RWSet.Writes {
				scan(where+" write key "+strconv.Quote(w.Key), []byte(w.Key))
				scan(where+" write value of "+strconv.Quote(w.Key), w.Value)
				written[w.Key] = true
			}
			for _, r := range tx.RWSet.Reads {
				scan(where+" read key", []byte(r.Key))
			}
			for _, c := range tx.RWSet.Collections {
				if len(c.Reads) > 0 {
					t.Errorf("%s (%s) reads private data in %s; endorsers outside the collection could not", where, tx.Function, c.Collection)
				}
				for _, w := range c.Writes {
					if detailHashes[w.ValueHash] {
						detailWrites++
						if tx.Function != "RecordLearningOutcome" || c.Collection != "_implicit_org_"+tx.CreatorMSP {
							t.Errorf("%s (%s by %s) writes a full learning record to %s", where, tx.Function, tx.CreatorMSP, c.Collection)
						}
					}
					if personalHashes[w.ValueHash] {
						hashedWrites++
						if tx.Function != "RegisterLearner" || c.Collection != "_implicit_org_"+tx.CreatorMSP {
							t.Errorf("%s (%s by %s) writes personal data to %s", where, tx.Function, tx.CreatorMSP, c.Collection)
						}
					}
				}
			}
		}
	}
	if hashedWrites != 3 {
		t.Errorf("found the hashes of %d registrations' personal data in the blocks, want 3", hashedWrites)
	}
	if detailWrites != len(details) {
		t.Errorf("found the hashes of %d full learning records in the blocks, want %d", detailWrites, len(details))
	}
	if len(written) < 20 {
		t.Fatalf("only %d keys written: the scenario did not run", len(written))
	}
	for k := range written {
		v, _, err := n.l.State(k)
		if err != nil {
			t.Fatalf("state %q: %v", k, err)
		}
		scan("state value of "+strconv.Quote(k), v)
	}

	files, err := filepath.Glob(filepath.Join(n.dir, "blocks", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no block files under %s (%v): the scan of raw blocks would prove nothing", n.dir, err)
	}
	total := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(raw)
		scan("block file "+filepath.Base(f), raw)
	}
	// The raw files must hold what the scan looks for in readable form, or finding nothing there
	// would prove nothing: the learners' public IDs are in them.
	if raw, _ := os.ReadFile(files[0]); !bytes.Contains(raw, []byte(learners[0].ID)) {
		t.Fatalf("block file %s does not show learner IDs in clear; the raw scan cannot see personal data either", files[0])
	}
}
