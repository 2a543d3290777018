package api

import (
	"net/http"
	"slices"
	"strings"
)

// cors lets web pages of other origins call the API. The API is public and takes no cookies or
// credentials, so "*" (the default) is safe; a deployment may list the origins it serves instead.
// Preflight requests are answered here, before routing, so that they are never rate limited as
// two requests or refused as an unknown method.
func cors(origins []string) func(http.Handler) http.Handler {
	anyOrigin := slices.Contains(origins, "*")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			h := w.Header()
			allowed := origin != "" && (anyOrigin || slices.Contains(origins, origin))
			if allowed {
				if anyOrigin {
					h.Set("Access-Control-Allow-Origin", "*")
				} else {
					h.Set("Access-Control-Allow-Origin", origin)
					h.Add("Vary", "Origin")
				}
				h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			}
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				if allowed {
					h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
					h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
					h.Set("Access-Control-Max-Age", "600")
				}
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// allowHeaders returns the request headers a preflight may ask for that the API accepts.
func allowHeaders(requested string) string {
	accepted := []string{"Content-Type", "X-Request-Id", "Accept", "Accept-Language"}
	var out []string
	for _, h := range strings.Split(requested, ",") {
		h = strings.TrimSpace(h)
		for _, a := range accepted {
			if strings.EqualFold(h, a) {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return strings.Join(accepted, ", ")
	}
	return strings.Join(out, ", ")
}
