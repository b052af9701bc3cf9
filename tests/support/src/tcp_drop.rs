//! A TCP proxy between the plugin and the test control plane's kube-apiserver that cuts a
//! connection in the middle of a release, or makes it go silent; with a plan that cuts nothing,
//! it counts the connections to a TLS registry.
//!
//! It passes bytes through untouched, so TLS stays end to end and the plugin checks the
//! apiserver's own certificate; it therefore cannot read requests. It recognises one by its size
//! instead: a *large request* is a client-to-server burst (the bytes the client sent since the
//! server last sent any; HTTP/1.1 requests on one connection alternate with their answers)
//! longer than a threshold. A test makes one object of its release far larger than the
//! threshold and every other request far smaller, so the large requests are exactly that
//! object's dry run, its real apply, and any resending of either.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How the chosen large request's connection is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Reset (TCP RST) while the request is on its way, part of it forwarded: the server never
    /// has it whole, so nothing is applied.
    MidRequest,
    /// The whole request is forwarded; the connection is closed (FIN) when the answer starts,
    /// which is not forwarded: the server has applied it, the client never hears so.
    BeforeAnswer,
    /// As `BeforeAnswer`, but the start of the answer (its headers and part of its body) is
    /// forwarded before the connection is closed.
    MidAnswer,
    /// The whole request is forwarded; when the answer starts, nothing more is forwarded in
    /// either direction, and both sockets stay open: no FIN, no RST, no answer. The server has
    /// applied it; the client waits for an answer that never comes, as behind a dead link or a
    /// hung load balancer.
    Silent,
}

/// Which request is cut, how, and what follows.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// A burst longer than this many bytes is a large request.
    pub large: usize,
    /// The large request to cut, counted from 1 in the order they were seen; 0 cuts none.
    pub nth: usize,
    pub cut: Cut,
    /// Every large request from the `nth` on is cut, not only the `nth`.
    pub repeat: bool,
    /// From the cut on, the API server is gone: every open connection is reset and every new
    /// one is reset as soon as it is accepted. With [`Cut::Silent`] it is gone silent instead:
    /// every open connection goes silent, and every new one is accepted and held open without
    /// a byte forwarded, so not even its TLS handshake is answered.
    pub then_down: bool,
}

#[derive(Default)]
struct Stats {
    accepted: usize,
    large_requests: usize,
    cut_at: Option<Instant>,
    refused: usize,
    silenced: usize,
    held: usize,
}

struct Shared {
    upstream: SocketAddr,
    plan: Plan,
    stats: Mutex<Stats>,
    /// `true` once the API server is gone (`Plan::then_down`).
    down: watch::Sender<bool>,
}

/// A running proxy; stopped on drop.
pub struct TcpDrop {
    shared: Arc<Shared>,
    address: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TcpDrop {
    /// A proxy on a free port of 127.0.0.1 forwarding to `upstream` as `plan` says.
    pub fn start(upstream: SocketAddr, plan: Plan) -> TcpDrop {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the TCP proxy");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the TCP proxy");
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            plan,
            stats: Mutex::new(Stats::default()),
            down: watch::channel(false).0,
        });
        let accepting = Arc::clone(&shared);
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                accepting.stats.lock().unwrap().accepted += 1;
                if *accepting.down.borrow() {
                    if accepting.plan.cut == Cut::Silent {
                        accepting.stats.lock().unwrap().held += 1;
                        tokio::spawn(hold(client, None));
                    } else {
                        accepting.stats.lock().unwrap().refused += 1;
                        reset(client);
                    }
                    continue;
                }
                tokio::spawn(forward(Arc::clone(&accepting), client));
            }
        });
        TcpDrop {
            shared,
            address,
            runtime: Some(runtime),
        }
    }

    /// `https://127.0.0.1:PORT`, the API server's URL through the proxy.
    pub fn url(&self) -> String {
        format!("https://{}", self.address)
    }

    /// `127.0.0.1:PORT`, for image references through the proxy.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.stats.lock().unwrap().accepted
    }

    /// How many large requests the proxy has seen, the cut one included.
    pub fn large_requests(&self) -> usize {
        self.shared.stats.lock().unwrap().large_requests
    }

    /// When the chosen request's connection was cut (the first, with `repeat`), if it was.
    pub fn cut_at(&self) -> Option<Instant> {
        self.shared.stats.lock().unwrap().cut_at
    }

    /// Connections reset on arrival because the API server was gone.
    pub fn refused(&self) -> usize {
        self.shared.stats.lock().unwrap().refused
    }

    /// Large requests whose answer the proxy withheld, going silent ([`Cut::Silent`]).
    pub fn silenced(&self) -> usize {
        self.shared.stats.lock().unwrap().silenced
    }

    /// Connections held silent on arrival, or silenced while open, because the API server was
    /// gone silent.
    pub fn held(&self) -> usize {
        self.shared.stats.lock().unwrap().held
    }
}

impl Drop for TcpDrop {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Closes with a TCP RST rather than a FIN: what a peer sees when a connection is torn down.
fn reset(stream: TcpStream) {
    // SO_LINGER 0 on a socket that is about to close: the RST is the point, and a zero
    // linger never blocks.
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(std::time::Duration::ZERO));
    drop(stream);
}

/// Returns once the API server is gone.
async fn gone(down: &mut watch::Receiver<bool>) {
    let _ = down.wait_for(|down| *down).await;
}

/// Forwards nothing more, in either direction, and closes neither side: what is read from the
/// client is dropped, and the server is not read, until the client gives up and closes (or the
/// proxy stops).
async fn hold(mut client: TcpStream, server: Option<TcpStream>) {
    let mut ignored = vec![0u8; 16 * 1024];
    while let Ok(1..) = client.read(&mut ignored).await {}
    drop(server);
}

/// Cuts the chosen connection and, if the plan says so, takes the API server away.
async fn cut(shared: &Shared, client: TcpStream, server: TcpStream) {
    {
        let mut stats = shared.stats.lock().unwrap();
        stats.cut_at.get_or_insert_with(Instant::now);
        if shared.plan.cut == Cut::Silent {
            stats.silenced += 1;
        }
    }
    if shared.plan.then_down {
        shared.down.send_replace(true);
    }
    match shared.plan.cut {
        Cut::MidRequest => reset(client),
        Cut::BeforeAnswer | Cut::MidAnswer => drop(client),
        Cut::Silent => hold(client, Some(server)).await,
    }
}

/// Whether the `count`th large request is one the plan cuts.
fn chosen(plan: &Plan, count: usize) -> bool {
    plan.nth > 0 && (count == plan.nth || plan.repeat && count > plan.nth)
}

/// One connection, both directions, until either side closes or the plan cuts it.
async fn forward(shared: Arc<Shared>, mut client: TcpStream) {
    let Ok(mut server) = TcpStream::connect(shared.upstream).await else {
        return reset(client);
    };
    let mut down = shared.down.subscribe();
    let (mut up, mut back) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    // Client bytes since the server last sent any, whether that burst was counted as a large
    // request, whether the answer to it is to be cut, and whether some of that answer was
    // forwarded.
    let (mut burst, mut counted, mut doomed, mut answered) = (0usize, false, false, false);
    loop {
        tokio::select! {
            read = client.read(&mut up) => {
                let Ok(n @ 1..) = read else { return };
                burst += n;
                if burst > shared.plan.large && !counted {
                    counted = true;
                    let count = {
                        let mut stats = shared.stats.lock().unwrap();
                        stats.large_requests += 1;
                        stats.large_requests
                    };
                    if chosen(&shared.plan, count) {
                        match shared.plan.cut {
                            // At most `large` bytes of it reached the server.
                            Cut::MidRequest => return cut(&shared, client, server).await,
                            Cut::BeforeAnswer | Cut::MidAnswer | Cut::Silent => doomed = true,
                        }
                    }
                }
                if server.write_all(&up[..n]).await.is_err() {
                    return;
                }
            }
            read = server.read(&mut back) => {
                let Ok(n @ 1..) = read else { return };
                if doomed {
                    // A read takes at most 16 KiB: part of the answer to a large request.
                    if shared.plan.cut != Cut::MidAnswer || answered {
                        return cut(&shared, client, server).await;
                    }
                    answered = true;
                }
                (burst, counted) = (0, false);
                if client.write_all(&back[..n]).await.is_err() {
                    return;
                }
            }
            _ = gone(&mut down) => {
                if shared.plan.cut != Cut::Silent {
                    return reset(client);
                }
                shared.stats.lock().unwrap().held += 1;
                return hold(client, Some(server)).await;
            }
        }
    }
}
