package card

import (
	"bytes"
	"errors"
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
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil || m.Bounds().Dx() != Width || m.Bounds().Dy() != Height {
		t.Fatalf("the card is not a %dx%d PNG: %v", Width, Height, err)
	}
	t.Logf("cards in %s", dir)
}

func TestAFontWithoutChineseGlyphsIsRefused(t *testing.T) {
	const latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	if _, err := os.Stat(latin); err != nil {
		t.Skip("DejaVu Sans is not installed")
	}
	if _, err := NewRenderer(latin); !errors.Is(err, ErrNoCJK) {
		t.Fatalf("NewRenderer(DejaVu Sans) = %v, want ErrNoCJK", err)
	}
	if _, err := NewRenderer(filepath.Join(t.TempDir(), "none.ttf")); err == nil {
		t.Fatal("a missing font was accepted")
	}
}

// TestTheQRCodeCarriesTheLinkModuleForModule reads the PNG back and compares every module with
// the encoder's: the quiet zone and scaling must not shift or drop any.
func TestTheQRCodeCarriesTheLinkModuleForModule(t *testing.T) {
	link := "http://127.0.0.1:8081/v?d=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&id=urn%3Auuid%3A4f1c9a2e-8b1d-4c3e-9a55-0c6d2b7f1e10"
	for _, scale := range []int{1, 3, 8} {
		b, err := QRPNG(link, scale)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		code, _ := qr.Encode(link, qr.M)
		if m.Bounds().Dx() != (code.Size+8)*scale {
			t.Fatalf("scale %d: %d pixels wide, want %d", scale, m.Bounds().Dx(), (code.Size+8)*scale)
		}
		for y := -4; y < code.Size+4; y++ {
			for x := -4; x < code.Size+4; x++ {
				r, _, _, _ := m.At((x+4)*scale+scale/2, (y+4)*scale+scale/2).RGBA()
				if black := r < 0x8000; black != code.Black(x, y) {
					t.Fatalf("scale %d: module (%d,%d) is black=%t, want %t", scale, x, y, black, code.Black(x, y))
				}
			}
		}
	}
	if _, err := QRPNG(link, 0); err == nil {
		t.Fatal("scale 0 was accepted")
	}
}
