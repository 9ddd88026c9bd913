//! A TCP proxy a test can break: it forwards connections to a service until told to cut them (every
//! open connection is closed, as a dropped network or a dying peer would) and, while refusing, closes
//! new ones at once. Real sockets on both sides; nothing about HTTP is faked.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

#[derive(Debug, Default)]
struct Links {
    refusing: AtomicBool,
    open: Mutex<Vec<AbortHandle>>,
}

#[derive(Debug)]
pub(crate) struct Proxy {
    address: SocketAddr,
    links: Arc<Links>,
    accepting: AbortHandle,
}

impl Proxy {
    /// Forwards a port of its own to `target` (`http://host:port`).
    pub(crate) async fn start(target: &str) -> Self {
        let target: SocketAddr = target
            .trim_start_matches("http://")
            .parse()
            .expect("an http://ip:port target");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let address = listener.local_addr().expect("proxy address");
        let links = Arc::new(Links::default());
        let shared = links.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if shared.refusing.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close at once
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                shared.open.lock().expect("links").push(link.abort_handle());
            }
        })
        .abort_handle();
        Self {
            address,
            links,
            accepting,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Closes every connection open through the proxy.
    pub(crate) fn cut(&self) {
        for link in self.links.open.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// While `refusing`, new connections are closed as soon as they are made.
    pub(crate) fn refuse(&self, refusing: bool) {
        self.links.refusing.store(refusing, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}
