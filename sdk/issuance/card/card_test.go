package card

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/eduledger/eduledger"
)

// artifactDir is where tests leave images for a person to look at: $EDULEDGER_ARTIFACTS, or the
// test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("EDULEDGER_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
	}
	return t.TempDir()
}

// requireFont returns a renderer with an installed CJK font; CI installs one (.ci/run), a
// developer without one gets a skip that says how to install it.
func requireFont(t *testing.T) *Renderer {
	t.Helper()
	path, ok := FindFont()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("no CJK font installed; .ci/run installs fonts-wqy-microhei")
		}
		t.Skip("no CJK font installed: apt-get install fonts-wqy-microhei")
	}
	r, err := NewRenderer(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func samplePortrait(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 358, 441))
	for y := range 441 {
		for x := range 358 {
			img.Set(x, y, color.RGBA{uint8(80 + x/4), uint8(120 + y/8), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRenderCard(t *testing.T) {
	r := requireFont(t)
	face := &Face{OrgZh: "滨江大学", OrgEn: "Riverside University", Name: "王小明", LearnerID: "L20260001",
		Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, DateOfBirth: "2004-05-01",
		ValidFrom: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), ValidUntil: time.Date(2030, 7, 1, 0, 0, 0, 0, time.UTC),
		CredentialID: "urn:uuid:4f1c9a2e-8b1d-4c3e-9a55-0c6d2b7f1e10", IssuerDID: "did:eduledger:org:riverside-university",
		PortraitHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Portrait: samplePortrait(t),
		Link:   "http://127.0.0.1:8081/v?d=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&id=urn%3Auuid%3A4f1c9a2e-8b1d-4c3e-9a55-0c6d2b7f1e10",
		Status: eduledger.StatusActive}
	b, err := r.PNG(face)
	if err != nil {
		t.Fatal(err)
	}
	dir := artifactDir(t)
	os.WriteFile(filepath.Join(dir, "card.png"), b, 0o644)
	face.Status = eduledger.StatusRevoked
	face.Portrait = nil
	b, _ = r.PNG(face)
	os.WriteFile(filepath.Join(dir, "card-revoked.png"), b, 0o644)
	t.Log(dir)
	_ = qr.M
}
