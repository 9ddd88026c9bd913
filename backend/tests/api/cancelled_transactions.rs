//! A request cancelled while its transaction begins must not leave that transaction open on a pooled
//! connection. sqlx 0.8.6 does (transact-rs/sqlx#4393): the next request on that connection then
//! runs inside the stale transaction, its writes are never committed and its row locks are held until
//! the connection is closed; the benchmark met it when wrk hung up on chat turns. The backend begins
//! every transaction in a task of its own (`transaction::begin`), and these tests cancel a tool call
//! exactly while PostgreSQL's answer to its `BEGIN` is on the way.

use std::time::Duration;

use serde_json::json;
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use todo_backend::ToolBox;
use uuid::Uuid;

use crate::support::{TestApp, stalling_proxy::StallingProxy};

const APPLICATION: &str = "cancelled-begin-test";

#[sqlx::test]
async fn a_tool_call_cancelled_during_begin_leaves_no_transaction_open(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let direct = pool_options.connect_with(connect.clone()).await.expect("direct pool");
    let user = TestApp::new(direct.clone()).signup("cancelled@example.com").await;
    let (proxy, through) = one_connection_through_a_proxy(&connect).await;
    let tools = ToolBox::new(through.clone(), user.user_id);
    assert_eq!(
        tools.call("list_tasks", &json!({})).await,
        json!([]),
        "the connection is open"
    );

    proxy.hold_answer_to(b"BEGIN");
    let call = tokio::spawn(async move { tools.call("add_task", &json!({"title": "Never added"})).await });
    test_support::wait_until("the server to have begun the transaction", || {
        sessions_in_transaction(&direct)
    })
    .await;
    call.abort();
    assert!(call.await.expect_err("cancelled").is_cancelled());
    proxy.release();

    // The only connection of the pool serves the next request: an API write, which commits on its own.
    TestApp::new(through.clone())
        .create_task(&user, json!({"title": "Buy milk"}))
        .await;
    assert_eq!(
        titles(&direct, user.user_id).await,
        ["Buy milk"],
        "the later write is committed, the cancelled one never happened"
    );
    assert!(
        !sessions_in_transaction(&direct).await,
        "no session is left inside a transaction"
    );
}

/// A pool of one connection, so the request after the cancelled one gets the same connection, to
/// PostgreSQL through a proxy that can hold its answers.
async fn one_connection_through_a_proxy(connect: &PgConnectOptions) -> (StallingProxy, PgPool) {
    let server = tokio::net::lookup_host((connect.get_host(), connect.get_port()))
        .await
        .expect("PostgreSQL's address")
        .next()
        .expect("an address");
    let proxy = StallingProxy::start(server).await;
    let through = PgPoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false) // as the backend's pool (app.rs)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect.clone().port(proxy.port()).application_name(APPLICATION))
        .await
        .expect("pool through the proxy");
    (proxy, through)
}

/// Whether the proxied session sits inside a transaction, as PostgreSQL sees it.
async fn sessions_in_transaction(direct: &PgPool) -> bool {
    sqlx::query_scalar::<_, bool>(
        "select exists (select from pg_stat_activity
                        where application_name = $1 and datname = current_database()
                          and state like 'idle in transaction%')",
    )
    .bind(APPLICATION)
    .fetch_one(direct)
    .await
    .expect("pg_stat_activity")
}

async fn titles(direct: &PgPool, user_id: Uuid) -> Vec<String> {
    sqlx::query_scalar::<_, String>("select title from tasks where user_id = $1 order by id")
        .bind(user_id)
        .fetch_all(direct)
        .await
        .expect("tasks")
}
