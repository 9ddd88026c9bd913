-- The task list runs one statement per sort key and direction (backend/src/tasks/service.rs); each walks one of
-- these indexes in order, forwards or backwards, and stops after the page instead of sorting all of a user's
-- tasks. Ties sort by creation time, then id, in the list's direction. Plans: docs/benchmarks.md.
create index tasks_user_title_idx on tasks (user_id, lower(title), created_at, id);
create index tasks_user_priority_idx on tasks (user_id, priority, created_at, id);
create index tasks_user_due_asc_idx on tasks (user_id, due_at asc nulls last, created_at, id);
-- Read backwards, the index above puts tasks without a due date first; "latest due first" keeps them last.
create index tasks_user_due_desc_idx on tasks (user_id, due_at desc nulls last, created_at desc, id desc);
-- tasks_user_due_asc_idx serves everything this partial index served.
drop index tasks_user_due_idx;
