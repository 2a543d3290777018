package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/eduledger/eduledger/sdk/devnet"
)

// FuzzVerifyRequest sends arbitrary bodies under every content type a client might use: the
// service must answer 200 or a 4xx problem, never a 5xx.
func FuzzVerifyRequest(f *testing.F) {
	s := serve(f, nil)
	is := net.Issuer(f, devnet.Riverside)
	l := is.Learner(f)
	vc := is.Issue(f, is.Diploma(l.ID)).JSON
	ctypes := []string{"application/json", "application/vp+json", "multipart/form-data; boundary=b", "text/plain", "", "multipart/form-data"}
	f.Add(uint8(0), vc)
	f.Add(uint8(0), []byte(`{"type":["VerifiablePresentation"],"proof":{"challenge":"x"}}`))
	f.Add(uint8(2), []byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\r\n{}\r\n--b--\r\n"))
	f.Add(uint8(2), []byte("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"))
	f.Add(uint8(1), []byte{0xff, 0xfe, 0})
	h := s.srv.Handler()
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/verify", bytes.NewReader(body))
		if c := ctypes[int(ct)%len(ctypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || (rec.Code != 200 && rec.Header().Get("Content-Type") != "application/problem+json") {
			t.Fatalf("%d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
}
