-- Accounts. Emails are stored lower-cased so the unique constraint is case-insensitive.
create table users (
    id uuid primary key default gen_random_uuid(),
    email text not null,
    password_hash text not null,
    name text,
    timezone text not null default 'UTC',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint users_email_key unique (email),
    constraint users_email_lowercase check (email = lower(email)),
    constraint users_email_length check (char_length(email) between 3 and 254),
    constraint users_name_length check (name is null or char_length(name) <= 100),
    constraint users_timezone_length check (char_length(timezone) between 1 and 64)
);

-- One trigger function keeps updated_at honest for every table that has the column.
create function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create trigger users_set_updated_at
    before update on users
    for each row execute function set_updated_at();
