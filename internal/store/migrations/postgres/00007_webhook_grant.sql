-- +goose Up
-- A subscription delivers only while the OAuth authorization (grant) of the
-- token that created it, or last changed its url or events, is alive
-- (internal/webhook). grant_id has no foreign key on purpose: a grant
-- that is gone (its client deleted, or pruned after it expired) must stay
-- distinguishable from "made without a grant" (NULL: before this column,
-- or through a web session). client_id is the OAuth client_id string, so
-- the owner can tell which integration a subscription belongs to even
-- after the client is deleted.
ALTER TABLE webhooks ADD COLUMN grant_id BIGINT;
ALTER TABLE webhooks ADD COLUMN client_id TEXT;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN client_id;
ALTER TABLE webhooks DROP COLUMN grant_id;
