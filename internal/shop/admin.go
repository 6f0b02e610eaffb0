package shop

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// maxAdminBytes caps the body of an admin call.
const maxAdminBytes = 64 << 10

// faultList is the JSON shape of GET and PUT /admin/faults.
type faultList struct {
	Faults []Fault `json:"faults"`
}

// adminFaults serves /admin/faults:
//
//	GET    {"faults":[...]}            the faults in effect
//	PUT    {"faults":[...]}            replace them all
//	POST   {"kind":"slow",...}         add one
//	DELETE                             clear them all
//
// Every method answers with the faults in effect afterwards. Bad input
// gets a 400 with {"error":"..."} and changes nothing.
func (s *Shop) adminFaults(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil-shop"`)
		writeJSONError(w, http.StatusUnauthorized, "missing or wrong admin token")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, faultList{Faults: s.Faults()})
	case http.MethodPut:
		var body struct {
			Faults *[]Fault `json:"faults"`
		}
		if err := decodeJSON(w, r, maxAdminBytes, &body); err != nil {
			writeJSONError(w, statusOf(err), err.Error())
			return
		}
		if body.Faults == nil {
			writeJSONError(w, http.StatusBadRequest, `missing "faults": want {"faults":[...]}`)
			return
		}
		faults := *body.Faults
		for i, f := range faults {
			faults[i] = f.normalize()
			if err := faults[i].validate(); err != nil {
				writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("faults[%d]: %v", i, err))
				return
			}
		}
		s.setFaults(faults, "admin")
		writeJSON(w, http.StatusOK, faultList{Faults: s.Faults()})
	case http.MethodPost:
		var f Fault
		if err := decodeJSON(w, r, maxAdminBytes, &f); err != nil {
			writeJSONError(w, statusOf(err), err.Error())
			return
		}
		f = f.normalize()
		if err := f.validate(); err != nil {
			writeJSONError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, faultList{Faults: s.addFault(f, "admin")})
	case http.MethodDelete:
		s.setFaults(nil, "admin")
		writeJSON(w, http.StatusOK, faultList{Faults: s.Faults()})
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE")
		writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// authorized reports whether r may use the admin API: always when no token
// is configured (a local demo), else with "Authorization: Bearer <token>".
func (s *Shop) authorized(r *http.Request) bool {
	if s.adminToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.adminToken)) == 1
}
