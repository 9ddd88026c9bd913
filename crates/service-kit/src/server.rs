//! A bound server and its graceful shutdown: readiness turns 503, the listener closes, in-flight
//! requests get the grace period to finish.

use std::{future::Future, net::SocketAddr, pin::Pin, time::Duration};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::lifecycle::Lifecycle;

type Cleanup = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A listener bound to its address (port 0 picks a free one) and the router it will serve.
pub struct Server {
    listener: TcpListener,
    router: Router,
    lifecycle: Lifecycle,
    grace: Duration,
    after_drain: Option<Cleanup>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `address`; `lifecycle` is the one readiness reads, so it turns 503 when shutdown begins.
    pub async fn bind(address: &str, router: Router, lifecycle: Lifecycle, grace: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            router,
            lifecycle,
            grace,
            after_drain: None,
        })
    }

    /// Work to do once every request has finished (not when the grace period runs out), e.g.
    /// closing a connection pool that no request uses any more.
    #[must_use]
    pub fn after_drain(mut self, cleanup: impl Future<Output = ()> + Send + 'static) -> Self {
        self.after_drain = Some(Box::pin(cleanup));
        self
    }

    /// The bound address (the port, when it was 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves; then readiness turns 503, the listener closes, and
    /// in-flight requests (streams included) get the grace period to finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            lifecycle,
            grace,
            after_drain,
        } = self;
        let trigger = lifecycle.clone();
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        tracing::info!(address = %listener.local_addr()?, "listening");
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            trigger.begin_shutdown();
            tracing::info!(grace_secs = grace.as_secs(), "draining in-flight requests");
        });
        let deadline = async {
            lifecycle.shutdown_started().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => {
                result.context("server error")?;
                if let Some(cleanup) = after_drain {
                    cleanup.await;
                }
            }
            () = deadline => tracing::warn!("grace period over; exiting with requests still in flight"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}
