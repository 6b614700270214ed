-- Reserved: number 0007 belongs to the requests branch (0007_requests.sql). This empty
-- placeholder keeps the numbering gapless on the events branch; delete it when merging
-- (two 0007 files make the migration check fail loudly, so it cannot be forgotten).
SELECT 1;
