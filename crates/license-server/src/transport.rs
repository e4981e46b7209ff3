//! How the node's listeners take connections: TLS with rustls (aws-lc-rs), a cap on open
//! connections, the TLS handshake, header and body read timeouts, and the REST front's accept
//! loop (hyper's HTTP/1.1 server under axum's router, with graceful shutdown).
//!
//! Every listener has an acceptor task ([`accept`]): it takes a connection only while fewer
//! than `max_connections` of its own are open — past the cap, new connections wait in the
//! listen backlog, unanswered, until one closes — and hands over each connection after its
//! TLS handshake or its first bytes (in a task of its own, bounded by the header timeout).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tower_http::timeout::DeadlineBody;

/// The TLS identity of a node: one acceptor per protocol (ALPN `http/1.1` for REST, `h2` for
/// gRPC), from the same certificate and key.
#[derive(Clone)]
pub struct Tls {
    /// For the REST and admin listeners.
    pub http: TlsAcceptor,
    /// For the gRPC listener.
    pub grpc: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads a PEM certificate chain and its PEM private key; an unreadable or invalid file is
    /// an error naming it.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Tls, String> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
            .and_then(|certs| certs.collect())
            .map_err(|e| format!("tls_cert_file {}: {e}", cert_file.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "tls_cert_file {}: no PEM certificate in it",
                cert_file.display()
            ));
        }
        let key = PrivateKeyDer::from_pem_file(key_file)
            .map_err(|e| format!("tls_key_file {}: {e}", key_file.display()))?;
        let config = |alpn: &[u8]| -> Result<TlsAcceptor, String> {
            let mut c = ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS: {e}"))?
                .with_no_client_auth()
                .with_single_cert(certs.clone(), key.clone_key())
                .map_err(|e| {
                    format!(
                        "tls_cert_file {} and tls_key_file {}: {e}",
                        cert_file.display(),
                        key_file.display()
                    )
                })?;
            c.alpn_protocols = vec![alpn.to_vec()];
            Ok(TlsAcceptor::from(Arc::new(c)))
        };
        Ok(Tls {
            http: config(b"http/1.1")?,
            grpc: config(b"h2")?,
        })
    }
}

/// The one TLS provider of the node.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// How a listener treats its connections.
#[derive(Debug, Clone)]
pub struct Limits {
    /// TLS, when configured.
    pub tls: Option<Tls>,
    /// The longest wait for a request's headers, a TLS handshake, or the next request on a
    /// kept-alive connection.
    pub header_timeout: Duration,
    /// The longest a request's body may take to arrive, from its headers on.
    pub body_timeout: Duration,
    /// Most open connections per listener.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            tls: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// A connection's stream: plain TCP or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// An accepted connection; it holds one of its listener's slots until dropped.
pub struct Conn {
    stream: Stream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match &self.stream {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.stream {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: self.tcp().local_addr().ok(),
            remote_addr: Some(self.peer),
        }
    }
}

/// Takes connections from a listener until `shutdown` completes or the receiver is dropped:
/// at most `max_connections` open at once, each with no delay (small answers leave at once)
/// and handed over after its TLS handshake (`acceptor`) or, on plain TCP, once its first
/// bytes arrive — either within the header timeout, else it is closed.
pub fn accept(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> mpsc::Receiver<Conn> {
    let (tx, rx) = mpsc::channel::<Conn>(64);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let handshake = limits.header_timeout;
    tokio::spawn(async move {
        tokio::pin!(shutdown);
        loop {
            let slot = tokio::select! {
                s = slots.clone().acquire_owned() => match s {
                    Ok(s) => s,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
                () = tx.closed() => break,
            };
            let accepted = tokio::select! {
                a = listener.accept() => a,
                () = &mut shutdown => break,
                () = tx.closed() => break,
            };
            let (tcp, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "TCP_NODELAY not set");
            }
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                if let Some(stream) = open(tcp, acceptor, handshake).await {
                    let conn = Conn {
                        stream,
                        peer,
                        _slot: slot,
                    };
                    let _ = tx.send(conn).await;
                }
            });
        }
    });
    rx
}

/// A connection's first exchange, within `timeout`: the TLS handshake, or on plain TCP the
/// first bytes (an HTTP/2 client that connects and says nothing would hold its slot forever).
async fn open(tcp: TcpStream, acceptor: Option<TlsAcceptor>, timeout: Duration) -> Option<Stream> {
    match acceptor {
        None => match tokio::time::timeout(timeout, tcp.peek(&mut [0u8; 1])).await {
            Ok(Ok(_)) => Some(Stream::Plain(tcp)),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "connection failed before its first request");
                None
            }
            Err(_) => {
                tracing::debug!("no request within the header timeout");
                None
            }
        },
        Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => Some(Stream::Tls(Box::new(tls))),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        },
    }
}

/// The connections of [`accept`] as a stream (for tonic's `serve_with_incoming_shutdown`).
pub fn incoming(
    mut conns: mpsc::Receiver<Conn>,
) -> impl futures_util::Stream<Item = io::Result<Conn>> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| conns.poll_recv(cx).map(|c| c.map(Ok)))
}

/// Serves an axum router over HTTP/1.1 on the connections of [`accept`] until `shutdown`
/// completes, then lets the requests in flight finish. Each request carries its client's
/// [`ConnectInfo`]; a request whose headers do not arrive within the header timeout closes
/// its connection, and a body not received within the body timeout fails to read (408).
pub async fn serve_http(
    mut conns: mpsc::Receiver<Conn>,
    app: axum::Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), String> {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let body_timeout = limits.body_timeout;
    tokio::pin!(shutdown);
    loop {
        let conn = tokio::select! {
            c = conns.recv() => match c {
                Some(c) => c,
                None => break,
            },
            () = &mut shutdown => break,
        };
        let peer = conn.peer;
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(|body| DeadlineBody::new(body_timeout, body));
            req.extensions_mut().insert(ConnectInfo(peer));
            tower_service::Service::call(&mut app.clone(), req)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(conn), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended");
            }
        });
    }
    // No new connections; those open finish the request they are in, then close.
    drop(conns);
    graceful.shutdown().await;
    Ok(())
}
