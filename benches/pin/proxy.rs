//! A TCP proxy that makes a loopback registry look far away: every chunk is forwarded half a
//! round-trip time late in each direction, and a new connection starts one round trip late (the
//! TCP handshake a real network would cost). Chunks keep their order and are not throttled, so
//! the proxy adds latency, never bandwidth limits, and pipelined or parallel requests overlap as
//! they would on a real link. It counts the connections it accepts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A running proxy; it stops when dropped.
pub struct LatencyProxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    _runtime: Runtime,
}

impl LatencyProxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`, adding `rtt`.
    pub fn start(upstream: SocketAddr, rtt: Duration) -> LatencyProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("latency-proxy")
            .enable_all()
            .build()
            .expect("start the proxy's runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy's port");
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        runtime.spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(connection(client, upstream, rtt));
            }
        });
        LatencyProxy {
            port,
            accepted,
            _runtime: runtime,
        }
    }

    /// `127.0.0.1:PORT`, the registry part of image references that go through the proxy.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many connections the proxy has accepted since it started.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

async fn connection(client: TcpStream, upstream: SocketAddr, rtt: Duration) {
    // The kernel completed the client's handshake at once; nothing it sent is read until one
    // round trip later, so its first answer comes no sooner than a real handshake allows.
    tokio::time::sleep(rtt).await;
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let half = rtt / 2;
    tokio::join!(
        pump(client_read, server_write, half),
        pump(server_read, client_write, half)
    );
}

/// Copies `from` to `to`, each chunk `delay` after it was read; end of stream travels the same
/// way, as a shutdown of the write side.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (chunks, mut due) = mpsc::unbounded_channel::<(Instant, Option<Vec<u8>>)>();
    let writer = tokio::spawn(async move {
        while let Some((at, chunk)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            match chunk {
                Some(bytes) => {
                    if to.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = to.shutdown().await;
                    return;
                }
            }
        }
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let chunk = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(buffer[..n].to_vec()),
        };
        let end = chunk.is_none();
        if chunks.send((Instant::now() + delay, chunk)).is_err() || end {
            break;
        }
    }
    let _ = writer.await;
}
