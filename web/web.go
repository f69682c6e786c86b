// Package web is the office's web console: the overview with its charts, the need reports
// and their status changes, and the audit log, served on an address of its own
// (WEB_ADDR), never on the webhook listener. It is the only code that serves the console.
//
// Sign-in is a one-time link the bot sends (flows/console.go); opening it and pressing
// "enter" opens a session kept in Postgres, carried by a cookie that is HttpOnly,
// SameSite=Strict and Secure behind HTTPS. Every request reads the person's role and scope
// afresh from the store, and every action goes through the same store method as its chat
// twin (ChangeNeedStatus for a status change, with its checks, audit row and the
// resident's notice), so nothing is decided twice. Forms carry a CSRF token; responses set
// a strict Content-Security-Policy (no script at all, styles and images from the console
// itself only: no outside CDN). Pages are right to left, in the person's language, with
// Jalali dates and Persian digits. The package imports no pgx, Redis or Telegram code.
package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"coopbot"
)

// Store is what the console needs from the system of record.
type Store interface {
	// OpenConsoleLink uses a one-time sign-in link and opens a session; not_found
	// "console.link.invalid" for a link unknown, used or expired.
	OpenConsoleLink(ctx context.Context, token string) (*coopbot.ConsoleSession, error)
	// ConsoleSession returns a live session by its token; not_found when there is none.
	ConsoleSession(ctx context.Context, token string) (*coopbot.ConsoleSession, error)
	SetConsoleLang(ctx context.Context, sessionID int64, l coopbot.Lang) error
	EndConsoleSession(ctx context.Context, sessionID int64) error

	Staff(ctx context.Context, residentID int64) (*coopbot.Staff, error)
	AdministeredCooperatives(ctx context.Context, residentID int64) ([]int64, error)
	Resident(ctx context.Context, id int64) (*coopbot.Resident, error)
	Neighborhoods(ctx context.Context) ([]coopbot.Neighborhood, error)
	Audit(ctx context.Context, actorID int64, action, subject string, allowed bool, detail map[string]any) error

	ResidentsByNeighborhood(ctx context.Context, s *coopbot.Staff) ([]coopbot.ResidentsCount, error)
	PendingJoinCounts(ctx context.Context, actorID int64) ([]coopbot.PendingJoins, error)
	NeedCounts(ctx context.Context, s *coopbot.Staff) ([]coopbot.NeedCount, error)
	WeeklyActivity(ctx context.Context, s *coopbot.Staff, now time.Time, weeks int) ([]coopbot.WeekActivity, error)
	StaffTrainings(ctx context.Context, scope int64, offset, limit int) ([]coopbot.Training, int, error)
	NeedList(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, sort coopbot.NeedSort, offset, limit int) ([]coopbot.NeedReport, int, error)
	NeedCard(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, id int64) (coopbot.NeedCard, error)
	NeedExport(ctx context.Context, s *coopbot.Staff, f coopbot.NeedFilter, from, to time.Time) ([]coopbot.NeedReport, error)
	ChangeNeedStatus(ctx context.Context, s *coopbot.Staff, ch coopbot.NeedChange) (*coopbot.NeedReport, error)
	AuditLog(ctx context.Context, actorID int64, f coopbot.AuditFilter, offset, limit int) ([]coopbot.AuditEntry, int, error)
	AuditActions(ctx context.Context, actorID int64) ([]string, error)

	peopleStore
	joinStore
	trainingStore
	broadcastStore
	questionStore
}

// Labels renders message IDs in a language (locales.Catalog).
type Labels interface {
	Text(lang coopbot.Lang, id string, data map[string]any, count *int) (string, error)
}

// Config configures the console.
type Config struct {
	Store  Store
	Labels Labels
	// BaseURL is the console's public base URL (WEB_BASE_URL): the cookie is Secure when
	// it is https, and a form posted from any other origin is refused.
	BaseURL string
	// Files fetches a report's photos and documents from the platform they were sent on.
	Files Files
	Log   *slog.Logger
}

// Server is the console.
type Server struct {
	cfg    Config
	secure bool
	origin string
	pages  map[string]*template.Template
	mux    *http.ServeMux
}

//go:embed templates/*.html static/*
var files embed.FS

// cookieName is the session cookie's name.
const cookieName = "coopbot_console"

// maxForm bounds a posted form.
const maxForm = 64 << 10

// csp allows nothing but the console's own stylesheet and images: no script, no frames,
// no outside host, forms only to the console itself.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New builds the console.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("web console: want an http(s) base URL, got " + cfg.BaseURL)
	}
	s := &Server{cfg: cfg, secure: u.Scheme == "https", origin: u.Scheme + "://" + u.Host, pages: map[string]*template.Template{}}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).ParseFS(files, "templates/layout.html", path)
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("GET /{$}", s.page(s.overview))
	m.HandleFunc("GET /needs", s.page(s.needs))
	m.HandleFunc("GET /needs/export", s.page(s.needsExport))
	m.HandleFunc("GET /needs/{id}", s.page(s.need))
	m.HandleFunc("GET /needs/{id}/files/{n}", s.page(s.attachment))
	m.HandleFunc("POST /needs/{id}/status", s.page(s.needStatus))
	m.HandleFunc("GET /audit", s.page(s.audit))
	m.HandleFunc("POST /lang", s.page(s.lang))
	m.HandleFunc("POST /logout", s.page(s.logout))
	m.HandleFunc("GET /people", s.page(s.people))
	m.HandleFunc("POST /people/staff/{id}/revoke", s.page(s.revokeStaff))
	m.HandleFunc("POST /people/coops/{coop}/admins/{id}/revoke", s.page(s.revokeCoopAdmin))
	m.HandleFunc("POST /people/invites/{id}/revoke", s.page(s.revokeInvite))
	m.HandleFunc("GET /people/find", s.page(s.findPage))
	m.HandleFunc("POST /people/find", s.page(s.find))
	m.HandleFunc("POST /people/{id}/manager", s.page(s.grantManager))
	m.HandleFunc("POST /people/invite", s.page(s.createInvite))
	m.HandleFunc("GET /people/invite", s.page(s.inviteBack))
	m.HandleFunc("GET /joins", s.page(s.joins))
	m.HandleFunc("GET /joins/export", s.page(s.joinExport))
	m.HandleFunc("GET /joins/{id}", s.page(s.join))
	m.HandleFunc("POST /joins/{id}/decide", s.page(s.joinDecide))
	m.HandleFunc("GET /trainings", s.page(s.trainings))
	m.HandleFunc("GET /trainings/new", s.page(s.trainingNew))
	m.HandleFunc("POST /trainings", s.page(s.trainingCreate))
	m.HandleFunc("GET /trainings/{id}", s.page(s.training))
	m.HandleFunc("GET /trainings/{id}/edit", s.page(s.trainingEdit))
	m.HandleFunc("POST /trainings/{id}/edit", s.page(s.trainingSave))
	m.HandleFunc("GET /trainings/{id}/cancel", s.page(s.trainingCancel))
	m.HandleFunc("POST /trainings/{id}/cancel", s.page(s.trainingCancel))
	m.HandleFunc("GET /trainings/{id}/attendance", s.page(s.training))
	m.HandleFunc("POST /trainings/{id}/attendance", s.page(s.trainingAttendance))
	m.HandleFunc("GET /trainings/{id}/export", s.page(s.trainingExport))
	m.HandleFunc("GET /broadcasts", s.page(s.broadcasts))
	m.HandleFunc("GET /broadcasts/new", s.page(s.broadcastNew))
	m.HandleFunc("POST /broadcasts/preview", s.page(s.broadcastPreview))
	m.HandleFunc("POST /broadcasts", s.page(s.broadcastSend))
	m.HandleFunc("GET /broadcasts/{id}", s.page(s.broadcast))
	m.HandleFunc("POST /broadcasts/{id}/cancel", s.page(s.broadcastCancel))
	m.HandleFunc("GET /broadcasts/{id}/recipients", s.page(s.broadcastRecipients))
	m.HandleFunc("GET /questions", s.page(s.questions))
	m.HandleFunc("GET /questions/{id}", s.page(s.question))
	m.HandleFunc("GET /questions/{id}/photo", s.page(s.questionPhoto))
	m.HandleFunc("POST /questions/{id}/answer", s.page(s.questionAnswer))
	m.HandleFunc("POST /questions/{id}/close", s.page(s.questionClose))
	s.mux = m
	return s, nil
}

// Handler serves the console.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The sign-in link's token never leaves in a Referer to another site; within the
		// console the browser still names its origin on a form, which is checked below
		// (with no-referrer at all it would send "Origin: null").
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if r.Method == http.MethodPost {
			if o := r.Header.Get("Origin"); o != "" && o != s.origin {
				s.fail(w, r, nil, http.StatusForbidden, "console.error.forbidden")
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		s.mux.ServeHTTP(w, r)
	})
}

// req is a signed-in request: the session, the person and their roles as the store has
// them now.
type req struct {
	sess   *coopbot.ConsoleSession
	staff  *coopbot.Staff // nil: no staff role
	coops  []int64        // cooperatives the person is an admin of
	name   string
	nbhs   []coopbot.Neighborhood
	token  string // the session token (the cookie), for the CSRF token
	lang   coopbot.Lang
	r      *http.Request
	notice string // a message ID shown on top of the page
}

// office reports whether the person is office-wide staff.
func (q *req) office() bool { return q.staff != nil && q.staff.Role == coopbot.RoleStaff }

// csrf is the form token of the session: a hash of its secret, so nothing more is stored
// and no other session's forms pass.
func (q *req) csrf() string { return csrfToken(q.token) }

func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("coopbot console csrf\x00" + session))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// page wraps a handler of signed-in pages: it loads the session and the person's roles,
// checks the CSRF token of a form, and turns a failure into a page.
func (s *Server) page(h func(w http.ResponseWriter, q *req) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, err := r.Cookie(cookieName)
		if err != nil {
			s.fail(w, r, nil, http.StatusUnauthorized, "console.signin.needed")
			return
		}
		sess, err := s.cfg.Store.ConsoleSession(ctx, c.Value)
		if coopbot.ErrorCode(err) == coopbot.ENotFound {
			s.clearCookie(w)
			s.fail(w, r, nil, http.StatusUnauthorized, "console.signin.needed")
			return
		}
		if err != nil {
			s.internal(w, r, nil, err)
			return
		}
		q := &req{sess: sess, token: c.Value, lang: sess.Lang, r: r}
		if !q.lang.Valid() {
			q.lang = coopbot.Persian
		}
		if err := s.load(ctx, q); err != nil {
			s.internal(w, r, q, err)
			return
		}
		if q.staff == nil && len(q.coops) == 0 {
			// The role was taken away since sign-in: the session is worth nothing now.
			if err := s.cfg.Store.Audit(ctx, sess.ResidentID, "console_page", r.URL.Path, false, nil); err != nil {
				s.internal(w, r, q, err)
				return
			}
			s.fail(w, r, q, http.StatusForbidden, "console.error.no_role")
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, q, http.StatusBadRequest, "console.error.bad_request")
				return
			}
			got := r.PostForm.Get("csrf")
			if subtle.ConstantTimeCompare([]byte(got), []byte(q.csrf())) != 1 {
				if err := s.cfg.Store.Audit(ctx, sess.ResidentID, "console_csrf", r.URL.Path, false, nil); err != nil {
					s.internal(w, r, q, err)
					return
				}
				s.fail(w, r, q, http.StatusForbidden, "console.error.csrf")
				return
			}
		}
		if err := h(w, q); err != nil {
			var st *status
			if errors.As(err, &st) {
				s.fail(w, r, q, st.code, st.msg)
				return
			}
			s.internal(w, r, q, err)
		}
	}
}

// status is a handler's refusal: an HTTP status and the message shown.
type status struct {
	code int
	msg  string
}

func (e *status) Error() string { return e.msg }

func refuse(code int, msg string) error { return &status{code: code, msg: msg} }

// pageNumber reads the page number of a list (1 when none).
func pageNumber(v url.Values) (int, error) {
	p := v.Get("page")
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 100000 {
		return 0, refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	return n, nil
}

// load fills the person's roles, name and the neighborhoods.
func (s *Server) load(ctx context.Context, q *req) error {
	st := s.cfg.Store
	var err error
	if q.staff, err = st.Staff(ctx, q.sess.ResidentID); err != nil {
		return err
	}
	if q.coops, err = st.AdministeredCooperatives(ctx, q.sess.ResidentID); err != nil {
		return err
	}
	res, err := st.Resident(ctx, q.sess.ResidentID)
	if err != nil {
		return err
	}
	q.name = res.Name
	q.nbhs, err = st.Neighborhoods(ctx)
	return err
}

// denied records a refused page or action and answers 403.
func (s *Server) denied(ctx context.Context, q *req, action, subject string, detail map[string]any) error {
	if err := s.cfg.Store.Audit(ctx, q.sess.ResidentID, action, subject, false, detail); err != nil {
		return err
	}
	return refuse(http.StatusForbidden, "console.error.forbidden")
}

func (s *Server) setCookie(w http.ResponseWriter, sess *coopbot.ConsoleSession) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(time.Until(sess.ExpiresAt).Seconds()), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// loginPage shows the sign-in link's page: one button that signs in. Opening the link
// alone uses nothing, so a messenger that fetches links for their preview cannot spend it.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	t := r.URL.Query().Get("t")
	if t == "" || len(t) > 100 {
		s.fail(w, r, nil, http.StatusBadRequest, "console.link.invalid")
		return
	}
	s.render(w, r, nil, http.StatusOK, "login", map[string]any{"Token": t})
}

// login uses the link and opens the session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, "console.error.bad_request")
		return
	}
	sess, err := s.cfg.Store.OpenConsoleLink(r.Context(), r.PostForm.Get("t"))
	if coopbot.ErrorCode(err) == coopbot.ENotFound {
		s.fail(w, r, nil, http.StatusForbidden, "console.link.invalid")
		return
	}
	if err != nil {
		s.internal(w, r, nil, err)
		return
	}
	s.setCookie(w, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, q *req) error {
	if err := s.cfg.Store.EndConsoleSession(q.r.Context(), q.sess.ID); err != nil {
		return err
	}
	s.clearCookie(w)
	s.render(w, q.r, nil, http.StatusOK, "message", map[string]any{"Msg": "console.signed_out"})
	return nil
}

// lang switches the session's language and goes back to the page it was switched on.
func (s *Server) lang(w http.ResponseWriter, q *req) error {
	l := coopbot.Lang(q.r.PostForm.Get("lang"))
	if !l.Valid() {
		return refuse(http.StatusBadRequest, "console.error.bad_request")
	}
	if err := s.cfg.Store.SetConsoleLang(q.r.Context(), q.sess.ID, l); err != nil {
		return err
	}
	back := q.r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.Contains(back, `\`) {
		back = "/"
	}
	http.Redirect(w, q.r, back, http.StatusSeeOther)
	return nil
}

// fail shows a page with a message; q is nil when nobody is signed in.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *req, code int, msg string) {
	s.render(w, r, q, code, "message", map[string]any{"Msg": msg})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, q *req, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		return
	}
	code, msg := http.StatusInternalServerError, "console.error.internal"
	if coopbot.ErrorCode(err) == coopbot.EUnavailable {
		code, msg = http.StatusServiceUnavailable, "console.error.unavailable"
	}
	s.cfg.Log.Error("web console", "path", r.URL.Path, "err", err)
	s.fail(w, r, q, code, msg)
}
