package api_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/api"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

// chromium returns Debian's chromium. Without it the test fails in CI (CI=true), where .ci/run
// installs it, and is skipped elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("EDULEDGER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package for this test")
	}
	t.Skip("skipped: chromium is not installed (apt-get install chromium); CI runs this test")
	return ""
}

// artifacts returns where the test saves its screenshots: $EDULEDGER_ARTIFACTS/verifier-page, or
// a temporary directory. The path is logged either way.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("EDULEDGER_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, "verifier-page")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts a headless chromium with a fresh profile and nothing that phones home.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser and ties its life to ctx, which has no deadline; steps get
	// their own deadlines (do).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs steps with a deadline.
func do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// value runs one step with a deadline and returns its value.
func value[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// page is what the test reads back from the page after a verification.
type page struct {
	verdict string
	title   string
	failed  []string
	passed  int
}

func readPage(ctx context.Context, want string) (*page, error) {
	if err := do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#verdict[data-verdict=%q]`, want)))); err != nil {
		return nil, fmt.Errorf("waiting for the verdict %s: %w", want, err)
	}
	p := &page{verdict: want}
	var err error
	if p.title, err = value(ctx, chromedp.Text(chromedp.CSS("#verdict-title"))); err != nil {
		return nil, err
	}
	failed, err := value(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#result-body .checks li[data-status="failed"]')).map(e => e.dataset.check).join(",")`))
	if err != nil {
		return nil, err
	}
	if failed != "" {
		p.failed = strings.Split(failed, ",")
	}
	p.passed, err = value(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#result-body .checks li[data-status="passed"]').length`))
	return p, err
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := value(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestThePageInAHeadlessBrowser(t *testing.T) {
	ctx := browser(t)
	dir := artifacts(t)
	s := serve(t, nil)
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	diploma := is.Issue(t, is.Diploma(l.ID))
	files := t.TempDir()
	valid, tampered := filepath.Join(files, "diploma.json"), filepath.Join(files, "diploma-tampered.json")
	if err := os.WriteFile(valid, diploma.JSON, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tampered, tamper(t, diploma.JSON), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := do(ctx, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#drop")), chromedp.Click(chromedp.CSS("#lang-en"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "0-start-en")

	t.Run("an uploaded valid diploma is verified", func(t *testing.T) {
		if err := do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{valid})); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Verified))
		screenshot(t, ctx, dir, "1-valid-en")
		if err != nil {
			t.Fatal(err)
		}
		if p.title != "Verified" || len(p.failed) != 0 || p.passed != 8 {
			t.Fatalf("page shows %+v", p)
		}
		if issuer, err := value(ctx, chromedp.Text(chromedp.CSS(".issuer-name"))); err != nil || issuer != "Riverside University" {
			t.Fatalf("issuer name on the page %q, %v", issuer, err)
		}
	})

	t.Run("an uploaded tampered diploma is not", func(t *testing.T) {
		if err := do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{tampered})); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.NotVerified))
		screenshot(t, ctx, dir, "2-tampered-en")
		if err != nil {
			t.Fatal(err)
		}
		failed := strings.Join(p.failed, ",")
		if p.title != "Not verified" || !strings.Contains(failed, "proofs") || !strings.Contains(failed, "anchor") {
			t.Fatalf("page shows %+v", p)
		}
	})

	t.Run("the verdict reads in Chinese after switching", func(t *testing.T) {
		if err := do(ctx, chromedp.Click(chromedp.CSS("#lang-zh"))); err != nil {
			t.Fatal(err)
		}
		title, err := value(ctx, chromedp.Text(chromedp.CSS("#verdict-title")))
		screenshot(t, ctx, dir, "3-tampered-zh")
		if err != nil || title != "未通过验证" {
			t.Fatalf("verdict title %q, %v", title, err)
		}
	})

	t.Run("a pasted credential is verified", func(t *testing.T) {
		if _, err := value(ctx, chromedp.Evaluate[bool](`document.getElementById("paste-box").open = true`)); err != nil {
			t.Fatal(err)
		}
		if err := do(ctx, chromedp.SetValue(chromedp.CSS("#paste"), string(diploma.JSON)), chromedp.Click(chromedp.CSS("#paste-verify"))); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Verified))
		screenshot(t, ctx, dir, "4-pasted-zh")
		if err != nil || p.title != "验证通过" {
			t.Fatalf("page shows %+v, %v", p, err)
		}
	})

	t.Run("an uploaded presentation shows the holder and each credential", func(t *testing.T) {
		card := is.Issue(t, is.IdentityCard(l)).JSON
		_, b := s.call(t, "GET", "/v1/challenge", "", nil)
		c := decode[verifier.Challenge](t, b)
		vp := filepath.Join(files, "presentation.json")
		if err := os.WriteFile(vp, verifiertest.Present(t, l, c.Challenge, c.Domain, card, diploma.JSON), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{vp})); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Verified))
		screenshot(t, ctx, dir, "5-presentation-zh")
		if err != nil {
			t.Fatal(err)
		}
		cards, err := value(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#result-body section.card").length`))
		if err != nil || p.title != "验证通过" || cards != 3 || p.passed != 3+8+8 {
			t.Fatalf("page shows %+v with %d cards, %v", p, cards, err)
		}
	})

	t.Run("a verification link opens the ledger's record", func(t *testing.T) {
		link := verifier.Link(s.URL, diploma.ID, diploma.Digest, "")
		if err := do(ctx, chromedp.Navigate(link)); err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Verified))
		screenshot(t, ctx, dir, "6-link-zh")
		if err != nil || p.title != "账本记录与链接一致" {
			t.Fatalf("page shows %+v, %v", p, err)
		}
	})

	t.Run("an unreachable ledger shows unknown", func(t *testing.T) {
		flaky := verifiertest.NewFlaky(net.Reader)
		flaky.SetDown(true)
		down := serve(t, nil, func(d *api.Deps) { d.Reader = flaky })
		err := do(ctx, chromedp.Navigate(down.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#drop")),
			chromedp.Click(chromedp.CSS("#lang-en")), chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{valid}))
		if err != nil {
			t.Fatal(err)
		}
		p, err := readPage(ctx, string(verifier.Unknown))
		var sub string
		if err == nil {
			sub, err = value(ctx, chromedp.Text(chromedp.CSS("#verdict .sub")))
		}
		screenshot(t, ctx, dir, "7-unknown-en")
		if err != nil || p.title != "Unknown" || !strings.Contains(sub, "Could not reach the blockchain ledger") {
			t.Fatalf("page shows %+v (%q), %v", p, sub, err)
		}
	})
}
