//! A bound server and its graceful shutdown: readiness turns 503, the listener closes, in-flight
//! requests get the grace period to finish. Connections are capped and each one has deadlines
//! (see [`crate::connection`]), so slow or idle clients cannot hold the server's sockets.

use std::{future::Future, io, net::SocketAddr, pin::Pin, sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    config::HttpLimits,
    connection::{self, Deadlines},
    lifecycle::Lifecycle,
};

type Cleanup = Pin<Box<dyn Future<Output = ()> + Send>>;

/// File descriptors kept free for everything but client connections (database, backend calls,
/// logs), when the connection cap is fitted under the process's open-file limit.
const RESERVED_FILES: u64 = 128;

/// A listener bound to its address (port 0 picks a free one) and the router it will serve.
pub struct Server {
    listener: TcpListener,
    router: Router,
    lifecycle: Lifecycle,
    grace: Duration,
    deadlines: Deadlines,
    max_connections: usize,
    after_drain: Option<Cleanup>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("grace", &self.grace)
            .field("deadlines", &self.deadlines)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `address`; `lifecycle` is the one readiness reads, so it turns 503 when shutdown begins.
    pub async fn bind(
        address: &str,
        router: Router,
        lifecycle: Lifecycle,
        grace: Duration,
        limits: &HttpLimits,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            router,
            lifecycle,
            grace,
            deadlines: Deadlines {
                header_read: Duration::from_secs(limits.header_read_timeout_secs),
                idle: Duration::from_secs(limits.idle_timeout_secs),
            },
            max_connections: fitted_to_open_file_limit(usize::try_from(limits.max_connections).unwrap_or(usize::MAX)),
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
            deadlines,
            max_connections,
            after_drain,
        } = self;
        tracing::info!(
            address = %listener.local_addr()?,
            max_connections,
            header_read_timeout_secs = deadlines.header_read.as_secs(),
            idle_timeout_secs = deadlines.idle.as_secs(),
            "listening"
        );
        let stop = async {
            shutdown.await;
            lifecycle.begin_shutdown();
            tracing::info!(grace_secs = grace.as_secs(), "draining in-flight requests");
        };
        let connections = TaskTracker::new();
        let closing = CancellationToken::new();
        accept_until(stop, &listener, max_connections, |stream, peer, slot| {
            connections.spawn(connection::serve(
                stream,
                peer,
                router.clone(),
                deadlines,
                closing.clone(),
                slot,
            ));
        })
        .await;
        drop(listener);
        closing.cancel();
        connections.close();
        let drained = async {
            connections.wait().await;
            // Every request has finished.
            if let Some(cleanup) = after_drain {
                cleanup.await;
            }
        };
        tokio::select! {
            () = drained => {}
            () = tokio::time::sleep(grace) => tracing::warn!("grace period over; exiting with requests still in flight"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Accepts connections until `stop` resolves, at most `max_connections` open at once: at the cap,
/// further clients wait in the listen backlog until a connection closes.
async fn accept_until(
    stop: impl Future<Output = ()>,
    listener: &TcpListener,
    max_connections: usize,
    mut serve: impl FnMut(tokio::net::TcpStream, SocketAddr, tokio::sync::OwnedSemaphorePermit),
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut stop = std::pin::pin!(stop);
    let mut at_cap = false;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                at_cap = false;
                slot
            }
            Err(_) => {
                if !at_cap {
                    tracing::warn!(max_connections, "connection limit reached; new clients wait");
                    at_cap = true;
                }
                tokio::select! {
                    () = &mut stop => return,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => return,
                    },
                }
            }
        };
        let accepted = tokio::select! {
            () = &mut stop => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => serve(stream, peer, slot),
            // The client gave up before we got to it; nothing to wait for.
            Err(err) if is_client_side(&err) => {}
            Err(err) => {
                // Out of file descriptors or buffers: wait for connections to close rather than spin.
                tracing::warn!(error = %err, "cannot accept a connection; retrying in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn is_client_side(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// `wanted`, lowered (with a warning) so that open connections cannot exhaust the process's
/// open-file limit: at that point the server could not even accept a health probe.
fn fitted_to_open_file_limit(wanted: usize) -> usize {
    let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::Nofile).current else {
        return wanted;
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    if wanted > room {
        tracing::warn!(
            wanted,
            open_file_limit = limit,
            max_connections = room,
            "HTTP_MAX_CONNECTIONS lowered to fit the open-file limit (ulimit -n)"
        );
        return room;
    }
    wanted
}
