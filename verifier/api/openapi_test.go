package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eduledger/eduledger/sdk/credential"
	"github.com/eduledger/eduledger/sdk/devnet"
	"github.com/eduledger/eduledger/verifier"
	"github.com/eduledger/eduledger/verifier/api"
	"github.com/eduledger/eduledger/verifier/verifiertest"
)

func TestTheDocsCopyOfTheOpenAPIDocumentIsCurrent(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi-verifier.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, api.OpenAPI()) {
		t.Fatal("docs/openapi-verifier.json differs from verifier/api/openapi.json; copy it over")
	}
}

func openapiDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTheOpenAPIDocumentListsEveryRoute(t *testing.T) {
	s := serve(t, nil)
	paths := openapiDoc(t)["paths"].(map[string]any)
	documented := map[string]bool{}
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	// The page is not part of the API.
	page := []string{"GET /", "GET /v", "GET /assets/*", "HEAD /", "HEAD /v", "HEAD /assets/*"}
	served := map[string]bool{}
	err := chi.Walk(s.srv.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "/*/", "/")
		if route == "/v1/credentials/*" {
			route = "/v1/credentials/{id}/status"
		}
		key := method + " " + route
		if !slices.Contains(page, key) {
			served[key] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("%s is served but not documented", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("%s is documented but not served", k)
		}
	}
}

// schemas compiles the document's component schemas (OpenAPI 3.1 schemas are JSON Schema 2020-12).
func schemas(t testing.TB) func(name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(api.OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("urn:eduledger:verifier-openapi", doc); err != nil {
		t.Fatal(err)
	}
	return func(name string) *jsonschema.Schema {
		s, err := c.Compile("urn:eduledger:verifier-openapi#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		return s
	}
}

func TestAnswersMatchTheOpenAPIDocument(t *testing.T) {
	schema := schemas(t)
	s := serve(t, func(c *api.Config) { c.PublicURL = "https://verify.example.edu.cn" })
	is := net.Issuer(t, devnet.Riverside)
	l := is.Learner(t)
	d := is.Issue(t, is.Diploma(l.ID))
	card := is.Issue(t, is.IdentityCard(l)).JSON
	batch := is.IssueBatch(t, []*credential.Credential{is.Diploma(l.ID)})
	member, _ := batch.Credential(0)
	_, cb := s.call(t, "GET", "/v1/challenge", "", nil)
	var ch verifier.Challenge
	json.Unmarshal(cb, &ch)

	for _, tc := range []struct {
		name, method, path, ctype string
		body                      []byte
		schema                    string
	}{
		{"a verified credential", "POST", "/v1/verify", "application/json", d.JSON, "Result"},
		{"a batch member", "POST", "/v1/verify", "application/json", member, "Result"},
		{"a tampered credential", "POST", "/v1/verify", "application/json", tamper(t, d.JSON), "Result"},
		{"a presentation", "POST", "/v1/verify", "application/json", verifiertest.Present(t, l, ch.Challenge, ch.Domain, card, d.JSON), "Result"},
		{"a challenge", "GET", "/v1/challenge", "", nil, "Challenge"},
		{"a status", "GET", "/v1/credentials/" + url.PathEscape(d.ID) + "/status", "", nil, "StatusReport"},
		{"a link", "GET", "/v1/lookup?q=" + url.QueryEscape(verifier.Link(s.URL, d.ID, d.Digest, "")), "", nil, "LinkReport"},
		{"the issuers", "GET", "/v1/issuers", "", nil, "IssuerPage"},
		{"an issuer", "GET", "/v1/issuers/" + devnet.Riverside, "", nil, "IssuerDetails"},
		{"a problem", "POST", "/v1/verify", "application/json", []byte("{"), "Problem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *bytes.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			} else {
				body = bytes.NewReader(nil)
			}
			_, b := s.call(t, tc.method, tc.path, tc.ctype, body)
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema(tc.schema).Validate(v); err != nil {
				t.Fatalf("the answer does not match %s: %v\n%s", tc.schema, err, b)
			}
		})
	}
}
