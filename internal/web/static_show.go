package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
)

//go:embed static
var embeddedStatic embed.FS

// staticFiles are the files served under /static/.
var staticFiles = mustSub(embeddedStatic, "static")

// staticHashes maps each static file to a short hash of its content. Page
// links carry it (/static/kluis.css?v=…), so the files can be cached for a
// year: a changed file gets a new URL.
var staticHashes = hashFiles(staticFiles)

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

func hashFiles(fsys fs.FS) map[string]string {
	hashes := make(map[string]string)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		panic(err)
	}
	return hashes
}

// staticURL is the template function "static": the versioned URL of a
// static file.
func staticURL(name string) string {
	if h, ok := staticHashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

// staticShow serves an embedded static file. A request with the current
// version may be cached for a year; any other must revalidate.
func (a *App) staticShow(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	hash, ok := staticHashes[name]
	if !ok {
		a.notFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+hash+`"`)
	http.ServeFileFS(w, r, staticFiles, name)
}
