// Package web holds the server-rendered pages' templates and static files
// (the OAuth login, consent and error pages; later the web app's pages).
package web

import "embed"

// FS holds templates/*.html and static/*.
//
//go:embed templates static
var FS embed.FS
