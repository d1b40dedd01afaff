CREATE TABLE page_views (
    page  TEXT PRIMARY KEY,
    views BIGINT NOT NULL
);
