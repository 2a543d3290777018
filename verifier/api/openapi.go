package api

import (
	_ "embed"
	"net/http"
	"strconv"
)

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the service's OpenAPI 3.1 document, served at /openapi.json
// (docs/openapi-verifier.json is a copy that a test keeps equal).
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(openapiDoc)))
	_, _ = w.Write(openapiDoc)
}
