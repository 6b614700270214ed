-- Reserved: another part of issue 18 ships this number (calendar, moderation, events that
-- change). This placeholder keeps the numbers without gaps on the results-in-public branch
-- and is deleted when the branches are merged.
SELECT 1;
