package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// readPurpose is the purpose the audit log records for the API's reads.
const readPurpose = "api"

// Submission is a submission as the API returns it.
type Submission struct {
	ID              string     `json:"id"`
	Reference       string     `json:"reference"`
	Form            string     `json:"form"`
	FormVersion     int        `json:"form_version"`
	RegisterVersion int        `json:"register_version,omitempty"`
	Status          string     `json:"status"`
	Assignee        *string    `json:"assignee"`
	ReceivedAt      time.Time  `json:"received_at"`
	UpdatedAt       *time.Time `json:"updated_at,omitempty"`
	// Answers is the JSON object of field key → Answer; absent when
	// Unreadable. It is kept encoded: submissionOf rewrites the store's
	// encoding into the API's without decoding it (see apiAnswers).
	Answers     json.RawMessage `json:"answers,omitempty"`
	Attachments []Attachment    `json:"attachments,omitempty"`
	// Unreadable marks a listed submission whose answers cannot be opened
	// (damaged, or its key is missing): it carries no answers, and the
	// rest of the list is unaffected (SEC-3).
	Unreadable bool `json:"unreadable,omitempty"`
}

// Answer is the answer to one field: a text (value), a choice of several
// (values) or a postal address.
type Answer struct {
	Value   string        `json:"value,omitempty"`
	Values  []string      `json:"values,omitempty"`
	Address *form.Address `json:"address,omitempty"`
	// Register is the day the answer was prefilled from the national
	// register, when it was sent unchanged (form.Answer.Register).
	Register string `json:"register,omitempty"`
}

// Attachment describes one file of a submission (never its content).
type Attachment struct {
	ID          string `json:"id"`
	Field       string `json:"field"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// SubmissionPage is one page of the list.
type SubmissionPage struct {
	Items      []Submission `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// submissionOf is row as the API shows it; the answers are re-encoded
// from the store's compact form into the API's field names.
func submissionOf(row store.InboxRow) (Submission, error) {
	s := Submission{ID: row.ID, Reference: row.Reference, Form: row.FormKey, FormVersion: row.FormVersion, Status: row.Status,
		ReceivedAt: row.CreatedAt.UTC()}
	if row.AssigneeID != "" {
		s.Assignee = &row.AssigneeID
	}
	if row.Unreadable {
		s.Unreadable = true
		return s, nil
	}
	if out, ok := apiAnswers(row.Answers); ok {
		s.Answers = out
		return s, nil
	}
	// Anything apiAnswers does not recognise goes the long way, which
	// keeps only the fields the API documents.
	var answers form.Answers
	if err := json.Unmarshal(row.Answers, &answers); err != nil {
		return s, fmt.Errorf("decode answers of %s: %w", row.ID, err)
	}
	m := make(map[string]Answer, len(answers))
	for key, an := range answers {
		m[key] = Answer{Value: an.Value, Values: an.Values, Address: an.Address, Register: an.Register}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return s, fmt.Errorf("encode answers of %s: %w", row.ID, err)
	}
	s.Answers = out
	return s, nil
}

// answerKeys are form.Answer's JSON names in the store and in the API, in
// the same field order.
var answerKeys = map[string]string{"v": "value", "vs": "values", "a": "address", "rr": "register"}

// apiAnswers rewrites answers as the store encodes them (json.Marshal of
// form.Answers: compact, keys sorted, {"key":{"v":…,"vs":[…],"a":{…}}})
// into the API's encoding by renaming the keys of each answer, byte for
// byte what decoding and encoding Answer would give, without the cost of
// decoding: a list of 50 rows spent a sixth of its CPU there. ok is false
// for anything else (whitespace, another key, not an object), which the
// caller then decodes.
func apiAnswers(src []byte) (out []byte, ok bool) {
	if len(src) < 2 || src[0] != '{' {
		return nil, false
	}
	out = make([]byte, 0, len(src)+len(src)/4)
	depth := 0
	for i := 0; i < len(src); {
		switch c := src[i]; c {
		case '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, false
			}
			j++ // past the closing quote
			isKey := j < len(src) && src[j] == ':'
			if depth == 1 && !isKey {
				return nil, false // an answer that is not an object
			}
			if depth == 2 && isKey {
				name, known := answerKeys[string(src[i+1:j-1])]
				if !known {
					return nil, false
				}
				out = append(append(append(out, '"'), name...), '"')
			} else {
				out = append(out, src[i:j]...)
			}
			i = j
			continue
		case '{', '[':
			if depth == 1 && c == '[' {
				return nil, false // an answer that is not an object
			}
			depth++
		case '}', ']':
			depth--
			if depth == 0 && i != len(src)-1 {
				return nil, false
			}
		case ':', ',':
		default:
			if depth <= 1 { // whitespace, or an answer that is not an object
				return nil, false
			}
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return nil, false
			}
		}
		out = append(out, src[i])
		i++
	}
	return out, depth == 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// listParams are the query parameters of the list.
var listParams = []string{"form", "status", "assignee", "from", "to", "cursor", "limit"}

// idPattern is what a user id given as assignee filter looks like.
var idPattern = regexp.MustCompile(`^[0-9a-z]{1,64}$`)

// submissionsList lists the submissions of the key's forms, newest first,
// by keyset pages: a malformed filter or cursor is a 400 naming each
// field; a form the key does not see is refused as unknown.
func (a *API) submissionsList(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	qv := r.URL.Query()
	q := store.InboxQuery{Viewer: store.KeyViewer(k.ID), Limit: 50, Purpose: readPurpose}
	var errs []FieldError
	bad := func(field, key string) { errs = append(errs, fieldError(r, field, "api.error."+key)) }
	for name, vs := range qv {
		if !slices.Contains(listParams, name) {
			bad(name, "unknown_parameter")
		} else if len(vs) > 1 {
			bad(name, "repeated")
		}
	}
	if f := qv.Get("form"); f != "" {
		if !slices.Contains(k.Forms, f) {
			bad("form", "form")
		}
		q.Form = f
	}
	if s := qv.Get("status"); s != "" {
		if !slices.Contains(store.Statuses, s) {
			bad("status", "status")
		}
		q.Status = s
	}
	if as := qv.Get("assignee"); as != "" {
		if as != "-" && !idPattern.MatchString(as) {
			bad("assignee", "assignee")
		}
		q.Assignee = as
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := qv.Get(p.name); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad(p.name, "time")
			}
			*p.to = tm
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		bad("to", "range")
	}
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.InboxLimit {
			bad("limit", "limit")
		}
		q.Limit = n
	}
	q.Before = qv.Get("cursor")
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		a.problem(w, r, http.StatusBadRequest, "bad_request", errs)
		return
	}
	page, err := a.opts.Store.Inbox(r.Context(), k.Actor(requestIDFrom(r)), t.ID, q)
	if err != nil {
		a.storeError(w, r, "list submissions", err)
		return
	}
	out := SubmissionPage{Items: []Submission{}}
	for _, row := range page.Rows {
		s, err := submissionOf(row)
		if err != nil {
			a.internalError(w, r, "list submissions", err)
			return
		}
		out.Items = append(out.Items, s)
	}
	if page.Next != "" {
		out.NextCursor = &page.Next
	}
	writeJSON(w, http.StatusOK, out)
}

// submissionShow returns one submission with its answers and the
// metadata of its files.
func (a *API) submissionShow(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	d, err := a.opts.Store.OpenSubmission(r.Context(), k.Actor(requestIDFrom(r)), t.ID, store.KeyViewer(k.ID), r.PathValue("id"), readPurpose)
	if err != nil {
		a.storeError(w, r, "open submission", err)
		return
	}
	s, err := submissionOf(d.InboxRow)
	if err != nil {
		a.internalError(w, r, "open submission", err)
		return
	}
	s.RegisterVersion = d.RegisterVersion
	if !d.UpdatedAt.IsZero() && d.UpdatedAt.Unix() > 0 {
		u := d.UpdatedAt.UTC()
		s.UpdatedAt = &u
	}
	s.Attachments = []Attachment{}
	for _, f := range d.Attachments {
		s.Attachments = append(s.Attachments, Attachment{ID: f.ID, Field: f.FieldKey, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
	}
	writeJSON(w, http.StatusOK, s)
}

// StatusChange is the body of a status change.
type StatusChange struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// StatusChanged answers a status change.
type StatusChanged struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// submissionStatus moves a submission in the workflow: 415 for a body that
// is not JSON, 413 for one too large, 400 for one that does not parse, 422
// for a move the workflow refuses.
func (a *API) submissionStatus(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	var in StatusChange
	if !a.decodeJSON(w, r, &in) {
		return
	}
	if in.Status == "" {
		a.problem(w, r, http.StatusUnprocessableEntity, "unprocessable", []FieldError{fieldError(r, "status", "inbox.error.status_required")})
		return
	}
	primary, err := a.opts.Store.TenantPrimaryHost(r.Context(), t.ID)
	if err != nil {
		a.storeError(w, r, "change submission", err)
		return
	}
	err = a.opts.Store.ChangeSubmission(r.Context(), k.Actor(requestIDFrom(r)), t.ID, store.KeyViewer(k.ID), r.PathValue("id"),
		store.SubmissionChange{Status: in.Status, Reason: in.Reason,
			StatusMail: store.StatusMail(t.LegalName, tenant.Link(a.opts.BaseURL, t.Slug, primary, "/lookup"), in.Status)})
	if err != nil {
		a.storeError(w, r, "change submission", err)
		return
	}
	writeJSON(w, http.StatusOK, StatusChanged{ID: r.PathValue("id"), Status: in.Status})
}

// decodeJSON reads the request's body, one JSON object without unknown
// members, into v; on failure it answers (415, 413 or 400) and returns false.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		a.problem(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type", nil)
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		a.problem(w, r, http.StatusRequestEntityTooLarge, "too_large", nil)
		return false
	}
	if err == nil {
		// Read to the end, so an oversized body is refused, not cut.
		if _, err = io.Copy(io.Discard, r.Body); errors.As(err, &tooLarge) {
			a.problem(w, r, http.StatusRequestEntityTooLarge, "too_large", nil)
			return false
		}
	}
	if err != nil {
		a.problem(w, r, http.StatusBadRequest, "invalid_body", nil)
		return false
	}
	return true
}

// attachmentShow sends one file as a download, never inline.
func (a *API) attachmentShow(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey) {
	f, err := a.opts.Store.OpenAttachment(r.Context(), k.Actor(requestIDFrom(r)), t.ID, store.KeyViewer(k.ID), r.PathValue("id"),
		r.PathValue("attachment"), readPurpose)
	if err != nil {
		a.storeError(w, r, "open attachment", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	if cd == "" {
		cd = "attachment"
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(f.Data)
}
