package eduledger

import (
	"regexp"
	"testing"
)

// The identifier rules as regular expressions: the specification the hand-written checks in ids.go
// must agree with.
var idRules = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
}{
	{"organisation ID", regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$`), ValidOrgID},
	{"local ID", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`), ValidLocalID},
	{"credential ID", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{2,199}$`), ValidCredentialID},
	{"MSP ID", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$`), ValidMSPID},
	{"region code", regexp.MustCompile(`^[0-9]{6}$`), ValidRegionCode},
	{"digest", regexp.MustCompile(`^[0-9a-f]{64}$`), ValidDigest},
}

func TestIdentifierChecksFollowTheirRules(t *testing.T) {
	for _, tc := range []struct {
		check func(string) bool
		in    string
		want  bool
	}{
		{ValidOrgID, "riverside-university", true},
		{ValidOrgID, "ab", false},
		{ValidOrgID, "-ab", false},
		{ValidOrgID, "ab-", false},
		{ValidOrgID, "Riverside", false},
		{ValidLocalID, "s2026.001_a-b", true},
		{ValidLocalID, "_s", false},
		{ValidLocalID, "s 1", false},
		{ValidCredentialID, "urn:uuid:4f6c2b1e-8a3d-4c5e-9f7a-1b2c3d4e5f60", true},
		{ValidCredentialID, "https://x.example/c/1", true},
		{ValidCredentialID, "urn:uuid:a b", false},
		{ValidCredentialID, "ab", false},
		{ValidMSPID, "SchoolMSP", true},
		{ValidMSPID, "School MSP", false},
		{ValidRegionCode, "310000", true},
		{ValidRegionCode, "31000a", false},
		{ValidDigest, "4f6c2b1e8a3d4c5e9f7a1b2c3d4e5f604f6c2b1e8a3d4c5e9f7a1b2c3d4e5f60", true},
		{ValidDigest, "4F6C2B1E8A3D4C5E9F7A1B2C3D4E5F604F6C2B1E8A3D4C5E9F7A1B2C3D4E5F60", false},
	} {
		if got := tc.check(tc.in); got != tc.want {
			t.Errorf("check(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzIdentifierChecks keeps the hand-written checks equal to the regular expressions.
func FuzzIdentifierChecks(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "abc", "a-b", "urn:x:1", "https://a/b", "310000", "A.B-C", "é", "\x00ab",
		"4f6c2b1e8a3d4c5e9f7a1b2c3d4e5f604f6c2b1e8a3d4c5e9f7a1b2c3d4e5f60", "riverside-university\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range idRules {
			if want, got := r.re.MatchString(s), r.check(s); got != want {
				t.Errorf("%s %q: check says %v, the rule says %v", r.name, s, got, want)
			}
		}
	})
}

func BenchmarkIdentifierChecks(b *testing.B) {
	for range b.N {
		ValidCredentialID("urn:uuid:4f6c2b1e-8a3d-4c5e-9f7a-1b2c3d4e5f60")
		ValidOrgID("riverside-university")
		ValidLocalID("s2026001")
		ValidDigest("4f6c2b1e8a3d4c5e9f7a1b2c3d4e5f604f6c2b1e8a3d4c5e9f7a1b2c3d4e5f60")
	}
}
