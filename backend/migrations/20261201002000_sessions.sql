-- Sessions the server can end: every token names its session (`sid`), and a token whose session
-- row is gone is refused. Logging out deletes one row, logging out everywhere all of a user's,
-- deleting a user (cascade) all of theirs.
create table sessions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);

create index sessions_user_idx on sessions (user_id);

-- Each replica keeps the sessions it has checked in memory; a removed row tells every replica to
-- forget it, whichever statement (or cascade) removed it.
create function notify_session_ended() returns trigger
language plpgsql as $$
begin
    perform pg_notify('session_ended', old.id::text);
    return old;
end;
$$;

create trigger sessions_notify_ended
    after delete on sessions
    for each row execute function notify_session_ended();
