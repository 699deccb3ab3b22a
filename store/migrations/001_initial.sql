-- Files by content hash: the registry that decides "already delivered".
CREATE TABLE files (
  file_hash     text PRIMARY KEY,
  file_path     text NOT NULL,
  file_size     bigint NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
  job_id       text PRIMARY KEY,
  job_name     text NOT NULL,
  file_hash    text NOT NULL REFERENCES files (file_hash),
  csv_file     text NOT NULL,
  status       text NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled')),
  triggered_by text NOT NULL DEFAULT 'cli',
  config       jsonb NOT NULL DEFAULT '{}',
  ingested     boolean NOT NULL DEFAULT false,
  total_rows   integer,
  invalid_rows integer NOT NULL DEFAULT 0,
  succeeded    integer NOT NULL DEFAULT 0,
  failed       integer NOT NULL DEFAULT 0,
  error        text,
  report_path  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_file_hash_idx ON jobs (file_hash, status);
CREATE INDEX jobs_created_at_idx ON jobs (created_at DESC);

-- One row per CSV data row (row_number 1 = first row after the header) with its outcome.
CREATE TABLE job_rows (
  id               bigint GENERATED ALWAYS AS IDENTITY,
  job_id           text NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
  row_number       integer NOT NULL,
  webhook_url      text,
  method           text,
  payload          text,
  headers          text,
  name             text,
  group_name       text,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'invalid')),
  attempts         integer NOT NULL DEFAULT 0,
  status_code      integer,
  response_time_ms double precision,
  error            text,
  response_excerpt text,
  completed_at     timestamptz,
  PRIMARY KEY (job_id, row_number)
) WITH (fillfactor = 50);
-- Each row is updated once with its outcome. Half-empty pages and no index on the updated
-- columns make that a HOT update (no index writes); pending rows are found by primary-key
-- range scans over a batch.

-- The original tool's table names and columns, so its users' SQL keeps working.
CREATE VIEW job_history AS
SELECT j.job_id,
       j.job_name,
       j.csv_file,
       j.total_rows AS total_requests,
       j.succeeded AS successful_requests,
       j.failed AS failed_requests,
       coalesce(j.started_at, j.created_at) AS start_time,
       j.finished_at AS end_time,
       extract(epoch FROM (j.finished_at - coalesce(j.started_at, j.created_at)))::double precision AS duration_seconds,
       j.config::text AS config,
       j.status,
       j.triggered_by,
       (SELECT avg(r.response_time_ms) / 1000.0 FROM job_rows r WHERE r.job_id = j.job_id AND r.response_time_ms IS NOT NULL) AS average_response_time,
       j.created_at
FROM jobs j;

CREATE VIEW webhook_results AS
SELECT r.id,
       r.job_id,
       r.webhook_url AS url,
       r.webhook_url,
       r.method,
       CASE r.status WHEN 'succeeded' THEN 'success' ELSE r.status END AS status,
       r.status_code,
       r.response_time_ms / 1000.0 AS response_time,
       r.completed_at AS timestamp,
       r.attempts AS attempt,
       r.error AS error_message,
       r.response_excerpt AS response_preview,
       octet_length(r.payload) AS request_size,
       r.row_number,
       r.name,
       r.group_name,
       r.completed_at AS created_at
FROM job_rows r
WHERE r.status <> 'pending';

CREATE VIEW file_tracking AS
SELECT f.file_path,
       f.file_hash,
       f.file_size,
       latest.job_id,
       coalesce(latest.status, 'pending') AS status,
       latest.total_rows AS rows_count,
       latest.finished_at AS last_processed,
       f.first_seen_at AS created_at
FROM files f
LEFT JOIN LATERAL (
  SELECT j.job_id, j.status, j.total_rows, j.finished_at
  FROM jobs j WHERE j.file_hash = f.file_hash ORDER BY j.created_at DESC LIMIT 1
) latest ON true;
