package regionproxy

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// hopHeaders are the hop-by-hop headers (RFC 9110, section 7.6.1, plus the
// de facto Proxy-Connection and Keep-Alive): they describe one connection
// and must not be forwarded.
var hopHeaders = []string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

// removeHopHeaders deletes the hop-by-hop headers from h, including those
// the Connection header names.
func removeHopHeaders(h http.Header) {
	for _, v := range h.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// forward sends an absolute-form request upstream, tagged with the region,
// and streams the response back. When the upstream fails before answering
// (refused, reset, closed without a response) the client's connection is
// dropped without a response.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	out := r.Clone(ctx) // bound to the client's request: it ends when the client goes
	out.RequestURI = ""
	out.Close = false
	if r.ContentLength == 0 {
		out.Body = nil // no body: let the transport reuse connections freely
	}
	removeHopHeaders(out.Header)
	out.Header.Set(regionHeader, p.region)

	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Debug("upstream failed; dropping the client connection", "url", r.URL.String(), "err", err)
		}
		drop(w)
		return
	}
	defer resp.Body.Close()

	removeHopHeaders(resp.Header)
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if err := copyFlushing(w, resp.Body); err != nil {
		// Headers are out; the only honest signal left is to cut the
		// connection, so the client sees a truncated response.
		p.log.Debug("copy response body", "url", r.URL.String(), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// copyFlushing copies src to w, flushing after every read so that streamed
// responses (server-sent events, chunked pages) reach the client as they
// arrive. It returns the first read or write error other than io.EOF.
func copyFlushing(w http.ResponseWriter, src io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if ferr := rc.Flush(); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
