package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"net/http"
	"time"
)

// assets holds the dashboard: the page templates, its script and style.
// Nothing is fetched from elsewhere at run time.
//
//go:embed assets
var assets embed.FS

// pages are the dashboard's HTML templates (index.html, login.html).
var pages = template.Must(template.ParseFS(assets, "assets/*.html"))

// staticAssets are the files served under /assets/, by name, with their
// Content-Type and ETag.
var staticAssets = loadAssets(map[string]string{
	"app.js":  "text/javascript; charset=utf-8",
	"app.css": "text/css; charset=utf-8",
})

type asset struct {
	body        []byte
	contentType string
	etag        string
}

func loadAssets(types map[string]string) map[string]asset {
	out := make(map[string]asset, len(types))
	for name, ct := range types {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic(err) // cannot happen: the files are embedded
		}
		sum := sha256.Sum256(b)
		out[name] = asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}

// contentSecurityPolicy lets the dashboard load only its own files and
// talk only to its own origin.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// routeDashboard registers the dashboard: the page at /, its files under
// /assets/, and (with a token) the login form.
func (s *server) routeDashboard(mux *http.ServeMux, a *auth) {
	s.route(mux, "/{$}", methods{http.MethodGet: func(w http.ResponseWriter, r *http.Request) {
		if !a.allowed(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.page(w, http.StatusOK, "index.html", map[string]any{"Auth": a.on})
	}})
	s.route(mux, "/assets/{name}", methods{http.MethodGet: serveAsset})
	s.route(mux, "/login", methods{
		http.MethodGet:  func(w http.ResponseWriter, r *http.Request) { s.loginForm(w, r, a) },
		http.MethodPost: func(w http.ResponseWriter, r *http.Request) { s.login(w, r, a) },
	})
	s.route(mux, "/logout", methods{http.MethodPost: func(w http.ResponseWriter, r *http.Request) { s.logout(w, r, a) }})
}

// serveAsset: GET /assets/{name} → an embedded file, revalidated by ETag.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := staticAssets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// page renders one of the HTML templates with status.
func (s *server) page(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.log.Error().Err(err).Str("template", name).Msg("rendering a page failed")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
