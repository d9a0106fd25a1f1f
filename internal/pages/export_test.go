package pages

import "sort"

// MessageKeys lists the keys of the English and Dutch messages (for tests).
func MessageKeys() (en, nl []string) {
	for k := range messagesEN {
		en = append(en, "pg."+k)
	}
	for k := range messagesNL {
		nl = append(nl, "pg."+k)
	}
	sort.Strings(en)
	sort.Strings(nl)
	return en, nl
}
