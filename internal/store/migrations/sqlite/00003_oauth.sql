-- +goose Up
-- OAuth 2.0 authorization server (internal/oauth). Secrets (client secrets,
-- codes, access and refresh tokens, session ids) are stored only as SHA-256
-- hex hashes. A grant is one "family": everything descended from one
-- authorization code or one client_credentials request; revoking it revokes
-- all its tokens.
CREATE TABLE oauth_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL, -- the owner: client_credentials acts as this user by default
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT, -- NULL for public clients
    name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL, -- JSON array of strings
    confidential INTEGER NOT NULL,
    rate_limit INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX oauth_clients_company ON oauth_clients (company_id);

CREATE TABLE oauth_grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_pk INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grant_type TEXT NOT NULL, -- authorization_code or client_credentials
    scopes TEXT NOT NULL, -- space separated, what the newest token carries
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, -- when its last token expires
    revoked_at TEXT
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, company_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_pk);

CREATE TABLE oauth_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT NOT NULL UNIQUE,
    client_pk INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL, -- as sent with the authorization request ('' if omitted)
    scopes TEXT NOT NULL,
    code_challenge TEXT, -- S256 challenge; NULL when none was sent
    expires_at TEXT NOT NULL,
    used_at TEXT,
    grant_id INTEGER, -- the grant its exchange created (revoked when the code is replayed)
    created_at TEXT NOT NULL
);
CREATE INDEX oauth_codes_client ON oauth_codes (client_pk);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

CREATE TABLE oauth_access_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    grant_id INTEGER NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    client_pk INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL, -- space separated
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX oauth_access_tokens_hash ON oauth_access_tokens (token_hash);
CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens (grant_id);
CREATE INDEX oauth_access_tokens_client ON oauth_access_tokens (client_pk);
CREATE INDEX oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    grant_id INTEGER NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    access_token_id INTEGER NOT NULL, -- the access token issued with it
    client_pk INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT, -- rotated: presenting it again revokes the grant
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX oauth_refresh_tokens_hash ON oauth_refresh_tokens (token_hash);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);
CREATE INDEX oauth_refresh_tokens_client ON oauth_refresh_tokens (client_pk);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

-- Browser sessions of the login and consent pages (cookie cirqll_session).
CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_hash TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX web_sessions_hash ON web_sessions (session_hash);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- Failed logins per key (acct:<email>, ip:<address>, acctip:<email>|<address>)
-- counted in fixed windows that start with the window's first failure.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE web_sessions;
DROP TABLE oauth_refresh_tokens;
DROP TABLE oauth_access_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_grants;
DROP TABLE oauth_clients;
