//! A TCP proxy in front of PostgreSQL that can hold the server's answer to one statement: once armed
//! with a statement's text, it holds everything the server sends after the client has sent that
//! text, until released. A test uses it to cancel a request exactly while a statement has reached
//! the server and its answer has not come back, the window a slow network or a busy database opens
//! in production. Real sockets, a real server; the proxy only looks for the text in what it forwards.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, PoisonError},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, tcp::OwnedReadHalf, tcp::OwnedWriteHalf},
    sync::watch,
    task::AbortHandle,
};

#[derive(Debug)]
pub(crate) struct StallingProxy {
    port: u16,
    gate: Arc<Gate>,
    accepting: AbortHandle,
}

#[derive(Debug)]
struct Gate {
    armed: Mutex<Option<&'static [u8]>>,
    held: watch::Sender<bool>,
}

impl StallingProxy {
    /// Forwards a port of its own to PostgreSQL at `target`.
    pub(crate) async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let gate = Arc::new(Gate {
            armed: Mutex::new(None),
            held: watch::channel(false).0,
        });
        let shared = gate.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(target).await.expect("PostgreSQL reachable");
                let (from_client, to_client) = client.into_split();
                let (from_server, to_server) = server.into_split();
                tokio::spawn(client_to_server(from_client, to_server, shared.clone()));
                tokio::spawn(server_to_client(from_server, to_client, shared.held.subscribe()));
            }
        })
        .abort_handle();
        Self { port, gate, accepting }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Holds the server's answers from the moment a client sends `statement` (e.g. `b"BEGIN"`).
    pub(crate) fn hold_answer_to(&self, statement: &'static [u8]) {
        *self.gate.armed.lock().unwrap_or_else(PoisonError::into_inner) = Some(statement);
    }

    /// Delivers what was held, and everything after it.
    pub(crate) fn release(&self) {
        self.gate.held.send_replace(false);
    }
}

async fn client_to_server(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, gate: Arc<Gate>) {
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(read @ 1..) = from.read(&mut buffer).await {
        let sent = &buffer[..read];
        {
            let mut armed = gate.armed.lock().unwrap_or_else(PoisonError::into_inner);
            if armed.is_some_and(|text| sent.windows(text.len()).any(|window| window == text)) {
                // Before the statement leaves: its answer cannot overtake the hold.
                gate.held.send_replace(true);
                *armed = None;
            }
        }
        if to.write_all(sent).await.is_err() {
            return;
        }
    }
}

async fn server_to_client(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut held: watch::Receiver<bool>) {
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(read @ 1..) = from.read(&mut buffer).await {
        if held.wait_for(|held| !*held).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}
