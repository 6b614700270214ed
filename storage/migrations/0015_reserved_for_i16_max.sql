-- Reserved: migration 0015 is 0015_messenger_ids.sql of the MAX branch (issue 16), which
-- merges separately; this empty stand-in only keeps the numbers 1..N without a gap on this
-- branch. Delete it when the two branches meet (it must never ship beside the real 0015).
SELECT 1;
