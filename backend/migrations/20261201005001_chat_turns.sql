-- Chat turns asked for by id (the browser's flow, docs/chat.md): the message waits here until a
-- stream claims the turn, which then runs exactly once; any later request for the same id is told
-- how the turn went instead of running it again.
create table chat_turns (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    -- The conversation the message continues (null: a new one), then the one the turn ran in.
    conversation_id bigint references conversations (id) on delete cascade,
    message text not null,
    state text not null default 'pending',
    stop_requested boolean not null default false,
    -- The assistant's stored reply, once the turn has one.
    reply_message_id bigint references messages (id) on delete set null,
    error_code text,
    error_message text,
    created_at timestamptz not null default now(),
    claimed_at timestamptz,
    finished_at timestamptz,
    constraint chat_turns_state_known
        check (state in ('pending', 'running', 'done', 'failed', 'stopped', 'expired'))
);

-- A user's turns by age: the housekeeping that forgets old ones.
create index chat_turns_user_created_idx on chat_turns (user_id, created_at);
