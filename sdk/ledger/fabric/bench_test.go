package fabric_test

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/ledger"
)

// runClients runs b.N operations spread over clients goroutines and reports committed tx/s.
func runClients(b *testing.B, clients int, op func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := op(i); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
}

// BenchmarkFabricPut is the baseline: a trivial put (one PutState, one event) through the gateway.
func BenchmarkFabricPut(b *testing.B) {
	l := kvClient(b, "school")
	prefix := unique("bench")
	for _, clients := range []int{1, 32} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			runClients(b, clients, func(i int) error {
				_, err := l.Submit(b.Context(), &ledger.Transaction{Function: "Put", Args: []string{prefix + strconv.Itoa(clients) + "-" + strconv.Itoa(i), "v"}})
				return err
			})
		})
	}
}

// BenchmarkFabricAnchor anchors single credentials through EduLedger's chaincode on the same network.
func BenchmarkFabricAnchor(b *testing.B) {
	issuer, orgID, learnerID := issuingSchoolTB(b)
	for _, clients := range []int{1, 32} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			runClients(b, clients, func(int) error {
				_, err := issuer.AnchorCredential(b.Context(), &eduledger.CredentialAnchor{ID: "urn:uuid:" + uuidV4(), Type: eduledger.TypeDiploma,
					IssuerID: orgID, LearnerID: learnerID, Digest: randomHex(32), IssuedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)})
				return err
			})
		})
	}
}

// BenchmarkFabricStatusQuery measures the latency of a credential status lookup (an evaluation
// through the gateway) and reports p50 and p99.
func BenchmarkFabricStatusQuery(b *testing.B) {
	issuer, orgID, learnerID := issuingSchoolTB(b)
	a, err := issuer.AnchorCredential(b.Context(), &eduledger.CredentialAnchor{ID: "urn:uuid:" + uuidV4(), Type: eduledger.TypeDiploma,
		IssuerID: orgID, LearnerID: learnerID, Digest: randomHex(32), IssuedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)})
	if err != nil {
		b.Fatal(err)
	}
	verifier := staffClient(b, "GovMSP", "edu-bureau", eduledger.StaffRegistrar)
	for range 5 { // let the verifier's peer commit the block and warm the connection
		if _, err = verifier.GetCredentialStatus(b.Context(), a.ID, ""); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := verifier.GetCredentialStatus(b.Context(), a.ID, ""); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkFabricBatchAnchor anchors Merkle roots of 10,000 credentials each: the ledger's share
// of batch issuance, in credentials per second (signing the credentials is measured elsewhere).
func BenchmarkFabricBatchAnchor(b *testing.B) {
	issuer, orgID, _ := issuingSchoolTB(b)
	const size = 10000
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := issuer.AnchorBatch(b.Context(), &eduledger.BatchAnchor{Root: randomHex(32), Count: size, Type: eduledger.TypeDiploma,
			IssuerID: orgID, IssuedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "credentials/s")
}
