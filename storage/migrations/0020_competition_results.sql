-- Competition results in public (issue 18): when staff announced the winners, and who.
-- Announcing claims the row (results_announced_at IS NULL), so the results go out once.
ALTER TABLE competitions ADD COLUMN results_announced_at TEXT;
ALTER TABLE competitions ADD COLUMN results_announced_by INTEGER;
CREATE INDEX competitions_finished ON competitions(results_announced_at);
