-- Reserved for another branch of issue 18 (the lead keeps that branch's file instead): an
-- empty step, so that this branch's migrations stay numbered without gaps.
SELECT 1;
