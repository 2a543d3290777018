package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/dataintegrity"
	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// long runs the exhaustive variants: go test ./sdk/credential -run AnyByte -args -long
var long = flag.Bool("long", false, "run the exhaustive variants (every byte of every proof)")

// tamperSample issues, for every type, one credential alone and one inside a batch of three.
func tamperSample(t *testing.T, f *fixture) (single, batched map[eduledger.CredentialType][]byte) {
	t.Helper()
	single, batched = map[eduledger.CredentialType][]byte{}, map[eduledger.CredentialType][]byte{}
	for _, typ := range eduledger.CredentialTypes {
		issued, err := f.issuer.Issue(sample(typ, 1))
		if err != nil {
			t.Fatal(err)
		}
		single[typ] = issued.JSON
		b, err := f.issuer.IssueBatch(context.Background(), []*Credential{sample(typ, 1), sample(typ, 2), sample(typ, 3)})
		if err != nil {
			t.Fatal(err)
		}
		batched[typ], _ = b.Credential(1)
	}
	return single, batched
}

type jsonPath []any // string keys and int indexes

func (p jsonPath) String() string { return jsoncanon.FieldPath(p...) }

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// walk calls fn for every value below the root, with its path.
func walk(v any, path jsonPath, fn func(jsonPath, any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(append(jsonPath{}, path...), k)
			fn(p, e)
			walk(e, p, fn)
		}
	case []any:
		for i, e := range x {
			p := append(append(jsonPath{}, path...), i)
			fn(p, e)
			walk(e, p, fn)
		}
	}
}

// edit applies op to the container holding path's last element in a copy of doc.
func edit(doc map[string]any, path jsonPath, op func(parent any, last any) any) map[string]any {
	root := deepCopy(doc).(map[string]any)
	var parent any = root
	for _, e := range path[:len(path)-1] {
		switch k := e.(type) {
		case string:
			parent = parent.(map[string]any)[k]
		case int:
			parent = parent.([]any)[k]
		}
	}
	replaced := op(parent, path[len(path)-1])
	if replaced != nil {
		// op replaced an array; write it back into its own parent.
		return edit(root, path[:len(path)-1], func(pp any, last any) any {
			setChild(pp, last, replaced)
			return nil
		})
	}
	return root
}

func setChild(parent, key, v any) {
	switch p := parent.(type) {
	case map[string]any:
		p[key.(string)] = v
	case []any:
		p[key.(int)] = v
	}
}

// changed returns a different value of the same kind.
func changed(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return "x"
		}
		r := []byte(x)
		r[len(r)-1] ^= 0x01
		if !utfOK(r) {
			return x + "x"
		}
		return string(r)
	case json.Number:
		return json.Number(string(x) + "1")
	case bool:
		return !x
	case nil:
		return "x"
	case map[string]any:
		return map[string]any{}
	case []any:
		return []any{}
	}
	return "x"
}

func utfOK(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

type mutation struct {
	name string
	path jsonPath
	doc  map[string]any
}

// mutations lists, for every field of doc: its value changed, the field removed, and a field
// added beside it (objects) or an element added (arrays).
func mutations(doc map[string]any) []mutation {
	var out []mutation
	add := func(name string, p jsonPath, d map[string]any) { out = append(out, mutation{name, p, d}) }
	walk(doc, nil, func(p jsonPath, v any) {
		switch v.(type) {
		case map[string]any, []any:
		default:
			add("changing "+p.String(), p, edit(doc, p, func(parent, last any) any {
				setChild(parent, last, changed(v))
				return nil
			}))
		}
		add("removing "+p.String(), p, edit(doc, p, func(parent, last any) any {
			switch pp := parent.(type) {
			case map[string]any:
				delete(pp, last.(string))
			case []any:
				i := last.(int)
				return append(append([]any{}, pp[:i]...), pp[i+1:]...)
			}
			return nil
		}))
		switch x := v.(type) {
		case map[string]any:
			add("adding a field to "+p.String(), p, edit(doc, append(p, "tamperedField"), func(parent, last any) any {
				parent.(map[string]any)["tamperedField"] = "x"
				return nil
			}))
		case []any:
			if len(x) > 0 {
				add("adding an element to "+p.String(), p, edit(doc, append(p, 0), func(parent, last any) any {
					arr := parent.([]any)
					return append(append([]any{}, arr...), deepCopy(arr[0]))
				}))
			}
		}
	})
	add("adding a top-level field", jsonPath{"tamperedField"}, edit(doc, jsonPath{"tamperedField"}, func(parent, last any) any {
		parent.(map[string]any)["tamperedField"] = "x"
		return nil
	}))
	return out
}

// proofIndex returns i when path is inside proof[i], or -1.
func proofIndex(p jsonPath) int {
	if len(p) >= 2 && p[0] == "proof" {
		if i, ok := p[1].(int); ok {
			return i
		}
	}
	if len(p) >= 1 && p[0] == "proof" {
		return -2 // the proof set itself
	}
	return -1
}

func failedChecks(rep *Report) map[string]bool {
	out := map[string]bool{}
	for _, c := range rep.Failed() {
		key := string(c.Name)
		if c.Proof != nil {
			key = fmt.Sprintf("%s[%d]", c.Name, c.Proof.Index)
		}
		out[key] = true
	}
	return out
}

// rightCheckFailed says whether a tampered credential failed where it should. A change outside
// the proofs must break the Ed25519 proof and the post-quantum proof (or, for a batch credential,
// the Merkle inclusion); the one exception, an extra @context entry, which eddsa-jcs-2022
// tolerates by design, must break the schema and the post-quantum proof. A change inside proof i
// must fail proof i's own check (its signature or Merkle inclusion) or the proof-set check.
func rightCheckFailed(rep *Report, m mutation, batched bool) (bool, string) {
	failed := failedChecks(rep)
	if rep.Verified {
		return false, "verified"
	}
	pq := "proof[1]"
	if batched {
		pq = "merkleInclusion[1]"
	}
	switch i := proofIndex(m.path); {
	case i == -1:
		if m.path[0] == "@context" && strings.HasPrefix(m.name, "adding") {
			return failed["schema"] && failed[pq], "schema and " + pq
		}
		return failed["proof[0]"] && failed[pq], "proof[0] and " + pq
	case i == -2:
		return failed["proofSet"] || failed["proof[0]"] || failed["proof[1]"], "proofSet"
	default:
		own := fmt.Sprintf("proof[%d]", i)
		merkle := fmt.Sprintf("merkleInclusion[%d]", i)
		return failed[own] || failed[merkle] || failed["proofSet"], own
	}
}

func TestEveryTamperingIsCaughtOnTheRightCheck(t *testing.T) {
	f := newFixture(t)
	single, batched := tamperSample(t, f)
	total := 0
	for _, typ := range eduledger.CredentialTypes {
		for _, kind := range []struct {
			name    string
			vc      []byte
			batched bool
		}{{"issued alone", single[typ], false}, {"issued in a batch", batched[typ], true}} {
			doc, err := jsoncanon.ParseObject(kind.vc, jsoncanon.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			muts := mutations(doc)
			t.Run(fmt.Sprintf("every change to a %s %s is caught", typ, kind.name), func(t *testing.T) {
				for _, m := range muts {
					out, err := jsoncanon.Append(nil, m.doc)
					if err != nil {
						t.Fatal(err)
					}
					rep := f.verifier.Verify(context.Background(), out)
					if ok, want := rightCheckFailed(rep, m, kind.batched); !ok {
						t.Errorf("%s: want %s to fail; failed: %v", m.name, want, failedChecks(rep))
					}
				}
			})
			total += len(muts)
		}
	}
	t.Logf("%d tamperings, all caught", total)
}

func TestSwappedProofsAreCaughtOnTheirCheck(t *testing.T) {
	f := newFixture(t)
	single, batched := tamperSample(t, f)
	b, _ := f.issuer.IssueBatch(context.Background(), []*Credential{sample(eduledger.TypeDiploma, 7), sample(eduledger.TypeDiploma, 8)})
	sameBatchA, _ := b.Credential(0)
	sameBatchB, _ := b.Credential(1)
	pairs := []struct {
		name string
		a, b []byte
	}{
		{"two diplomas issued alone", single[eduledger.TypeDiploma], single[eduledger.TypeDegree]},
		{"two credentials of one batch", sameBatchA, sameBatchB},
		{"credentials of two batches", batched[eduledger.TypeDiploma], batched[eduledger.TypeTranscript]},
		{"a batch credential and one issued alone", batched[eduledger.TypeCertificate], single[eduledger.TypeCertificate]},
	}
	for _, p := range pairs {
		for i := range 2 {
			t.Run(fmt.Sprintf("proof[%d] swapped between %s fails", i, p.name), func(t *testing.T) {
				da, _ := jsoncanon.ParseObject(p.a, jsoncanon.Limits{})
				db, _ := jsoncanon.ParseObject(p.b, jsoncanon.Limits{})
				da["proof"].([]any)[i] = db["proof"].([]any)[i]
				out, _ := jsoncanon.Append(nil, da)
				rep := f.verifier.Verify(context.Background(), out)
				failed := failedChecks(rep)
				own := fmt.Sprintf("proof[%d]", i)
				if rep.Verified || !(failed[own] || failed[fmt.Sprintf("merkleInclusion[%d]", i)] || failed["proofSet"]) {
					t.Errorf("failed checks %v", failed)
				}
			})
		}
	}
}

func TestAlteringAnyByteOfAProofIsCaught(t *testing.T) {
	f := newFixture(t)
	single, batched := tamperSample(t, f)
	stride := 29 // through proofValue and merklePath; every other byte is altered
	if *long {
		stride = 1
	}
	for _, typ := range eduledger.CredentialTypes {
		for _, vc := range [][]byte{single[typ], batched[typ]} {
			doc, _ := jsoncanon.ParseObject(vc, jsoncanon.Limits{})
			text, _ := jsoncanon.Append(nil, doc)
			for i, p := range doc["proof"].([]any) {
				proofText, _ := jsoncanon.Append(nil, p)
				start := bytes.Index(text, proofText)
				if start < 0 {
					t.Fatal("proof not found in the credential text")
				}
				t.Run(fmt.Sprintf("altering bytes of proof[%d] (%s) of a %s fails", i, p.(map[string]any)["cryptosuite"], typ), func(t *testing.T) {
					for j := 0; j < len(proofText); j++ {
						// Every byte of the signed proof options; a stride through the long values.
						if j%stride != 0 && !inOptions(proofText, j) {
							continue
						}
						deltas := []byte{0x01}
						if *long {
							deltas = []byte{0x01, 0x20, 0x80}
						}
						for _, delta := range deltas {
							altered := bytes.Clone(text)
							altered[start+j] ^= delta
							rep := f.verifier.Verify(context.Background(), altered)
							failed := failedChecks(rep)
							own, merkle := fmt.Sprintf("proof[%d]", i), fmt.Sprintf("merkleInclusion[%d]", i)
							if rep.Verified || !(failed["format"] || failed[own] || failed[merkle] || failed["proofSet"]) {
								t.Fatalf("byte %d (%q -> %q) altered: failed %v", j, proofText[j], proofText[j]^delta, failed)
							}
						}
					}
				})
			}
		}
	}
}

// inOptions reports whether byte j of a canonical proof lies outside its long values (proofValue,
// merklePath), which the default run samples with a stride.
func inOptions(proof []byte, j int) bool {
	for _, key := range []string{`"proofValue":"`, `"merklePath":[`} {
		if k := bytes.Index(proof, []byte(key)); k >= 0 {
			end := k + len(key) + bytes.IndexAny(proof[k+len(key):], `"]`)
			if j >= k+len(key) && j < end {
				return false
			}
		}
	}
	return true
}

// The proof set's structure is checked too.
func TestProofSetPolicyIsEnforced(t *testing.T) {
	f := newFixture(t)
	issued, _ := f.issuer.Issue(sample(eduledger.TypeDiploma, 1))
	doc, _ := jsoncanon.ParseObject(issued.JSON, jsoncanon.Limits{})
	proofs := doc["proof"].([]any)
	for name, set := range map[string]any{
		"only the Ed25519 proof":  []any{proofs[0]},
		"only the ML-DSA proof":   proofs[1],
		"the Ed25519 proof twice": []any{proofs[0], proofs[0]},
		"three proofs":            []any{proofs[0], proofs[1], proofs[0]},
	} {
		t.Run("a proof set with "+name+" fails the proof-set check", func(t *testing.T) {
			d := deepCopy(doc).(map[string]any)
			d["proof"] = set
			out, _ := jsoncanon.Append(nil, d)
			rep := f.verifier.Verify(context.Background(), out)
			if c, _ := rep.Check(CheckProofSet); rep.Verified || c.Status != Failed {
				t.Errorf("proof set check %+v", c)
			}
		})
	}
	t.Run("a proof by another organisation's key fails the proof-set check", func(t *testing.T) {
		other, _ := dataintegrity.NewEd25519Signer(eduledger.KeyDID("lakeside-college", "ed"), make([]byte, 64))
		_ = other
		d := deepCopy(doc).(map[string]any)
		d["proof"].([]any)[0].(map[string]any)["verificationMethod"] = eduledger.KeyDID("lakeside-college", "ed-2026")
		out, _ := jsoncanon.Append(nil, d)
		rep := f.verifier.Verify(context.Background(), out)
		if c, _ := rep.Check(CheckProofSet); rep.Verified || c.Status != Failed || !strings.Contains(c.Reason, "not a key of the issuer") {
			t.Errorf("proof set check %+v", c)
		}
	})
}
