package oauth

import (
	"strings"

	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
)

// nouns names each scope resource in English and Dutch (plural). Scope
// descriptions are generated from these and the action and extent, so a new
// resource only needs a line here (else its name is used).
var nouns = map[string][2]string{
	"activity_log": {"activity log entries", "logboekregels"},
	"appointment":  {"appointments", "afspraken"},
	"assignment":   {"assignments", "opdrachten"},
	"chance":       {"sales opportunities", "verkoopkansen"},
	"contact":      {"contacts", "contactpersonen"},
	"contract":     {"contracts", "contracten"},
	"customer":     {"customers", "klanten"},
	"email":        {"e-mails", "e-mails"},
	"field":        {"custom fields", "vrije velden"},
	"note":         {"notes", "notities"},
	"origin":       {"origins", "herkomsten"},
	"role":         {"roles", "rollen"},
	"task":         {"tasks", "taken"},
	"template":     {"templates", "sjablonen"},
	"todo":         {"to-dos", "to-do's"},
	"user":         {"users", "gebruikers"},
	"webhook":      {"webhook subscriptions", "webhookabonnementen"},
}

// singular resources: one record per company.
var singulars = map[string][2]string{
	"company": {"the company", "het bedrijf"},
	"setting": {"the company settings", "de bedrijfsinstellingen"},
}

var verbs = map[string][2]string{
	"read":   {"Read", "lezen"},
	"create": {"Create", "aanmaken"},
	"update": {"Update", "wijzigen"},
	"delete": {"Delete", "verwijderen"},
	"manage": {"Manage", "beheren"},
}

// describeScope builds the English and Dutch description of a scope:
// "Read all customers" / "Alle klanten lezen".
func describeScope(scope string) (en, nl string) {
	if scope == "client.manage.all" {
		return "Manage the company's OAuth clients (API applications)", "De OAuth-clients (API-koppelingen) van het bedrijf beheren"
	}
	parts := strings.Split(scope, ".")
	if len(parts) != 3 {
		return scope, scope
	}
	res, action, extent := parts[0], parts[1], parts[2]
	v, ok := verbs[action]
	if !ok {
		v = [2]string{strings.ToUpper(action[:1]) + action[1:], action}
	}
	if sg, ok := singulars[res]; ok {
		return v[0] + " " + sg[0], upperFirst(sg[1] + " " + v[1])
	}
	n, ok := nouns[res]
	if !ok {
		name := strings.ReplaceAll(res, "_", " ")
		n = [2]string{name, name}
	}
	switch {
	case extent == "own" && res == "user":
		return v[0] + " your own user account", "Je eigen gebruikersaccount " + v[1]
	case extent == "own":
		return v[0] + " own " + n[0], "Eigen " + n[1] + " " + v[1]
	case action == "create" && ownedByUser(res):
		return v[0] + " " + n[0] + " for any user", upperFirst(n[1]) + " " + v[1] + " voor elke gebruiker"
	case action == "create":
		return v[0] + " " + n[0], upperFirst(n[1]) + " " + v[1]
	default:
		return v[0] + " all " + n[0], "Alle " + n[1] + " " + v[1]
	}
}

// ownedByUser reports whether records of the scope resource belong to a
// user (user_id), so that creating them for others is what `all` adds.
func ownedByUser(scopeResource string) bool {
	for _, r := range schema.Resources() {
		if r.ScopeName() == scopeResource && r.Owner == "user_id" {
			return true
		}
	}
	return false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func init() {
	en := map[string]string{
		// RFC 6749 errors: the translated `message` next to error_description.
		"oauth_invalid_request":           "The request is missing a parameter or is malformed.",
		"oauth_invalid_client":            "Client authentication failed.",
		"oauth_invalid_grant":             "The authorization code or refresh token is invalid, expired or revoked.",
		"oauth_unauthorized_client":       "This client may not use this grant type.",
		"oauth_unsupported_grant_type":    "The grant type is not supported.",
		"oauth_invalid_scope":             "The requested scope is invalid, unknown or wider than allowed.",
		"oauth_server_error":              "Server Error",
		"oauth_access_denied":             "The user denied the request.",
		"oauth_unsupported_response_type": "The response type is not supported.",
		"oauth_request_too_large":         "The request body is larger than 1 MiB.",
		"v_max_items":                     "The %s field may not have more than %d items.",
		"v_redirect_uri":                  "The %s field has an invalid redirect URI: %s. Use an absolute https URI without fragment, http only on localhost, 127.0.0.1 or [::1], or a private-use scheme such as com.example.app:/callback.",

		// pages
		"page_lang":              "en",
		"page_login_title":       "Sign in",
		"page_login_intro":       "Sign in to Cirqll to continue to %s.",
		"page_email":             "E-mail address",
		"page_password":          "Password",
		"page_sign_in":           "Sign in",
		"page_login_failed":      "These credentials do not match our records.",
		"page_login_throttled":   "Too many failed sign-in attempts. Try again in %d minutes.",
		"page_form_expired":      "The form has expired. Please try again.",
		"page_consent_title":     "Authorize %s",
		"page_consent_intro":     "%s wants to access your Cirqll account.",
		"page_signed_in_as":      "Signed in as %s (%s).",
		"page_consent_scopes":    "If you authorize it, it will be able to:",
		"page_consent_narrowed":  "Narrowed: it asked for \"%s\", but your role allows only your own records.",
		"page_consent_dropped":   "Not granted, because your role does not allow it:",
		"page_consent_nothing":   "Your role allows none of the requested permissions, so this application cannot be authorized.",
		"page_consent_redirect":  "After your decision you will be sent to %s.",
		"page_approve":           "Authorize",
		"page_deny":              "Cancel",
		"page_back":              "Back to the application",
		"page_error_title":       "Authorization failed",
		"page_error_missing_id":  "The request has no client_id.",
		"page_error_client":      "The application (client_id) is unknown.",
		"page_error_redirect":    "The redirect_uri is not registered for this application.",
		"page_error_decision":    "Choose Authorize or Cancel.",
		"page_error_duplicate":   "The parameter %s is given more than once.",
		"page_error_no_redirect": "For your safety you are not sent back to the application. Please tell its developer.",
		"page_request_id":        "Request ID:",
	}
	nl := map[string]string{
		"oauth_invalid_request":           "Het verzoek mist een parameter of is ongeldig.",
		"oauth_invalid_client":            "De client kon niet worden geauthenticeerd.",
		"oauth_invalid_grant":             "De autorisatiecode of refresh token is ongeldig, verlopen of ingetrokken.",
		"oauth_unauthorized_client":       "Deze client mag dit grant-type niet gebruiken.",
		"oauth_unsupported_grant_type":    "Dit grant-type wordt niet ondersteund.",
		"oauth_invalid_scope":             "De gevraagde scope is ongeldig, onbekend of ruimer dan toegestaan.",
		"oauth_server_error":              "Serverfout",
		"oauth_access_denied":             "De gebruiker heeft het verzoek geweigerd.",
		"oauth_unsupported_response_type": "Dit response-type wordt niet ondersteund.",
		"oauth_request_too_large":         "De body van het verzoek is groter dan 1 MiB.",
		"v_max_items":                     "Het veld %s mag niet meer dan %d items hebben.",
		"v_redirect_uri":                  "Het veld %s bevat een ongeldige redirect-URI: %s. Gebruik een absolute https-URI zonder fragment, http alleen op localhost, 127.0.0.1 of [::1], of een eigen schema zoals com.example.app:/callback.",

		"page_lang":              "nl",
		"page_login_title":       "Inloggen",
		"page_login_intro":       "Log in bij Cirqll om verder te gaan naar %s.",
		"page_email":             "E-mailadres",
		"page_password":          "Wachtwoord",
		"page_sign_in":           "Inloggen",
		"page_login_failed":      "Deze gegevens komen niet overeen met onze administratie.",
		"page_login_throttled":   "Te veel mislukte inlogpogingen. Probeer het over %d minuten opnieuw.",
		"page_form_expired":      "Het formulier is verlopen. Probeer het opnieuw.",
		"page_consent_title":     "%s toegang geven",
		"page_consent_intro":     "%s wil toegang tot je Cirqll-account.",
		"page_signed_in_as":      "Ingelogd als %s (%s).",
		"page_consent_scopes":    "Als je toestemming geeft, kan de applicatie:",
		"page_consent_narrowed":  "Beperkt: gevraagd was \"%s\", maar je rol staat alleen je eigen records toe.",
		"page_consent_dropped":   "Niet toegekend, omdat je rol het niet toestaat:",
		"page_consent_nothing":   "Je rol staat geen van de gevraagde rechten toe, dus deze applicatie kan geen toegang krijgen.",
		"page_consent_redirect":  "Na je keuze word je doorgestuurd naar %s.",
		"page_approve":           "Toestaan",
		"page_deny":              "Annuleren",
		"page_back":              "Terug naar de applicatie",
		"page_error_title":       "Autorisatie mislukt",
		"page_error_missing_id":  "Het verzoek heeft geen client_id.",
		"page_error_client":      "De applicatie (client_id) is onbekend.",
		"page_error_redirect":    "De redirect_uri is niet geregistreerd voor deze applicatie.",
		"page_error_decision":    "Kies Toestaan of Annuleren.",
		"page_error_duplicate":   "De parameter %s is meer dan eens opgegeven.",
		"page_error_no_redirect": "Voor je veiligheid word je niet teruggestuurd naar de applicatie. Laat het de ontwikkelaar weten.",
		"page_request_id":        "Verzoek-ID:",
	}
	for _, sc := range schema.Scopes() {
		e, n := describeScope(sc)
		en["scope."+sc] = e
		nl["scope."+sc] = n
	}
	i18n.Register("en", en)
	i18n.Register("nl", nl)
}
