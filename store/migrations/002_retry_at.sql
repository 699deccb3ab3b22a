-- A row whose next attempt falls after its dispatch slice is left pending with the attempts made
-- so far; retry_at says when it may be tried again (backoff or Retry-After).
ALTER TABLE job_rows ADD COLUMN retry_at timestamptz;
