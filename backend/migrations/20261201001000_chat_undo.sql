-- Undo for chat: every change a tool makes to a task is journalled with the turn that made it,
-- holding the task as it was before (null for a task the turn created), so "undo" can put it back.
create table task_changes (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    -- Null for a caller outside a conversation (e.g. a future MCP endpoint).
    conversation_id bigint references conversations (id) on delete cascade,
    turn uuid not null,
    -- No foreign key: the task may have been deleted, which is what its row remembers.
    task_id bigint not null,
    action text not null,
    before jsonb,
    created_at timestamptz not null default now(),
    undone_at timestamptz,
    constraint task_changes_action_known check (action in ('created', 'updated', 'deleted')),
    constraint task_changes_before_present check ((action = 'created') = (before is null))
);

-- "The latest turn of this conversation that can still be undone".
create index task_changes_latest_idx on task_changes (user_id, conversation_id, id desc) where undone_at is null;
-- "When did the journal last see this task": a change since then was made elsewhere.
create index task_changes_task_idx on task_changes (user_id, task_id);

-- What the embedded engine remembers between turns: the list it last showed, the tasks it last
-- touched, and a question it is waiting to hear the answer to.
alter table conversations add column dialogue jsonb not null default '{}';
alter table conversations add constraint conversations_dialogue_object check (jsonb_typeof(dialogue) = 'object');
