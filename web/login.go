package web

import (
	"net/http"
)

// loginForm: GET /login → the login form; without a token, or with a
// valid session already, a redirect to the dashboard.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request, a *auth) {
	if a.allowed(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.page(w, http.StatusOK, "login.html", nil)
}

// login: POST /login with the form field "token" → with the right token,
// the session cookie and a redirect to the dashboard; else 401 and the
// form again, with a message.
//
// The cookie is HttpOnly (scripts cannot read it) and SameSite=Strict
// (other sites cannot make the browser send it, which is what protects
// the API from cross-site requests); Secure when served over TLS. Its
// value is an HMAC of the token (see auth), never the token itself.
func (s *server) login(w http.ResponseWriter, r *http.Request, a *auth) {
	if !a.on {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	token := r.PostFormValue("token")
	if token == "" || !a.valid(cred{value: token}) {
		msg := "Wrong token: use the token the node was started with (--token or GIGQ_TOKEN)."
		if token == "" {
			msg = "Enter the token the node was started with (--token or GIGQ_TOKEN)."
		}
		s.log.Debug().Str("remote", r.RemoteAddr).Msg("dashboard login refused")
		s.page(w, http.StatusUnauthorized, "login.html", map[string]string{"Error": msg})
		return
	}
	http.SetCookie(w, sessionCookieOf(r, a.session, 0))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout: POST /logout → clears the session cookie and goes to the login
// form. (The cookie's value stays valid until the process restarts: it is
// the browser's copy that is gone.)
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, sessionCookieOf(r, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sessionCookieOf returns the session cookie with value; maxAge -1
// deletes it, 0 makes it last as long as the browser session.
func sessionCookieOf(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}
