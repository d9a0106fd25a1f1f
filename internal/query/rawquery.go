package query

import (
	"net/url"
	"strings"
)

// Values parses a raw query string splitting on "&" only. A ";" is a
// literal: it separates the values of filter's in operator
// (status:in:open;won), and url.ParseQuery (r.URL.Query()) drops the whole
// parameter that holds one, silently answering an unfiltered list. Pairs
// with a bad %-escape are skipped, as url.ParseQuery does.
func Values(rawQuery string) url.Values {
	v := url.Values{}
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			continue
		}
		v[k] = append(v[k], val)
	}
	return v
}
