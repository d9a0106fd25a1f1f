// Package i18n holds the message catalogues (Dutch and English) and picks
// the language of a request: Accept-Language, else the user's locale, else
// the company setting, else English.
package i18n

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Supported languages; the first is the fallback.
var Supported = []string{"en", "nl"}

var (
	mu      sync.RWMutex
	catalog = map[string]map[string]string{"en": {}, "nl": {}}
	matcher = language.NewMatcher([]language.Tag{language.English, language.Dutch})
)

// Register adds messages for a language; each area of the code base keeps
// its own file of messages and registers them from init.
func Register(lang string, msgs map[string]string) {
	mu.Lock()
	defer mu.Unlock()
	m := catalog[lang]
	if m == nil {
		m = map[string]string{}
		catalog[lang] = m
	}
	for k, v := range msgs {
		m[k] = v
	}
}

// Nested is a message argument that is itself translated (a detail inside
// a message: "The request body is not a valid JSON object: <detail>").
type Nested struct {
	Key  string
	Args []any
}

// N builds a Nested argument.
func N(key string, args ...any) Nested { return Nested{Key: key, Args: args} }

// T translates key into lang, formatting args with fmt verbs. A key missing
// in lang falls back to English, then to the key itself.
func T(lang, key string, args ...any) string {
	mu.RLock()
	s, ok := catalog[lang][key]
	if !ok {
		s, ok = catalog["en"][key]
	}
	mu.RUnlock()
	if !ok {
		s = key
	}
	if len(args) == 0 {
		return s
	}
	copied := false
	for i, a := range args {
		if n, ok := a.(Nested); ok {
			if !copied { // never change the caller's slice
				args, copied = append([]any(nil), args...), true
			}
			args[i] = T(lang, n.Key, n.Args...)
		}
	}
	return fmt.Sprintf(s, args...)
}

// Has reports whether the English catalogue knows key.
func Has(key string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := catalog["en"][key]
	return ok
}

// FromHeader returns "en" or "nl" when the Accept-Language header names a
// language we speak, else "" so the caller can fall back to the user's locale.
func FromHeader(acceptLanguage string) string {
	if strings.TrimSpace(acceptLanguage) == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	return Supported[idx]
}

// Pick returns the first supported language among the candidates, else "en".
func Pick(candidates ...string) string {
	for _, c := range candidates {
		if c == "en" || c == "nl" {
			return c
		}
	}
	return "en"
}
