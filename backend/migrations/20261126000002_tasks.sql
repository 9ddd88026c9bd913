-- Declaration order is the sort order: low < medium < high.
create type task_priority as enum ('low', 'medium', 'high');

create table tasks (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    title text not null,
    description text,
    completed boolean not null default false,
    priority task_priority not null default 'medium',
    due_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint tasks_title_length check (char_length(title) between 1 and 200 and title = btrim(title)),
    constraint tasks_description_length check (description is null or char_length(description) <= 1000)
);

create trigger tasks_set_updated_at
    before update on tasks
    for each row execute function set_updated_at();

-- The list route always filters by owner and usually by status; newest first is the default order.
create index tasks_user_created_idx on tasks (user_id, created_at desc, id desc);
create index tasks_user_completed_created_idx on tasks (user_id, completed, created_at desc, id desc);
create index tasks_user_due_idx on tasks (user_id, due_at) where due_at is not null;
