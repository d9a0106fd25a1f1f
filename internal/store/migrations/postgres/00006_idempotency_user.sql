-- +goose Up
-- Idempotency keys belong to a user of a client, not to the client alone: a
-- marketplace app uses one client for many users, and one user's replay
-- must never hand another the first user's record. The replay also returns
-- the first answer's ETag.
ALTER TABLE idempotency_keys ADD COLUMN user_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idempotency_keys ADD COLUMN response_etag TEXT;
DROP INDEX idempotency_keys_key;
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (company_id, client_id, user_id, idem_key);

-- +goose Down
DROP INDEX idempotency_keys_key;
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (company_id, client_id, idem_key);
ALTER TABLE idempotency_keys DROP COLUMN response_etag;
ALTER TABLE idempotency_keys DROP COLUMN user_id;
