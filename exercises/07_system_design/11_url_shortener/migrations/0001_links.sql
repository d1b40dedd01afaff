-- Ids come from one sequence, a block at a time: each instance takes ID_BLOCK ids per call
-- (INCREMENT BY must equal ID_BLOCK in src/lib.rs) and hands them out from memory.
CREATE SEQUENCE link_ids INCREMENT BY 1000 START WITH 1;

CREATE TABLE links (
    code       TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
