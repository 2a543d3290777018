package issuance

import (
	"context"
	"strings"
	"testing"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
)

func TestSmoke(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	learners := w.register(t, "S", 40)
	one, err := w.eng.IssueCredential(ctx, issuer, CredentialRequest{Type: eduledger.TypeDiploma, LearnerID: learners[0],
		Subject: credential.Subject{Achievement: &credential.Achievement{Name: credential.Text{Zh: "计算机", En: "CS"}},
			ActivityEndDate: mustDate("2026-06-30")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := w.verifyOffline(t, devnet.Riverside, one.Credential); !r.Verified {
		t.Fatalf("%+v", r.Failed())
	}
	job, err := w.eng.CreateJob(ctx, issuer, JobSpec{Format: FormatCSV, Type: eduledger.TypeDiploma, Body: strings.NewReader(diplomaCSV(learners))})
	if err != nil {
		t.Fatal(err)
	}
	j := w.waitJob(t, issuer, job.ID)
	if j.State != JobCompleted || j.Issued != 40 {
		t.Fatalf("%+v", j)
	}
	n := 0
	err = w.eng.ExportJob(ctx, issuer, job.ID, func(c *ExportedCredential) error {
		n++
		if r := w.verifyOffline(t, devnet.Riverside, c.Credential); !r.Verified {
			t.Fatalf("%+v", r.Failed())
		}
		return nil
	})
	if err != nil || n != 40 {
		t.Fatal(n, err)
	}
}
