package web

import (
	"net/http"
	"net/url"
)

// formType is the Content-Type of the login form's POST.
const formType = "application/x-www-form-urlencoded"

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
// a new session, its cookie and a redirect to the dashboard; else 401
// and the form again, with a message. The body must be a form
// (application/x-www-form-urlencoded): anything else is 415.
//
// The cookie carries the session's random id (see sessions), never the
// token. It is HttpOnly (scripts cannot read it), Secure when the request
// came over TLS, and SameSite=Strict: no request another site starts
// carries it, not even a link followed to the dashboard (that lands on
// the login form). Lax would let such links open logged in, but the
// cookie also authorizes the API, and Strict keeps it off every
// cross-site request as a second line behind CrossOriginProtection. It
// expires with the session (Options.SessionTTL).
func (s *server) login(w http.ResponseWriter, r *http.Request, a *auth) {
	if !a.on {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	body, err := s.readBody(w, r, formType)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "", "the login form cannot be read: %v", err))
		return
	}
	token := form.Get("token")
	if token == "" || !a.valid(cred{value: token}) {
		msg := "Wrong token: use the token the node was started with (--token or GIGQ_TOKEN)."
		if token == "" {
			msg = "Enter the token the node was started with (--token or GIGQ_TOKEN)."
		}
		s.log.Debug().Str("remote", r.RemoteAddr).Msg("dashboard login refused")
		s.page(w, http.StatusUnauthorized, "login.html", map[string]string{"Error": msg})
		return
	}
	http.SetCookie(w, sessionCookieOf(r, a.sessions.start(), int(s.opts.SessionTTL.Seconds())))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout: POST /logout → ends the session (its id is no longer valid
// anywhere), deletes the cookie and goes to the login form.
func (s *server) logout(w http.ResponseWriter, r *http.Request, a *auth) {
	if c, ok := credential(r); ok && c.session && a.on {
		a.sessions.end(c.value)
	}
	http.SetCookie(w, sessionCookieOf(r, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sessionCookieOf returns the session cookie with value; maxAge -1
// deletes it, a positive one is its life in seconds.
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
