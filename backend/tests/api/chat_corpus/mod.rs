//! The chat corpus (`chat.json` beside this file): realistic messages, typed the way people type, each
//! with seeded tasks, one or more turns and the effect expected in the database. Each case runs on
//! a fresh user through the real chat API on real PostgreSQL; the database afterwards is compared
//! with the seed and the expectation, so a case that writes something it should not is counted
//! apart from one that merely did not act.
//!
//! `rules_engine_corpus` gates the suite (at least 95% of cases, and no case that writes wrong
//! data). `openai_engine_corpus` runs the same cases against a live OpenAI-compatible server when
//! `CORPUS_LLM_BASE_URL` is set (and `CORPUS_LLM_MODEL`, `CORPUS_LLM_API_KEY`), to compare engines.

mod checks;
mod runner;

use sqlx::PgPool;

use self::runner::{Corpus, Engine};

#[sqlx::test]
#[allow(clippy::print_stderr, reason = "the corpus report is the point of the test")]
async fn rules_engine_corpus(db: PgPool) {
    let corpus = Corpus::load();
    if std::env::var_os("CORPUS_FILE").is_none() && std::env::var_os("CORPUS_CASES").is_none() {
        assert!(corpus.cases.len() >= 300, "the corpus has {} cases", corpus.cases.len());
    }
    let report = corpus.run(db, &Engine::Rules).await;
    eprintln!("{}", report.summary());
    eprintln!("{}", report.failures());
    assert_eq!(
        report.wrong_writes(),
        0,
        "cases wrote wrong data:\n{}",
        report.failures()
    );
    assert!(
        report.score() >= 0.95,
        "rules engine passed {:.1}% of the corpus (target 95%):\n{}",
        report.score() * 100.0,
        report.failures()
    );
}

#[sqlx::test]
#[ignore = "needs a live OpenAI-compatible server: set CORPUS_LLM_BASE_URL"]
#[allow(clippy::print_stderr, reason = "the corpus report is the point of the test")]
async fn openai_engine_corpus(db: PgPool) {
    let Ok(base_url) = std::env::var("CORPUS_LLM_BASE_URL") else {
        eprintln!("skipped: set CORPUS_LLM_BASE_URL to run the corpus against a live server");
        return;
    };
    let engine = Engine::OpenAi {
        base_url,
        model: std::env::var("CORPUS_LLM_MODEL").unwrap_or_else(|_| "default".into()),
        api_key: std::env::var("CORPUS_LLM_API_KEY").ok(),
    };
    let corpus = Corpus::load();
    let report = corpus.run(db, &engine).await;
    eprintln!("{}", report.summary());
    eprintln!("{}", report.failures());
}
