//! Chat: the agent that manages tasks in natural language. A turn loads the conversation from the
//! database, runs one of two engines behind the [`agent::Agent`] trait — the embedded `rules`
//! engine or an OpenAI-compatible LLM — through the [`tools`], and stores the reply.

pub(crate) mod agent;
mod in_flight;
pub(crate) mod model;
pub(crate) mod openai;
mod routes;
pub(crate) mod rules;
pub(crate) mod stop;
pub(crate) mod store;
pub(crate) mod tools;
pub(crate) mod turn;
mod turns;
pub(crate) mod undo;

pub(crate) use routes::routes;

use crate::config::{Config, LlmProvider};

/// The engine `LLM_PROVIDER` names, configured.
pub(crate) fn engine(config: &Config) -> anyhow::Result<agent::Engine> {
    Ok(match config.llm_provider {
        LlmProvider::Rules => agent::Engine::Rules(rules::RulesAgent),
        LlmProvider::Openai => agent::Engine::OpenAi(openai::OpenAiAgent::new(
            openai::LlmSettings {
                base_url: config.llm_base_url.clone(),
                model: config.llm_model.clone(),
                api_key: config.llm_api_key.clone(),
                timeout: std::time::Duration::from_secs(config.llm_timeout_secs),
                retries: config.llm_max_retries,
                backoff: std::time::Duration::from_millis(config.llm_retry_backoff_ms),
            },
            usize::try_from(config.llm_max_steps).unwrap_or(usize::MAX),
            config.llm_stream,
        )?),
    })
}
