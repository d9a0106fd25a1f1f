-- +goose Up
-- Resource tables for SQLite (modernc.org/sqlite, FTS5): one table per
-- schema.Resource, one column per field (Field.Col()); Nested fields have no
-- column (address_id holds them). Types: Int/Ref/Decimal INTEGER (Decimal =
-- cents, template item quantity/vat_rate = hundredths), Bool INTEGER 0/1, Date
-- TEXT 'YYYY-MM-DD', DateTime TEXT '2006-01-02T15:04:05.000000Z' (UTC, fixed
-- width so text order is time order), everything textual TEXT.
-- Every table but companies carries company_id (ON DELETE CASCADE). Ref
-- foreign keys follow the target's DeleteRules (Cascade -> CASCADE, Nullify
-- -> SET NULL, Block -> NO ACTION) and are otherwise SET NULL; the app applies
-- the rules itself (with PRAGMA foreign_keys on), the keys are a safety net.
-- Indexes: (company_id, created_at, id) and (company_id, updated_at, id) on
-- every listable table, (company_id, <col>, id) for filter/sort columns, and
-- a plain <ref>_fk_idx per foreign key so that deleting a parent (FK check or
-- action) never scans the child table. like/contains on Search fields: an
-- external-content FTS5 trigram table <table>_fts kept in sync by triggers.

-- companies: the tenant, one row per company and read by id only; just the address FK index.
CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    coc_number TEXT,
    vat_number TEXT,
    email TEXT,
    phone TEXT,
    website TEXT,
    address_id INTEGER REFERENCES addresses (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX companies_address_id_fk_idx ON companies (address_id) WHERE address_id IS NOT NULL;

-- addresses: read by id through their holder; the standard indexes serve the company cascade.
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    street TEXT,
    house_number TEXT,
    postal_code TEXT,
    city TEXT,
    country TEXT DEFAULT 'NL',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX addresses_created_at_idx ON addresses (company_id, created_at, id);
CREATE INDEX addresses_updated_at_idx ON addresses (company_id, updated_at, id);

-- settings: one row per company, only ever read by company_id (the UNIQUE constraint's index).
CREATE TABLE settings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL UNIQUE REFERENCES companies (id) ON DELETE CASCADE,
    locale TEXT DEFAULT 'nl',
    timezone TEXT DEFAULT 'Europe/Amsterdam',
    currency TEXT DEFAULT 'EUR',
    date_format TEXT DEFAULT 'DD-MM-YYYY',
    fiscal_year_start_month INTEGER DEFAULT 1,
    customer_number_prefix TEXT DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- roles: unique (company_id, name) doubles as the name (title) sort index; users.role_id is checked on delete.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL DEFAULT '',
    builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX roles_company_id_name_key ON roles (company_id, name);
CREATE INDEX roles_created_at_idx ON roles (company_id, created_at, id);
CREATE INDEX roles_updated_at_idx ON roles (company_id, updated_at, id);

-- users: email unique across the system (stored lowercased, the sign-in lookup); name is the title, role_id a filter.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT,
    role_id INTEGER NOT NULL REFERENCES roles (id),
    phone TEXT,
    locale TEXT DEFAULT 'nl',
    timezone TEXT DEFAULT 'Europe/Amsterdam',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_created_at_idx ON users (company_id, created_at, id);
CREATE INDEX users_updated_at_idx ON users (company_id, updated_at, id);
CREATE INDEX users_name_idx ON users (company_id, name, id);
CREATE INDEX users_role_id_idx ON users (company_id, role_id, id);
CREATE INDEX users_role_id_fk_idx ON users (role_id);

-- origins: small lookup list, sorted by name (title).
CREATE TABLE origins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX origins_created_at_idx ON origins (company_id, created_at, id);
CREATE INDEX origins_updated_at_idx ON origins (company_id, updated_at, id);
CREATE INDEX origins_name_idx ON origins (company_id, name, id);

-- customers: the main list: title, enums, refs and email (exact lookups by integrations) filter and sort per company.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT DEFAULT 'company',
    status TEXT DEFAULT 'lead',
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    origin_id INTEGER REFERENCES origins (id) ON DELETE SET NULL,
    coc_number TEXT,
    vat_number TEXT,
    email TEXT,
    phone TEXT,
    website TEXT,
    address_id INTEGER REFERENCES addresses (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_created_at_idx ON customers (company_id, created_at, id);
CREATE INDEX customers_updated_at_idx ON customers (company_id, updated_at, id);
CREATE INDEX customers_name_idx ON customers (company_id, name, id);
CREATE INDEX customers_type_idx ON customers (company_id, type, id);
CREATE INDEX customers_status_idx ON customers (company_id, status, id);
CREATE INDEX customers_user_id_idx ON customers (company_id, user_id, id);
CREATE INDEX customers_origin_id_idx ON customers (company_id, origin_id, id);
CREATE INDEX customers_email_idx ON customers (company_id, email, id);
CREATE INDEX customers_user_id_fk_idx ON customers (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX customers_origin_id_fk_idx ON customers (origin_id) WHERE origin_id IS NOT NULL;
CREATE INDEX customers_address_id_fk_idx ON customers (address_id) WHERE address_id IS NOT NULL;
CREATE VIRTUAL TABLE customers_fts USING fts5(name, email, content='customers', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_au AFTER UPDATE OF name, email ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO customers_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
-- +goose StatementEnd

-- contacts: title first_name plus last_name (the usual people sort), refs for with/count/filters, email lookups.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    first_name TEXT NOT NULL,
    last_name TEXT,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email TEXT,
    phone TEXT,
    mobile TEXT,
    job_title TEXT,
    address_id INTEGER REFERENCES addresses (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_created_at_idx ON contacts (company_id, created_at, id);
CREATE INDEX contacts_updated_at_idx ON contacts (company_id, updated_at, id);
CREATE INDEX contacts_first_name_idx ON contacts (company_id, first_name, id);
CREATE INDEX contacts_last_name_idx ON contacts (company_id, last_name, id);
CREATE INDEX contacts_customer_id_idx ON contacts (company_id, customer_id, id);
CREATE INDEX contacts_user_id_idx ON contacts (company_id, user_id, id);
CREATE INDEX contacts_email_idx ON contacts (company_id, email, id);
CREATE INDEX contacts_customer_id_fk_idx ON contacts (customer_id);
CREATE INDEX contacts_user_id_fk_idx ON contacts (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX contacts_address_id_fk_idx ON contacts (address_id) WHERE address_id IS NOT NULL;
CREATE VIRTUAL TABLE contacts_fts USING fts5(first_name, last_name, email, content='contacts', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, first_name, last_name, email) VALUES (new.id, new.first_name, new.last_name, new.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, first_name, last_name, email) VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF first_name, last_name, email ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, first_name, last_name, email) VALUES ('delete', old.id, old.first_name, old.last_name, old.email);
    INSERT INTO contacts_fts (rowid, first_name, last_name, email) VALUES (new.id, new.first_name, new.last_name, new.email);
END;
-- +goose StatementEnd

-- chances: pipeline views filter on stage and sort on expected_close_date / closed_at; title and refs as everywhere.
CREATE TABLE chances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    amount INTEGER,
    currency TEXT DEFAULT 'EUR',
    probability INTEGER,
    stage TEXT DEFAULT 'new',
    expected_close_date TEXT,
    closed_at TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    origin_id INTEGER REFERENCES origins (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX chances_created_at_idx ON chances (company_id, created_at, id);
CREATE INDEX chances_updated_at_idx ON chances (company_id, updated_at, id);
CREATE INDEX chances_title_idx ON chances (company_id, title, id);
CREATE INDEX chances_customer_id_idx ON chances (company_id, customer_id, id);
CREATE INDEX chances_stage_idx ON chances (company_id, stage, id);
CREATE INDEX chances_expected_close_date_idx ON chances (company_id, expected_close_date, id);
CREATE INDEX chances_closed_at_idx ON chances (company_id, closed_at, id);
CREATE INDEX chances_user_id_idx ON chances (company_id, user_id, id);
CREATE INDEX chances_contact_id_idx ON chances (company_id, contact_id, id);
CREATE INDEX chances_origin_id_idx ON chances (company_id, origin_id, id);
CREATE INDEX chances_customer_id_fk_idx ON chances (customer_id);
CREATE INDEX chances_user_id_fk_idx ON chances (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX chances_contact_id_fk_idx ON chances (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX chances_origin_id_fk_idx ON chances (origin_id) WHERE origin_id IS NOT NULL;
CREATE VIRTUAL TABLE chances_fts USING fts5(title, content='chances', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER chances_fts_ai AFTER INSERT ON chances BEGIN
    INSERT INTO chances_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER chances_fts_ad AFTER DELETE ON chances BEGIN
    INSERT INTO chances_fts (chances_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER chances_fts_au AFTER UPDATE OF title ON chances BEGIN
    INSERT INTO chances_fts (chances_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO chances_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd

-- assignments: title, refs, status and start_date (planning order).
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    chance_id INTEGER REFERENCES chances (id) ON DELETE SET NULL,
    description TEXT,
    amount INTEGER,
    currency TEXT DEFAULT 'EUR',
    status TEXT DEFAULT 'open',
    start_date TEXT,
    end_date TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX assignments_created_at_idx ON assignments (company_id, created_at, id);
CREATE INDEX assignments_updated_at_idx ON assignments (company_id, updated_at, id);
CREATE INDEX assignments_title_idx ON assignments (company_id, title, id);
CREATE INDEX assignments_customer_id_idx ON assignments (company_id, customer_id, id);
CREATE INDEX assignments_chance_id_idx ON assignments (company_id, chance_id, id);
CREATE INDEX assignments_status_idx ON assignments (company_id, status, id);
CREATE INDEX assignments_start_date_idx ON assignments (company_id, start_date, id);
CREATE INDEX assignments_user_id_idx ON assignments (company_id, user_id, id);
CREATE INDEX assignments_customer_id_fk_idx ON assignments (customer_id);
CREATE INDEX assignments_chance_id_fk_idx ON assignments (chance_id) WHERE chance_id IS NOT NULL;
CREATE INDEX assignments_user_id_fk_idx ON assignments (user_id) WHERE user_id IS NOT NULL;
CREATE VIRTUAL TABLE assignments_fts USING fts5(title, content='assignments', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER assignments_fts_ai AFTER INSERT ON assignments BEGIN
    INSERT INTO assignments_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER assignments_fts_ad AFTER DELETE ON assignments BEGIN
    INSERT INTO assignments_fts (assignments_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER assignments_fts_au AFTER UPDATE OF title ON assignments BEGIN
    INSERT INTO assignments_fts (assignments_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO assignments_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd

-- contracts: title, refs, enums and end_date (contracts running out).
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    assignment_id INTEGER REFERENCES assignments (id) ON DELETE SET NULL,
    amount INTEGER,
    currency TEXT DEFAULT 'EUR',
    billing_interval TEXT DEFAULT 'monthly',
    start_date TEXT,
    end_date TEXT,
    status TEXT DEFAULT 'draft',
    signed_at TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contracts_created_at_idx ON contracts (company_id, created_at, id);
CREATE INDEX contracts_updated_at_idx ON contracts (company_id, updated_at, id);
CREATE INDEX contracts_title_idx ON contracts (company_id, title, id);
CREATE INDEX contracts_customer_id_idx ON contracts (company_id, customer_id, id);
CREATE INDEX contracts_assignment_id_idx ON contracts (company_id, assignment_id, id);
CREATE INDEX contracts_billing_interval_idx ON contracts (company_id, billing_interval, id);
CREATE INDEX contracts_status_idx ON contracts (company_id, status, id);
CREATE INDEX contracts_end_date_idx ON contracts (company_id, end_date, id);
CREATE INDEX contracts_user_id_idx ON contracts (company_id, user_id, id);
CREATE INDEX contracts_customer_id_fk_idx ON contracts (customer_id);
CREATE INDEX contracts_assignment_id_fk_idx ON contracts (assignment_id) WHERE assignment_id IS NOT NULL;
CREATE INDEX contracts_user_id_fk_idx ON contracts (user_id) WHERE user_id IS NOT NULL;
CREATE VIRTUAL TABLE contracts_fts USING fts5(title, content='contracts', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER contracts_fts_ai AFTER INSERT ON contracts BEGIN
    INSERT INTO contracts_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contracts_fts_ad AFTER DELETE ON contracts BEGIN
    INSERT INTO contracts_fts (contracts_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contracts_fts_au AFTER UPDATE OF title ON contracts BEGIN
    INSERT INTO contracts_fts (contracts_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO contracts_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd

-- tasks: to-do lists filter on user_id/status/priority and sort on due_at; title and refs.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    chance_id INTEGER REFERENCES chances (id) ON DELETE SET NULL,
    due_at TEXT,
    priority TEXT DEFAULT 'normal',
    status TEXT DEFAULT 'open',
    completed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_created_at_idx ON tasks (company_id, created_at, id);
CREATE INDEX tasks_updated_at_idx ON tasks (company_id, updated_at, id);
CREATE INDEX tasks_title_idx ON tasks (company_id, title, id);
CREATE INDEX tasks_user_id_idx ON tasks (company_id, user_id, id);
CREATE INDEX tasks_customer_id_idx ON tasks (company_id, customer_id, id);
CREATE INDEX tasks_contact_id_idx ON tasks (company_id, contact_id, id);
CREATE INDEX tasks_chance_id_idx ON tasks (company_id, chance_id, id);
CREATE INDEX tasks_due_at_idx ON tasks (company_id, due_at, id);
CREATE INDEX tasks_priority_idx ON tasks (company_id, priority, id);
CREATE INDEX tasks_status_idx ON tasks (company_id, status, id);
CREATE INDEX tasks_user_id_fk_idx ON tasks (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX tasks_customer_id_fk_idx ON tasks (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX tasks_contact_id_fk_idx ON tasks (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX tasks_chance_id_fk_idx ON tasks (chance_id) WHERE chance_id IS NOT NULL;
CREATE VIRTUAL TABLE tasks_fts USING fts5(title, content='tasks', content_rowid='id', tokenize='trigram case_sensitive 0');
-- +goose StatementBegin
CREATE TRIGGER tasks_fts_ai AFTER INSERT ON tasks BEGIN
    INSERT INTO tasks_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tasks_fts_ad AFTER DELETE ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tasks_fts_au AFTER UPDATE OF title ON tasks BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO tasks_fts (rowid, title) VALUES (new.id, new.title);
END;
-- +goose StatementEnd

-- todos: loaded per task (task_id), per user, sorted by due_at; title.
CREATE TABLE todos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    task_id INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    due_at TEXT,
    position INTEGER DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX todos_created_at_idx ON todos (company_id, created_at, id);
CREATE INDEX todos_updated_at_idx ON todos (company_id, updated_at, id);
CREATE INDEX todos_title_idx ON todos (company_id, title, id);
CREATE INDEX todos_task_id_idx ON todos (company_id, task_id, id);
CREATE INDEX todos_user_id_idx ON todos (company_id, user_id, id);
CREATE INDEX todos_due_at_idx ON todos (company_id, due_at, id);
CREATE INDEX todos_task_id_fk_idx ON todos (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX todos_user_id_fk_idx ON todos (user_id) WHERE user_id IS NOT NULL;

-- appointments: calendar ranges on starts_at; title and refs.
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    all_day INTEGER NOT NULL DEFAULT 0 CHECK (all_day IN (0, 1)),
    description TEXT,
    location TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX appointments_created_at_idx ON appointments (company_id, created_at, id);
CREATE INDEX appointments_updated_at_idx ON appointments (company_id, updated_at, id);
CREATE INDEX appointments_title_idx ON appointments (company_id, title, id);
CREATE INDEX appointments_starts_at_idx ON appointments (company_id, starts_at, id);
CREATE INDEX appointments_user_id_idx ON appointments (company_id, user_id, id);
CREATE INDEX appointments_customer_id_idx ON appointments (company_id, customer_id, id);
CREATE INDEX appointments_contact_id_idx ON appointments (company_id, contact_id, id);
CREATE INDEX appointments_user_id_fk_idx ON appointments (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX appointments_customer_id_fk_idx ON appointments (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX appointments_contact_id_fk_idx ON appointments (contact_id) WHERE contact_id IS NOT NULL;

-- emails: timelines sorted by sent_at per customer/contact; subject (title), direction.
CREATE TABLE emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    direction TEXT DEFAULT 'outbound',
    from_address TEXT,
    to_addresses TEXT,
    cc_addresses TEXT,
    body TEXT,
    sent_at TEXT,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX emails_created_at_idx ON emails (company_id, created_at, id);
CREATE INDEX emails_updated_at_idx ON emails (company_id, updated_at, id);
CREATE INDEX emails_subject_idx ON emails (company_id, subject, id);
CREATE INDEX emails_direction_idx ON emails (company_id, direction, id);
CREATE INDEX emails_sent_at_idx ON emails (company_id, sent_at, id);
CREATE INDEX emails_customer_id_idx ON emails (company_id, customer_id, id);
CREATE INDEX emails_contact_id_idx ON emails (company_id, contact_id, id);
CREATE INDEX emails_user_id_idx ON emails (company_id, user_id, id);
CREATE INDEX emails_customer_id_fk_idx ON emails (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX emails_contact_id_fk_idx ON emails (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX emails_user_id_fk_idx ON emails (user_id) WHERE user_id IS NOT NULL;

-- notes: listed per customer/contact/chance; the title is body (long text), too wide for a btree (PG max ~2.7 kB), so not indexed.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    chance_id INTEGER REFERENCES chances (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX notes_created_at_idx ON notes (company_id, created_at, id);
CREATE INDEX notes_updated_at_idx ON notes (company_id, updated_at, id);
CREATE INDEX notes_user_id_idx ON notes (company_id, user_id, id);
CREATE INDEX notes_customer_id_idx ON notes (company_id, customer_id, id);
CREATE INDEX notes_contact_id_idx ON notes (company_id, contact_id, id);
CREATE INDEX notes_chance_id_idx ON notes (company_id, chance_id, id);
CREATE INDEX notes_user_id_fk_idx ON notes (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX notes_customer_id_fk_idx ON notes (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX notes_contact_id_fk_idx ON notes (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX notes_chance_id_fk_idx ON notes (chance_id) WHERE chance_id IS NOT NULL;

-- fields: unique (company_id, model, key) also serves the model filter; name (title) and type.
CREATE TABLE fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    type TEXT NOT NULL,
    key TEXT,
    required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    position INTEGER DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX fields_company_id_model_key_key ON fields (company_id, model, key);
CREATE INDEX fields_created_at_idx ON fields (company_id, created_at, id);
CREATE INDEX fields_updated_at_idx ON fields (company_id, updated_at, id);
CREATE INDEX fields_name_idx ON fields (company_id, name, id);
CREATE INDEX fields_type_idx ON fields (company_id, type, id);

-- field_options: read per field in position order; company_id for the tenant cascade.
CREATE TABLE field_options (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX field_options_field_id_idx ON field_options (field_id, position, id);
CREATE INDEX field_options_company_id_idx ON field_options (company_id);

-- field_values: one value per (field, record); loaded per page of records of one model.
CREATE TABLE field_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX field_values_field_id_record_id_key ON field_values (field_id, record_id);
CREATE INDEX field_values_record_idx ON field_values (company_id, model, record_id);

-- templates: name (title), type and owner.
CREATE TABLE templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    type TEXT DEFAULT 'email',
    subject TEXT,
    body TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX templates_created_at_idx ON templates (company_id, created_at, id);
CREATE INDEX templates_updated_at_idx ON templates (company_id, updated_at, id);
CREATE INDEX templates_name_idx ON templates (company_id, name, id);
CREATE INDEX templates_type_idx ON templates (company_id, type, id);
CREATE INDEX templates_user_id_idx ON templates (company_id, user_id, id);
CREATE INDEX templates_user_id_fk_idx ON templates (user_id) WHERE user_id IS NOT NULL;

-- template_items: read per template in position order; company_id for the tenant cascade.
CREATE TABLE template_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    template_id INTEGER NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    quantity INTEGER,
    unit_price INTEGER,
    vat_rate INTEGER,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX template_items_template_id_idx ON template_items (template_id, position, id);
CREATE INDEX template_items_company_id_idx ON template_items (company_id);

-- activity_logs: append-only and the biggest table: history of one record (subject), newest first (created_at), per user or event.
CREATE TABLE activity_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    changes TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    client_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX activity_logs_subject_idx ON activity_logs (company_id, subject_type, subject_id, id);
CREATE INDEX activity_logs_created_at_idx ON activity_logs (company_id, created_at, id);
CREATE INDEX activity_logs_updated_at_idx ON activity_logs (company_id, updated_at, id);
CREATE INDEX activity_logs_event_idx ON activity_logs (company_id, event, id);
CREATE INDEX activity_logs_user_id_idx ON activity_logs (company_id, user_id, id);
CREATE INDEX activity_logs_user_id_fk_idx ON activity_logs (user_id) WHERE user_id IS NOT NULL;

-- +goose Down
DROP TABLE IF EXISTS activity_logs;
DROP TABLE IF EXISTS template_items;
DROP TABLE IF EXISTS templates;
DROP TABLE IF EXISTS field_values;
DROP TABLE IF EXISTS field_options;
DROP TABLE IF EXISTS fields;
DROP TABLE IF EXISTS notes;
DROP TABLE IF EXISTS emails;
DROP TABLE IF EXISTS appointments;
DROP TABLE IF EXISTS todos;
DROP TRIGGER IF EXISTS tasks_fts_au;
DROP TRIGGER IF EXISTS tasks_fts_ad;
DROP TRIGGER IF EXISTS tasks_fts_ai;
DROP TABLE IF EXISTS tasks_fts;
DROP TABLE IF EXISTS tasks;
DROP TRIGGER IF EXISTS contracts_fts_au;
DROP TRIGGER IF EXISTS contracts_fts_ad;
DROP TRIGGER IF EXISTS contracts_fts_ai;
DROP TABLE IF EXISTS contracts_fts;
DROP TABLE IF EXISTS contracts;
DROP TRIGGER IF EXISTS assignments_fts_au;
DROP TRIGGER IF EXISTS assignments_fts_ad;
DROP TRIGGER IF EXISTS assignments_fts_ai;
DROP TABLE IF EXISTS assignments_fts;
DROP TABLE IF EXISTS assignments;
DROP TRIGGER IF EXISTS chances_fts_au;
DROP TRIGGER IF EXISTS chances_fts_ad;
DROP TRIGGER IF EXISTS chances_fts_ai;
DROP TABLE IF EXISTS chances_fts;
DROP TABLE IF EXISTS chances;
DROP TRIGGER IF EXISTS contacts_fts_au;
DROP TRIGGER IF EXISTS contacts_fts_ad;
DROP TRIGGER IF EXISTS contacts_fts_ai;
DROP TABLE IF EXISTS contacts_fts;
DROP TABLE IF EXISTS contacts;
DROP TRIGGER IF EXISTS customers_fts_au;
DROP TRIGGER IF EXISTS customers_fts_ad;
DROP TRIGGER IF EXISTS customers_fts_ai;
DROP TABLE IF EXISTS customers_fts;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS origins;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS roles;
DROP TABLE IF EXISTS settings;
DROP TABLE IF EXISTS addresses;
DROP TABLE IF EXISTS companies;
