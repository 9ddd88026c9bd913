//! One accepted connection, served by hyper (HTTP/1.1) with the deadlines hyper does not keep
//! apart on its own: a client gets `header_read` to send a request's head (counted from its first
//! byte, or from connecting), and a kept-alive connection with nothing in flight is closed after
//! `idle`. Hyper's own header timer runs from the end of one response to the next head, so it
//! would close idle connections as early as half-sent heads; a proxy in front keeps its upstream
//! connections open longer than that (60 s is common) and would then send requests into
//! connections this side has just closed.

use std::{
    io,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
    sync::{Notify, OwnedSemaphorePermit},
    time::Instant,
};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// How long a client may take, per connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// To send a whole request head.
    pub header_read: Duration,
    /// To start another request on a kept-alive connection.
    pub idle: Duration,
}

/// Serves `stream` until the client closes it, a deadline passes, or `closing` asks every
/// connection to finish its current request and close. `_slot` is the connection's place under
/// the server's connection cap, given back when this returns.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    deadlines: Deadlines,
    closing: CancellationToken,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |request: Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_flight = RequestInFlight::start(activity.clone());
            let response = router.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(in_flight);
                response
            }
        }
    });
    // The head deadline is ours (see the module docs); hyper's own header timer stays off.
    let mut connection = pin!(
        hyper::server::conn::http1::Builder::new()
            .header_read_timeout(None)
            .serve_connection(io, service)
    );
    let mut expiry = pin!(activity.expired(deadlines));
    let mut finishing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(error = %err, %peer, "connection ended with an error");
                }
                return;
            }
            expired = &mut expiry, if !finishing => match expired {
                Expired::Head => {
                    tracing::debug!(%peer, "request head not received in time; closing the connection");
                    return;
                }
                Expired::Idle => {
                    // A response may still be streaming its body: let it end, then close.
                    connection.as_mut().graceful_shutdown();
                    finishing = true;
                }
            },
            () = closing.cancelled(), if !finishing => {
                connection.as_mut().graceful_shutdown();
                finishing = true;
            }
        }
    }
}

/// What a connection is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The rest of a request head, since this instant (connect, or the first byte after idling).
    Head(Instant),
    /// Nothing: the last request was answered at this instant.
    Idle(Instant),
    /// This many requests are being handled.
    Busy(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expired {
    Head,
    Idle,
}

#[derive(Debug)]
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            phase: Mutex::new(Phase::Head(Instant::now())),
            changed: Notify::new(),
        }
    }
}

impl Activity {
    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let next = change(*phase);
        if next != *phase {
            *phase = next;
            self.changed.notify_one();
        }
    }

    fn current(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: after idling, they start the next request head and its deadline.
    fn bytes_arrived(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        });
    }

    /// Resolves when the current phase outlives its deadline.
    async fn expired(&self, deadlines: Deadlines) -> Expired {
        loop {
            let changed = self.changed.notified();
            let mut changed = pin!(changed);
            changed.as_mut().enable();
            let phase = self.current();
            let (deadline, kind) = match phase {
                Phase::Head(since) => (since + deadlines.header_read, Expired::Head),
                Phase::Idle(since) => (since + deadlines.idle, Expired::Idle),
                Phase::Busy(_) => {
                    changed.await;
                    continue;
                }
            };
            tokio::select! {
                () = changed => {}
                () = tokio::time::sleep_until(deadline) => {
                    if self.current() == phase {
                        return kind;
                    }
                }
            }
        }
    }
}

/// A request being handled; the connection is idle again once every one of them is dropped.
struct RequestInFlight(Arc<Activity>);

impl RequestInFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.update(|phase| match phase {
            Phase::Busy(count) => Phase::Busy(count + 1),
            Phase::Head(_) | Phase::Idle(_) => Phase::Busy(1),
        });
        Self(activity)
    }
}

impl Drop for RequestInFlight {
    fn drop(&mut self) {
        self.0.update(|phase| match phase {
            Phase::Busy(count) if count > 1 => Phase::Busy(count - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// The TCP stream, telling the connection's [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_arrived();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINES: Deadlines = Deadlines {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(60),
    };

    #[tokio::test(start_paused = true)]
    async fn a_head_must_arrive_within_its_deadline() {
        let activity = Activity::default();
        let started = Instant::now();
        assert_eq!(activity.expired(DEADLINES).await, Expired::Head);
        assert_eq!(started.elapsed(), DEADLINES.header_read);
    }

    #[tokio::test(start_paused = true)]
    async fn idling_gets_the_longer_deadline_and_a_new_head_the_shorter() {
        let activity = Arc::new(Activity::default());
        drop(RequestInFlight::start(activity.clone()));
        let started = Instant::now();
        assert_eq!(activity.expired(DEADLINES).await, Expired::Idle);
        assert_eq!(started.elapsed(), DEADLINES.idle);

        drop(RequestInFlight::start(activity.clone()));
        tokio::time::sleep(Duration::from_secs(30)).await;
        activity.bytes_arrived();
        let head_started = Instant::now();
        assert_eq!(activity.expired(DEADLINES).await, Expired::Head);
        assert_eq!(head_started.elapsed(), DEADLINES.header_read);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_expires_while_a_request_is_handled() {
        let activity = Arc::new(Activity::default());
        let first = RequestInFlight::start(activity.clone());
        let second = RequestInFlight::start(activity.clone());
        let release = {
            let activity = activity.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(600)).await;
                drop(first);
                assert_eq!(activity.current(), Phase::Busy(1));
                drop(second);
            }
        };
        let started = Instant::now();
        let (expired, ()) = tokio::join!(activity.expired(DEADLINES), release);
        assert_eq!(expired, Expired::Idle);
        assert_eq!(started.elapsed(), Duration::from_secs(600) + DEADLINES.idle);
    }
}
