package shop

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

//go:embed static/style.css static/app.js thirdparty/widget.js
var assetFS embed.FS

// Cache policies. Pages themselves are no-store (see render).
const (
	// cacheShort: CSS and JS keep their names across versions, so clients
	// revalidate (by ETag) after five minutes.
	cacheShort = "public, max-age=300"
	// cacheLong: images and the icon never change for a given build.
	cacheLong = "public, max-age=86400"
	// cacheNone: the third-party widget must reach the shop on every page
	// load, or the hung_third_party fault would not bite a warm browser.
	cacheNone = "no-store"
)

// asset is one static response, ready to serve.
type asset struct {
	body         []byte
	contentType  string
	cacheControl string
	etag         string
}

// assets holds the static responses by URL path. Immutable once built.
type assets map[string]asset

// loadAssets builds the assets once per process: they are deterministic,
// and the images take a while to encode. Every Shop shares them read-only.
var loadAssets = sync.OnceValue(func() assets {
	a := assets{}
	add := func(path, contentType, cacheControl string, body []byte) {
		sum := sha256.Sum256(body)
		a[path] = asset{
			body:         body,
			contentType:  contentType,
			cacheControl: cacheControl,
			etag:         `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
	}
	add("/static/style.css", "text/css; charset=utf-8", cacheShort, mustRead("static/style.css"))
	add("/static/app.js", "text/javascript; charset=utf-8", cacheShort, mustRead("static/app.js"))
	add("/thirdparty/widget.js", "text/javascript; charset=utf-8", cacheNone, mustRead("thirdparty/widget.js"))
	add("/favicon.ico", "image/x-icon", cacheLong, favicon())
	for _, p := range catalog {
		add(p.ImageURL(), "image/jpeg", cacheLong, productImage(p))
	}
	return a
})

func mustRead(name string) []byte {
	b, err := assetFS.ReadFile(name)
	if err != nil {
		panic("read embedded asset: " + err.Error()) // the embed directive names it
	}
	return b
}

// static serves the asset at the request's path, with ETag revalidation
// and ranges (by http.ServeContent).
func (s *Shop) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.URL.Path]
	if !ok {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cacheControl)
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// widget serves the third-party script every page loads synchronously in
// its <head>. Under FaultHungThirdParty it never answers: it writes nothing
// and returns only when the client goes away (or the server closes the
// connection), so the page never finishes parsing.
func (s *Shop) widget(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.fault(r, FaultHungThirdParty); ok {
		<-r.Context().Done()
		return
	}
	s.static(w, r)
}
