-- Chat history: the agent is stateless, so every turn reloads the conversation from here.

create table conversations (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    title text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint conversations_title_length check (char_length(title) between 1 and 200)
);

-- "My conversations, newest first".
create index conversations_user_updated_idx on conversations (user_id, updated_at desc, id desc);

create table messages (
    id bigint generated always as identity primary key,
    conversation_id bigint not null references conversations (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    role text not null,
    content text not null,
    -- [{id, tool, arguments, result}] for the tool calls an assistant turn made, in order.
    tool_calls jsonb not null default '[]',
    created_at timestamptz not null default now(),
    constraint messages_role_known check (role in ('user', 'assistant', 'tool')),
    constraint messages_tool_calls_array check (jsonb_typeof(tool_calls) = 'array')
);

-- "The latest turns of a conversation": ids grow with time, so the newest rows come first in this index.
create index messages_conversation_latest_idx on messages (conversation_id, id desc);
