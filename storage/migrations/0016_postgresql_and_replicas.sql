-- PostgreSQL as a second backend and several replicas on it (issue 17).

-- only postgresql: begin
-- SQLite's julianday() for the instants kept as ISO text (days to a request's first answer).
CREATE OR REPLACE FUNCTION julianday(moment TEXT) RETURNS DOUBLE PRECISION
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    AS $$ SELECT extract(epoch FROM moment::timestamptz)::double precision / 86400.0 + 2440587.5 $$;
-- only postgresql: end
