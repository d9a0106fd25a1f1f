// Package web holds the server-rendered pages' templates and static files
// (the OAuth login, consent and error pages in templates/, the settings
// pages of internal/pages in templates/pages/).
package web

import "embed"

// FS holds templates/*.html and static/*.
//
//go:embed templates static
var FS embed.FS
