package vigilv1

import "strings"

// Capability is the short name of a check type, as written in check files
// ("http", "browser") and as a probe lists the runners it has in its hello
// and gossip metadata; "" for CHECK_TYPE_UNSPECIFIED. (Hand-written beside
// the generated code: the one mapping every component shares.)
func (t CheckType) Capability() string {
	switch t {
	case CheckType_CHECK_TYPE_HTTP:
		return "http"
	case CheckType_CHECK_TYPE_BROWSER:
		return "browser"
	}
	return ""
}

// Short is the name of an error class as users write it ("dns", "connect",
// "tls", "http_status", "timeout", "assertion", "script", "probe"); "" for
// ERROR_CLASS_UNSPECIFIED.
func (c ErrorClass) Short() string {
	if c == ErrorClass_ERROR_CLASS_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(c.String(), "ERROR_CLASS_"))
}

// Short is the kind's name as the API's users and channels see it ("down",
// "degraded", "monitoring_impaired").
func (k IncidentKind) Short() string {
	if k == IncidentKind_INCIDENT_KIND_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(k.String(), "INCIDENT_KIND_"))
}

// Short is the status's name ("open", "acknowledged", "resolved").
func (s IncidentStatus) Short() string {
	if s == IncidentStatus_INCIDENT_STATUS_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(s.String(), "INCIDENT_STATUS_"))
}
