-- +goose Up
-- Webhooks (webhooks.md; design in docs/webhooks.md).
-- webhooks: the subscriptions (schema.Webhook) plus the delivery queue's
-- per-subscription state: next_run_at (when its next job is due; NULL: none)
-- and the lease (lease_owner, lease_until) of the instance delivering it, so
-- one subscription has one delivery in flight and keeps its order.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    secret TEXT NOT NULL,
    secret_last4 TEXT,
    failure_count INTEGER NOT NULL DEFAULT 0,
    last_delivery_at TEXT,
    disabled_reason TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    scopes TEXT NOT NULL DEFAULT '',
    next_run_at TEXT,
    lease_owner TEXT,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX webhooks_created_at_idx ON webhooks (company_id, created_at, id);
CREATE INDEX webhooks_updated_at_idx ON webhooks (company_id, updated_at, id);
CREATE INDEX webhooks_active_idx ON webhooks (company_id, active, id);
CREATE INDEX webhooks_user_id_fk_idx ON webhooks (user_id) WHERE user_id IS NOT NULL;
-- the claim: active subscriptions with a due job
CREATE INDEX webhooks_due_idx ON webhooks (next_run_at) WHERE active = 1 AND next_run_at IS NOT NULL;

-- webhook_events: the outbox, written in the transaction of the change.
-- dispatched = 0 until the fan-out has made its jobs (events nobody
-- subscribed to are deleted then). webhook_id names the one subscription of
-- a ping.
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    webhook_id INTEGER REFERENCES webhooks (id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    event TEXT NOT NULL,
    resource TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    owner_id INTEGER,
    payload TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    dispatched INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_events_undispatched_idx ON webhook_events (id) WHERE dispatched = 0;
CREATE INDEX webhook_events_occurred_at_idx ON webhook_events (occurred_at);
CREATE INDEX webhook_events_company_id_fk_idx ON webhook_events (company_id);
CREATE INDEX webhook_events_webhook_id_fk_idx ON webhook_events (webhook_id) WHERE webhook_id IS NOT NULL;

-- webhook_jobs: the queue, one row per event and subscription (an attempt
-- series; delivery_uid is its X-Cirqll-Delivery). kind 0 = event (ordered by
-- id, which the fan-out assigns in outbox order; retried with backoff), 1 =
-- ping, 2 = manual redelivery (both one attempt, outside the order). state
-- 0 = pending, 1 = succeeded, 2 = failed (given up).
CREATE TABLE webhook_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_pk INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    delivery_uid TEXT NOT NULL,
    kind INTEGER NOT NULL DEFAULT 0,
    state INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- a subscription's pending jobs in order (and its foreign key)
CREATE INDEX webhook_jobs_queue_idx ON webhook_jobs (webhook_id, state, kind, id);
CREATE INDEX webhook_jobs_event_pk_fk_idx ON webhook_jobs (event_pk);
CREATE INDEX webhook_jobs_company_id_fk_idx ON webhook_jobs (company_id);

-- webhook_deliveries: the history, one row per attempt (schema.WebhookDelivery);
-- status pending = not yet attempted.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    job_id INTEGER NOT NULL REFERENCES webhook_jobs (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    response_status INTEGER,
    duration_ms INTEGER,
    error TEXT,
    next_retry_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_created_at_idx ON webhook_deliveries (company_id, created_at, id);
CREATE INDEX webhook_deliveries_updated_at_idx ON webhook_deliveries (company_id, updated_at, id);
CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (company_id, webhook_id, id);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (company_id, status, id);
CREATE INDEX webhook_deliveries_webhook_id_fk_idx ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_job_id_fk_idx ON webhook_deliveries (job_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_jobs;
DROP TABLE webhook_events;
DROP TABLE webhooks;
