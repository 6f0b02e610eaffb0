package shop

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

// views holds one template set per page, each the layout plus the page's
// own "content" (and optionally "title") definitions.
type views map[string]*template.Template

// pageNames lists the pages; templates/NAME.html defines each.
var pageNames = []string{"home", "product", "cart", "checkout", "order", "error"}

// parseViews parses the embedded templates. They are part of the binary, so
// a parse error is a programming error and panics (every test catches it).
func parseViews() views {
	layout := template.Must(template.New("layout.html").ParseFS(templateFS, "templates/layout.html"))
	v := views{}
	for _, name := range pageNames {
		t := template.Must(layout.Clone())
		v[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return v
}

// pageData is what the layout renders; Body is the page's own data.
type pageData struct {
	CartCount int
	Fault     FaultKind // set as <body data-fault>, read by app.js
	Body      any
}

// render writes the page view with status. It renders to a buffer first so
// that a template error becomes a clean 500, not half a page.
func (s *Shop) render(w http.ResponseWriter, r *http.Request, status int, view string, data pageData) {
	data.CartCount = s.cartCount(r)
	var buf bytes.Buffer
	if err := s.views[view].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("render page", "view", view, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show the visitor's cart count, so no shared caching.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorBody is the data of the error page.
type errorBody struct {
	Status  int
	Heading string
	Message string
}

func (s *Shop) renderError(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	s.render(w, r, status, "error", pageData{Body: errorBody{Status: status, Heading: heading, Message: message}})
}

func (s *Shop) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "Page not found", "We could not find what you were looking for.")
}
