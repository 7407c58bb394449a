package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/signoff/signoff/internal/signoff"
	"github.com/signoff/signoff/web/view"
)

// Managers is the part of the workflow behind the admins' directory of
// managers (manager steps): *signoff.Service, or a fake. Apart from
// Workflow, like Notices, so that a server without it serves no such page.
type Managers interface {
	ManagerDirectory(ctx context.Context, viewer signoff.Identity, filter string) (signoff.DirectoryPage, error)
	SetManagers(ctx context.Context, viewer signoff.Identity, entries []signoff.DirectoryEntry) (int, error)
}

// handleDirectory handles "GET /admin/directory" (q: a part of a user's or
// manager's name): the directory, for admins.
func (s *Server) handleDirectory(w http.ResponseWriter, r *http.Request) {
	page, err := s.managers.ManagerDirectory(r.Context(), viewerOf(r.Context()), r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, view.DirectoryPage(s.meta(w, r, "Directory of managers", "directory"), page, view.DirectoryForm{}))
}

// handleSetManagers handles "POST /admin/directory": an admin sets one
// user's manager (form=one: user, manager; an empty manager removes it), or
// loads many as CSV "user,manager" lines (form=csv: csv pasted, or a file
// uploaded as multipart/form-data). A refusal shows the page again (422,
// 403) with what was typed and why.
func (s *Server) handleSetManagers(w http.ResponseWriter, r *http.Request) {
	viewer := viewerOf(r.Context())
	form, err := readDirectoryForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var entries []signoff.DirectoryEntry
	if form.Kind == "one" {
		entries = []signoff.DirectoryEntry{{User: strings.TrimSpace(form.User), Manager: strings.TrimSpace(form.Manager)}}
	} else {
		entries, err = signoff.ParseDirectoryCSV(form.CSV)
	}
	n := 0
	if err == nil {
		n, err = s.managers.SetManagers(r.Context(), viewer, entries)
	}
	if err != nil {
		if status := statusOf(err); status != http.StatusUnprocessableEntity {
			s.fail(w, r, err)
			return
		}
		page, perr := s.managers.ManagerDirectory(r.Context(), viewer, "")
		if perr != nil {
			s.fail(w, r, perr)
			return
		}
		form.Problem = signoff.Message(err)
		s.render(w, r, http.StatusUnprocessableEntity, view.DirectoryPage(s.meta(w, r, "Directory of managers", "directory"), page, form))
		return
	}
	s.redirect(w, r, "/admin/directory", directoryFlash(form, entries, n))
}

// directoryFlash says what a change of the directory did.
func directoryFlash(form view.DirectoryForm, entries []signoff.DirectoryEntry, n int) string {
	if form.Kind == "one" {
		e := entries[0]
		switch {
		case n == 0:
			return "The directory already said so; nothing changed."
		case e.Manager == "":
			return e.User + " has no manager in the directory now."
		}
		return e.Manager + " is " + e.User + "'s manager now."
	}
	return strconv.Itoa(n) + " of " + strconv.Itoa(len(entries)) + " lines changed the directory."
}

// maxDirectoryUpload is the most bytes of an uploaded CSV file: the body
// limit (MaxBodyBytes) bounds it anyway.
const maxDirectoryUpload = MaxBodyBytes

// readDirectoryForm reads the directory's form: urlencoded, or multipart
// with the CSV as an uploaded file.
func readDirectoryForm(r *http.Request) (view.DirectoryForm, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var f view.DirectoryForm
	if mt == "multipart/form-data" {
		if err := r.ParseMultipartForm(maxDirectoryUpload); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return f, err
			}
			return f, signoff.Errorf(signoff.ErrInvalid, "The form could not be read.")
		}
		if !validValues(r.MultipartForm.Value) {
			return f, errNotText
		}
		f = view.DirectoryForm{Kind: r.FormValue("form"), User: r.FormValue("user"), Manager: r.FormValue("manager"),
			CSV: r.FormValue("csv")}
		if file, _, err := r.FormFile("file"); err == nil {
			defer file.Close()
			b, err := io.ReadAll(io.LimitReader(file, maxDirectoryUpload))
			if err != nil {
				return f, signoff.Errorf(signoff.ErrInvalid, "The file could not be read.")
			}
			if !utf8.Valid(b) {
				return f, errNotText
			}
			if strings.TrimSpace(string(b)) != "" {
				f.CSV = strings.TrimPrefix(string(b), "\ufeff") // a spreadsheet's byte-order mark
			}
		}
	} else {
		if err := parseForm(r); err != nil {
			return f, err
		}
		f = view.DirectoryForm{Kind: r.PostFormValue("form"), User: r.PostFormValue("user"),
			Manager: r.PostFormValue("manager"), CSV: r.PostFormValue("csv")}
	}
	if f.Kind != "one" && f.Kind != "csv" {
		return f, signoff.Errorf(signoff.ErrInvalid, "Set one user's manager, or load lines \"user,manager\".")
	}
	return f, nil
}
