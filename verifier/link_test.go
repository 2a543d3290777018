package verifier

import (
	"strings"
	"testing"
)

func TestLinkRoundTrips(t *testing.T) {
	const (
		id   = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
		dig  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		root = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
	)
	link := Link("http://127.0.0.1:8081/", id, dig, root)
	if !strings.HasPrefix(link, "http://127.0.0.1:8081/v?") {
		t.Fatalf("link = %s", link)
	}
	got, err := ParseLink(link)
	if err != nil || got.CredentialID != id || got.Digest != dig || got.BatchRoot != root {
		t.Fatalf("ParseLink = %+v, %v", got, err)
	}
	if got, err := ParseLink(Link("https://verify.example", id, "", "")); err != nil || got.Digest != "" {
		t.Fatalf("a link without digest: %+v, %v", got, err)
	}
}

func TestParseLinkRefusesWhatItCannotTrust(t *testing.T) {
	for name, raw := range map[string]string{
		"no id":              "https://v/v?d=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"an id with spaces":  "https://v/v?id=urn%3Auuid%3Aa+b",
		"a short digest":     "https://v/v?id=urn:uuid:x1&d=abc",
		"an upper-case root": "https://v/v?id=urn:uuid:x1&r=60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752",
		"broken escaping":    "https://v/v?id=%zz",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseLink(raw); err == nil {
				t.Fatalf("ParseLink(%q) accepted it", raw)
			}
		})
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(Link("http://x", "urn:uuid:1", "", ""))
	f.Add("?id=&d=&r=")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseLink(raw)
		if err != nil {
			return
		}
		again, err := ParseLink(Link("http://x", got.CredentialID, got.Digest, got.BatchRoot))
		if err != nil || *again != *got {
			t.Fatalf("a parsed link does not survive re-encoding: %+v vs %+v (%v)", got, again, err)
		}
	})
}
