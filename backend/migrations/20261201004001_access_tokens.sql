-- Personal access tokens: long-lived bearer tokens a user hands to an assistant (the MCP endpoint) or a
-- script. Only a SHA-256 digest of each token is kept; the token itself is shown once, at creation.
-- Revoking deletes the row, so the next call with that token finds nothing and is refused.
create table access_tokens (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete cascade,
    name text not null,
    -- SHA-256 of the whole token string: the token carries 256 random bits, so no salt or slow hash is
    -- needed, and the lookup on every call is one index probe.
    token_hash bytea not null,
    -- The first characters of the token, so people can tell their tokens apart; not enough to use one.
    token_prefix text not null,
    created_at timestamptz not null default now(),
    -- Null: never expires.
    expires_at timestamptz,
    -- Refreshed at most once a minute, so a busy assistant does not write on every call.
    last_used_at timestamptz,
    constraint access_tokens_hash_key unique (token_hash),
    constraint access_tokens_hash_length check (octet_length(token_hash) = 32),
    constraint access_tokens_name_length check (char_length(name) between 1 and 100 and name = btrim(name)),
    constraint access_tokens_prefix_length check (char_length(token_prefix) between 1 and 32),
    constraint access_tokens_expiry_after_creation check (expires_at is null or expires_at > created_at)
);

-- "My tokens, newest first".
create index access_tokens_user_created_idx on access_tokens (user_id, created_at desc, id desc);
