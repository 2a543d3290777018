package credential

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// schemaPatterns are the patterns of the embedded schemas.
func schemaPatterns(tb testing.TB) []string {
	tb.Helper()
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		tb.Fatal(err)
	}
	re := regexp.MustCompile(`"pattern":\s*("(?:[^"\\]|\\.)*")`)
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		b, _ := schemaFiles.ReadFile("schemas/" + e.Name())
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			var p string
			if _, err := fmt.Sscanf(m[1], "%q", &p); err != nil {
				tb.Fatalf("pattern %s: %v", m[1], err)
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

var patternInputs = []string{"", "a", "urn:uuid:2b0c7a64-5d8e-4d57-9a8b-1f3c1a8e2f10", "urn:uuid:2B0C7A64-5d8e-4d57-9a8b-1f3c1a8e2f10",
	"urn:uuid:2b0c7a64-5d8e-4d57-9a8b-1f3c1a8e2f1", "did:eduledger:learner:L2026", "did:eduledger:learner:_x", "did:eduledger:learner:" + strings.Repeat("a", 128),
	"did:eduledger:learner:" + strings.Repeat("a", 129), "did:eduledger:org:riverside-university", "did:eduledger:org:riverside-university#ed-2026",
	"https://example.org/a b", "https://x", "urn:x:y", "1x:y", "zh-CN", "en", "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "2026-06-30T08:00:00Z", "10280000123", "a\n", "\xff", "did:eduledger:learner:L\xff"}

func TestSeqPatternsAgreeWithRegexpOnTheSchemaPatterns(t *testing.T) {
	compiled := 0
	for _, p := range schemaPatterns(t) {
		seq, ok := compileSeqPattern(p)
		if !ok {
			continue
		}
		compiled++
		re := regexp.MustCompile(p)
		t.Run(fmt.Sprintf("%s matches what the regexp matches", p), func(t *testing.T) {
			for _, in := range patternInputs {
				if got, want := seq.match(in), re.MatchString(in); got != want {
					t.Errorf("match(%q) = %v, regexp says %v", in, got, want)
				}
			}
		})
	}
	if compiled < 5 {
		t.Errorf("only %d schema patterns compiled without a regexp", compiled)
	}
	for _, p := range []string{`^did:eduledger:org:[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$`, `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`,
		`^a*a$`, `^a*b?$`, `(?i)^abc$`, `^a*?$`, `abc`, `^abc`, `^\x{FFFD}$`} {
		t.Run(fmt.Sprintf("%s is left to the regexp package", p), func(t *testing.T) {
			if _, ok := compileSeqPattern(p); ok {
				t.Error("compiled")
			}
		})
	}
}

func FuzzSeqPatternAgrees(f *testing.F) {
	for _, p := range schemaPatterns(f) {
		for _, in := range patternInputs {
			f.Add(p, in)
		}
	}
	f.Add(`^[a-c]+d[e-f]{2,3}$`, "abcdeef")
	f.Add(`^x*y+z?$`, "xxyy")
	f.Fuzz(func(t *testing.T, pattern, in string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		seq, ok := compileSeqPattern(pattern)
		if !ok {
			return
		}
		if got, want := seq.match(in), re.MatchString(in); got != want {
			t.Fatalf("pattern %q, input %q: match = %v, regexp says %v", pattern, in, got, want)
		}
	})
}
