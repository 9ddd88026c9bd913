-- The turn a conversation is answering: one at a time per conversation (a second is refused with
-- 409), kept alive by its replica's heartbeat. A turn whose heartbeat stopped was lost with its
-- replica; the next load of the conversation closes it with a note of the changes it had made.
alter table conversations add column turn uuid, add column turn_seen_at timestamptz;
alter table conversations add constraint conversations_turn_seen
    check ((turn is null) = (turn_seen_at is null));
