-- One row per order saga: where it is, so that any instance of the orchestrator can resume it.
CREATE TABLE sagas (
    id     TEXT PRIMARY KEY,
    -- The order, as JSON: what every step needs.
    "order" JSONB NOT NULL,
    state  TEXT NOT NULL DEFAULT 'running'
           CHECK (state IN ('running', 'compensating', 'completed', 'compensated')),
    -- How many forward steps are done (and, while compensating, not yet undone).
    done   INT NOT NULL DEFAULT 0 CHECK (done BETWEEN 0 AND 3),
    -- Why the saga is being compensated.
    reason TEXT
);
