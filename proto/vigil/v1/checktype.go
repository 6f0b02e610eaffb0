package vigilv1

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
