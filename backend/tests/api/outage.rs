//! A database outage seen through the real binary: 503 `database_unavailable` with `Retry-After`,
//! fast answers once the outage is known, one log line per failure and none at ERROR, and
//! service again without a restart once PostgreSQL is back.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    cluster::TestCluster,
    process::{signup_over_http, spawn_backend},
};

#[tokio::test]
async fn an_outage_is_a_fast_503_to_retry_logged_once_and_survived() {
    let cluster = TestCluster::start();
    let backend = spawn_backend(&cluster.url(), &[]).await;
    let client = reqwest::Client::new();
    let user = signup_over_http(&client, &backend, "outage@example.com").await;
    let tasks = backend.url(&format!("/api/{}/tasks", user.user_id));
    let token = user.token;
    let list = || client.get(&tasks).bearer_auth(&token).send();
    assert_eq!(list().await.unwrap().status(), 200);

    cluster.stop_server();
    let first = list().await.unwrap();
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "5");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable", "{body}");

    // Known to be down: the next requests do not wait for the pool's 5 s acquire timeout.
    for _ in 0..5 {
        let started = Instant::now();
        let again = list().await.unwrap();
        assert_eq!(again.status(), 503);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    cluster.start_server();
    test_support::wait_until("the API answers again", || async {
        list().await.is_ok_and(|response| response.status() == 200)
    })
    .await;

    backend.signal("TERM").await;
    let (_, logs) = backend.wait_output().await;
    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let errors: Vec<&Value> = lines.iter().filter(|line| line["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "an outage is not an internal error: {errors:?}");
    let failures = lines
        .iter()
        .filter(|line| line["message"] == "database unavailable")
        .count();
    let answered_503 = lines
        .iter()
        .filter(|line| line["message"] == "request finished" && line["span"]["status"] == 503)
        .count();
    assert!(answered_503 >= 6, "{answered_503} requests answered 503");
    assert!(
        failures <= 2,
        "only requests that actually tried the database log its failure ({failures} lines)"
    );
    assert!(
        logs.contains("database unreachable; answering 503 until it is back"),
        "{logs}"
    );
    assert!(logs.contains("database reachable again"), "{logs}");
}
