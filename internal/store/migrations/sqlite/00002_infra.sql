-- +goose Up
-- Idempotency-Key records: a Create repeated by the same client within 24 h
-- returns the first response. status 0 = still in flight.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    response_body TEXT,
    response_location TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (company_id, client_id, idem_key);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
