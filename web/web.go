// Package web holds Signoff's browser assets: the templ views (web/view) and
// the static files served under /static/.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Static is the static files (CSS, icon), rooted at static/.
var Static, _ = fs.Sub(static, "static")
