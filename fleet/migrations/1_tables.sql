-- The index's tables, in SQL both SQLite and PostgreSQL take as written
-- (fleet/src/index/schema.rs says why they are as they are).  Every
-- statement may meet its table already there: indexes made before the
-- migrations (their legrec_schema says version 1) hold exactly these, and
-- this migration takes them over unchanged.

CREATE TABLE IF NOT EXISTS legrec_schema (version BIGINT NOT NULL);
-- A legrec from before the migrations checks this version and refuses
-- any other: it stays 1 while the tables are the same.
INSERT INTO legrec_schema (version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM legrec_schema);
CREATE TABLE IF NOT EXISTS recordings (
        pbx TEXT NOT NULL,
        id TEXT NOT NULL,
        policy TEXT NOT NULL,
        queue TEXT NOT NULL,
        caller TEXT NOT NULL,
        caller_name TEXT NOT NULL,
        callee TEXT NOT NULL,
        agent TEXT,
        started_ms BIGINT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL,
        consent TEXT NOT NULL,
        consent_mode TEXT NOT NULL,
        law TEXT,
        law_reason TEXT,
        masks BIGINT NOT NULL,
        pauses BIGINT NOT NULL,
        location TEXT NOT NULL,
        sidecar TEXT NOT NULL,
        sidecar_sha256 TEXT NOT NULL,
        indexed_ms BIGINT NOT NULL,
        PRIMARY KEY (pbx, id)
    );
CREATE TABLE IF NOT EXISTS recording_files (
        pbx TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        object TEXT,
        PRIMARY KEY (pbx, id, name)
    );
CREATE TABLE IF NOT EXISTS recording_peers (
        pbx TEXT NOT NULL,
        id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        channel TEXT NOT NULL,
        number TEXT NOT NULL,
        name TEXT NOT NULL,
        member TEXT,
        interface TEXT,
        joined_s DOUBLE PRECISION NOT NULL,
        left_s DOUBLE PRECISION,
        PRIMARY KEY (pbx, id, seq)
    );
CREATE INDEX IF NOT EXISTS recordings_started ON recordings (started_ms);
CREATE INDEX IF NOT EXISTS recordings_id ON recordings (id);
CREATE INDEX IF NOT EXISTS recordings_caller ON recordings (caller, started_ms);
CREATE INDEX IF NOT EXISTS recordings_callee ON recordings (callee, started_ms);
CREATE INDEX IF NOT EXISTS recordings_queue ON recordings (queue, started_ms);
CREATE INDEX IF NOT EXISTS recordings_agent ON recordings (agent, started_ms);
CREATE INDEX IF NOT EXISTS recordings_status ON recordings (status, started_ms);
CREATE INDEX IF NOT EXISTS recordings_pbx ON recordings (pbx, started_ms);
CREATE INDEX IF NOT EXISTS peers_member ON recording_peers (member);
CREATE INDEX IF NOT EXISTS peers_number ON recording_peers (number);
-- The browser's users and sessions are not here: every shipper of the
-- fleet writes this database (web/accounts.rs).  Older indexes keep their
-- `users` and `sessions` tables, which nothing reads.
-- The browser's sort by duration (ties by id), read backwards for the
-- longest first: without it a million rows are sorted per page.
CREATE INDEX IF NOT EXISTS recordings_duration ON recordings (duration, id);
