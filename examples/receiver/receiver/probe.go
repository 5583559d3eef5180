package receiver

import (
	"encoding/json"
	"net/http"
)

// newProbe serves the conformance probe over s (see openapi/probe.yaml):
//
//	GET /events/{key}    200 {"applied": N}  (404 if never applied)
//	GET /resources/{id}  200 {"status": "…"} (404 if unknown)
//
// Keys and ids are URL-escaped path segments; PathValue unescapes them.
func newProbe(s *state) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events/{key}", func(w http.ResponseWriter, req *http.Request) {
		n := s.appliedCount(req.PathValue("key"))
		if n == 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "event never applied"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"applied": n})
	})
	mux.HandleFunc("GET /resources/{id}", func(w http.ResponseWriter, req *http.Request) {
		st, ok := s.status(req.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown resource"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": st})
	})
	return mux
}

// writeJSON answers status with v as a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}
