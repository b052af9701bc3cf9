//! A fault-injecting HTTP proxy in front of a real test registry. Every request the plugin sends
//! passes through it, and a script decides, request by request, whether it is forwarded as it
//! is, answered with an error, cut off, stalled, redirected, or forwarded with its answer
//! altered. Every request is logged (method, path, time, `Authorization`) for tests to count
//! and time.
//!
//! It can also stand in for a registry's token service: then `/v2/…` wants a bearer token
//! that `/token` hands out (optionally only for given Basic credentials), and requests that
//! carry it are forwarded to the registry without it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::registry::sha256_digest;

/// The token `/token` hands out in token mode.
pub const TOKEN: &str = "fault-proxy-token-7c1e";

/// What happens to one request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answered by the proxy itself with this status, extra headers and body (no body for HEAD).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// The connection is reset (TCP RST) once the request is read, before any answer.
    Reset,
    /// The registry's status line and headers are sent with half of its body, then the
    /// connection is reset.
    ResetMidBody,
    /// Nothing is answered for this long; then the connection is closed.
    Stall(Duration),
    /// Forwarded after this long, so that requests overlap.
    Delay(Duration),
    /// Forwarded; the answer's `Docker-Content-Digest` names other content.
    WrongDigest,
    /// Forwarded; the answer's `Docker-Content-Digest` is removed.
    NoDigest,
    /// Forwarded; one byte of the answer's body is changed and its headers are kept.
    CorruptBody,
    /// `307 Temporary Redirect` to the same path under this base URL (`http://host:port`).
    Redirect(String),
    /// Forwarded; the answer's `Docker-Content-Digest` is this text, put on the wire as it is
    /// (CR, LF and NUL included): whatever a hostile registry or a man in the middle can send.
    DigestHeader(String),
    /// Answered `200` with this `Content-Type` and a body of spaces streamed until the client
    /// stops reading (at most [`FLOOD_BYTES`]), announced by a `Content-Length` of
    /// `FLOOD_BYTES` when `announced`, else by none (the body ends when the connection does).
    /// The bytes that went out are counted ([`FaultProxy::flooded`]).
    Flood {
        content_type: String,
        announced: bool,
    },
    /// Answered by the proxy with this status, headers and body, where `{authorization}` is
    /// replaced by the request's `Authorization` header, `{credential}` by its part after the
    /// scheme (a bearer token, bare) and `{basic}` by the `user:password` its Basic credentials
    /// decode to: a server that echoes what it was sent.
    Echo {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// These bytes, as they are, are the whole answer (status line, headers and body); then
    /// the connection is closed. For answers no `String` can hold: invalid UTF-8, control
    /// characters, broken framing.
    Raw(Vec<u8>),
}

/// How much a [`Fault::Flood`] sends to a client that reads it all: 2 GiB.
pub const FLOOD_BYTES: u64 = 2 << 30;

impl Fault {
    /// A bare status with a plain-text body.
    pub fn status(status: u16) -> Fault {
        Fault::Respond {
            status,
            headers: Vec::new(),
            body: format!("fault proxy says {status}\n"),
        }
    }

    /// `429 Too Many Requests` with `Retry-After` and the distribution spec's error body.
    pub fn too_many_requests(retry_after_seconds: u32) -> Fault {
        Fault::Respond {
            status: 429,
            headers: vec![
                ("Retry-After".into(), retry_after_seconds.to_string()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#.into(),
        }
    }

    fn name(&self) -> String {
        match self {
            Fault::Respond { status, .. } => status.to_string(),
            Fault::Reset => "reset".into(),
            Fault::ResetMidBody => "reset mid-body".into(),
            Fault::Stall(_) => "stall".into(),
            Fault::Delay(_) => "delay".into(),
            Fault::WrongDigest => "wrong digest".into(),
            Fault::NoDigest => "no digest".into(),
            Fault::CorruptBody => "corrupt body".into(),
            Fault::Redirect(_) => "redirect".into(),
            Fault::DigestHeader(_) => "digest header".into(),
            Fault::Flood { .. } => "flood".into(),
            Fault::Echo { status, .. } => format!("echo {status}"),
            Fault::Raw(_) => "raw".into(),
        }
    }
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `HEAD`, `GET`, …, or `-` for bytes that were not HTTP (such as a TLS hello).
    pub method: String,
    pub path: String,
    /// Since the proxy started.
    pub at: Duration,
    pub authorization: Option<String>,
    /// `forwarded` or the fault's name.
    pub answer: String,
}

struct Rule {
    method: Option<String>,
    path_contains: String,
    faults: VecDeque<Fault>,
    forever: Option<Fault>,
}

impl Rule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method) && path.contains(&self.path_contains)
    }

    fn next(&mut self) -> Option<Fault> {
        self.faults.pop_front().or_else(|| self.forever.clone())
    }
}

struct TokenMode {
    /// `Authorization` that `/token` wants, if any: `Basic base64(user:password)`.
    basic: Option<String>,
    /// The realm the challenge names: the proxy's own `/token` unless another is set.
    realm: Option<String>,
}

struct State {
    rules: Vec<Rule>,
    log: Vec<Seen>,
    token_mode: Option<TokenMode>,
    in_flight: usize,
    max_in_flight: usize,
    /// Bytes of [`Fault::Flood`] bodies written.
    flooded: u64,
}

struct Shared {
    upstream: String,
    address: SocketAddr,
    started: Instant,
    state: Mutex<State>,
}

/// A running proxy; stopped on drop.
pub struct FaultProxy {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// A proxy on a free port of 127.0.0.1 forwarding to `upstream` (`host:port`, plain HTTP).
    pub fn start(upstream: &str) -> FaultProxy {
        FaultProxy::start_on("127.0.0.1", upstream)
    }

    /// A proxy on a free port of `ip` (any of 127.0.0.0/8 is another loopback host).
    pub fn start_on(ip: &str, upstream: &str) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fault proxy");
        let listener = runtime
            .block_on(TcpListener::bind((ip, 0)))
            .expect("bind the fault proxy");
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            address: listener.local_addr().unwrap(),
            started: Instant::now(),
            state: Mutex::new(State {
                rules: Vec::new(),
                log: Vec::new(),
                token_mode: None,
                in_flight: 0,
                max_in_flight: 0,
                flooded: 0,
            }),
        });
        let accepting = Arc::clone(&shared);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(Arc::clone(&accepting), stream));
            }
        });
        FaultProxy {
            shared,
            runtime: Some(runtime),
        }
    }

    /// `IP:PORT`, the registry part of image references through this proxy.
    /// How long ago the proxy started: the clock [`Seen::at`] counts on.
    pub fn elapsed(&self) -> Duration {
        self.shared.started.elapsed()
    }

    pub fn host(&self) -> String {
        self.shared.address.to_string()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// The next requests matching `method` (any if `None`) and a path containing
    /// `path_contains` meet `faults`, one each, in order; later ones are forwarded.
    pub fn script(
        &self,
        method: Option<&str>,
        path_contains: &str,
        faults: impl IntoIterator<Item = Fault>,
    ) {
        self.add_rule(method, path_contains, faults.into_iter().collect(), None);
    }

    /// Every request matching `method` and `path_contains` meets `fault`.
    pub fn always(&self, method: Option<&str>, path_contains: &str, fault: Fault) {
        self.add_rule(method, path_contains, VecDeque::new(), Some(fault));
    }

    fn add_rule(
        &self,
        method: Option<&str>,
        path_contains: &str,
        faults: VecDeque<Fault>,
        forever: Option<Fault>,
    ) {
        self.shared.state.lock().unwrap().rules.push(Rule {
            method: method.map(str::to_string),
            path_contains: path_contains.to_string(),
            faults,
            forever,
        });
    }

    /// Plays the registry's token service: `/v2/…` answers 401 with a bearer challenge unless
    /// the request carries [`TOKEN`], which `/token` hands out, to anyone, or with `basic`
    /// (`user`, `password`) only to those credentials.
    pub fn require_token(&self, basic: Option<(&str, &str)>) {
        self.shared.state.lock().unwrap().token_mode = Some(TokenMode {
            basic: basic.map(|(user, password)| {
                format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
            }),
            realm: None,
        });
    }

    /// In token mode, the challenge names `realm` (another proxy's `/token`, say), not this
    /// proxy's own token service.
    pub fn token_realm(&self, realm: &str) {
        let mut state = self.shared.state.lock().unwrap();
        let mode = state.token_mode.as_mut().expect("token mode");
        mode.realm = Some(realm.to_string());
    }

    /// In token mode, every token request whose scope names `repository` meets `fault`: a
    /// token service whose misbehaviour is chosen per repository.
    pub fn token_service_for(&self, repository: &str, fault: Fault) {
        let scope = format!("scope=repository%3A{}%3A", repository.replace('/', "%2F"));
        self.always(Some("GET"), &scope, fault);
    }

    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.state.lock().unwrap().log.clone()
    }

    /// The requests so far matching `method` (any if `None`) whose path contains `path_contains`.
    pub fn requests(&self, method: Option<&str>, path_contains: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|seen| {
                method.is_none_or(|m| m == seen.method) && seen.path.contains(path_contains)
            })
            .collect()
    }

    /// How many bytes of [`Fault::Flood`] bodies were written to clients.
    pub fn flooded(&self) -> u64 {
        self.shared.state.lock().unwrap().flooded
    }

    /// The most manifest requests that were ever being answered at the same time.
    pub fn max_manifests_in_flight(&self) -> usize {
        self.shared.state.lock().unwrap().max_in_flight
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Serves one client connection, request after request (keep-alive), until it closes or a
/// fault ends it.
async fn serve(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut buffer = Vec::new();
    loop {
        let request = match read_request(&mut stream, &mut buffer).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(()) => {
                // As Go's net/http (the registry's server) answers a TLS hello on a plain port.
                shared.log("-", "", None, "not HTTP");
                let _ = write_response(&mut stream, 400, &[], b"400 Bad Request", false).await;
                return;
            }
        };
        let is_manifest = request.path.contains("/manifests/");
        if is_manifest {
            let mut state = shared.state.lock().unwrap();
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
        }
        let keep_open = answer(&shared, &mut stream, &request).await;
        if is_manifest {
            shared.state.lock().unwrap().in_flight -= 1;
        }
        if !keep_open {
            return;
        }
    }
}

impl Shared {
    fn log(&self, method: &str, path: &str, authorization: Option<&str>, answer: &str) {
        self.state.lock().unwrap().log.push(Seen {
            method: method.to_string(),
            path: path.to_string(),
            at: self.started.elapsed(),
            authorization: authorization.map(str::to_string),
            answer: answer.to_string(),
        });
    }

    /// The scripted fault for this request, if any.
    fn fault_for(&self, request: &Request) -> Option<Fault> {
        let mut state = self.state.lock().unwrap();
        state
            .rules
            .iter_mut()
            .filter(|rule| rule.matches(&request.method, &request.path))
            .find_map(Rule::next)
    }

    /// In token mode, the answer of the token service or the challenge for a request without
    /// the token; `None` when the request may go on.
    fn token_answer(&self, request: &Request) -> Option<Fault> {
        let state = self.state.lock().unwrap();
        let mode = state.token_mode.as_ref()?;
        if request.path.starts_with("/token") {
            let refused = mode
                .basic
                .as_deref()
                .is_some_and(|wanted| request.header("Authorization") != Some(wanted));
            return Some(if refused {
                Fault::Respond {
                    status: 401,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#
                        .into(),
                }
            } else {
                Fault::Respond {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#),
                }
            });
        }
        let bearer = format!("Bearer {TOKEN}");
        let realm = mode
            .realm
            .clone()
            .unwrap_or_else(|| format!("http://{}/token", self.address));
        (request.header("Authorization") != Some(bearer.as_str())).then(|| challenge(&realm))
    }
}

/// `401` with the bearer challenge that sends clients to `realm`.
fn challenge(realm: &str) -> Fault {
    Fault::Respond {
        status: 401,
        headers: vec![
            (
                "WWW-Authenticate".into(),
                format!(r#"Bearer realm="{realm}",service="fault-proxy""#),
            ),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#.into(),
    }
}

/// Answers one request; `false` when the connection is to be closed.
async fn answer(shared: &Shared, stream: &mut TcpStream, request: &Request) -> bool {
    let scripted = shared.fault_for(request);
    let fault = scripted.clone().or_else(|| shared.token_answer(request));
    let answered = match &fault {
        Some(Fault::Respond { .. }) if scripted.is_none() => "token mode".to_string(),
        Some(fault) => fault.name(),
        None => "forwarded".to_string(),
    };
    shared.log(
        &request.method,
        &request.path,
        request.header("Authorization"),
        &answered,
    );
    let head = request.method == "HEAD";
    match fault {
        Some(Fault::Respond {
            status,
            headers,
            body,
        }) => write_response(stream, status, &headers, body.as_bytes(), head)
            .await
            .is_ok(),
        Some(Fault::Reset) => {
            reset(stream);
            false
        }
        Some(Fault::Stall(duration)) => {
            tokio::time::sleep(duration).await;
            false
        }
        Some(Fault::Echo {
            status,
            headers,
            body,
        }) => {
            let echo = |text: &str| echoed(text, request);
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(name, value)| (name.clone(), echo(value)))
                .collect();
            write_response(stream, status, &headers, echo(&body).as_bytes(), head)
                .await
                .is_ok()
        }
        Some(Fault::Raw(bytes)) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            false
        }
        Some(Fault::Redirect(base)) => {
            let location = format!("{base}{}", request.path);
            write_response(stream, 307, &[("Location".into(), location)], b"", head)
                .await
                .is_ok()
        }
        Some(Fault::Delay(duration)) => {
            tokio::time::sleep(duration).await;
            forward(shared, stream, request, None).await
        }
        Some(Fault::Flood {
            content_type,
            announced,
        }) => {
            flood(shared, stream, &content_type, announced, head).await;
            false
        }
        other => forward(shared, stream, request, other).await,
    }
}

/// `text` with `{authorization}`, `{credential}` and `{basic}` replaced by what `request`
/// carries (see [`Fault::Echo`]).
fn echoed(text: &str, request: &Request) -> String {
    use base64::Engine as _;
    let authorization = request.header("Authorization").unwrap_or_default();
    let credential = authorization
        .split_once(' ')
        .map_or(authorization, |(_, credential)| credential);
    let basic = authorization
        .strip_prefix("Basic ")
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .map(|decoded| String::from_utf8_lossy(&decoded).into_owned())
        .unwrap_or_default();
    text.replace("{authorization}", authorization)
        .replace("{credential}", credential)
        .replace("{basic}", &basic)
}

/// Sends `request` to the registry and its answer back, altered by `fault`.
async fn forward(
    shared: &Shared,
    stream: &mut TcpStream,
    request: &Request,
    fault: Option<Fault>,
) -> bool {
    // In token mode the token is the proxy's own; otherwise credentials go on to the registry.
    let keep_authorization = shared.state.lock().unwrap().token_mode.is_none();
    let Ok((status, mut headers, mut body)) =
        upstream(&shared.upstream, request, keep_authorization).await
    else {
        let _ = write_response(stream, 502, &[], b"upstream failed\n", false).await;
        return false;
    };
    let head = request.method == "HEAD";
    let digest = "Docker-Content-Digest";
    match fault {
        Some(Fault::WrongDigest) => {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(digest));
            headers.push((digest.into(), sha256_digest(b"not what the registry sent")));
        }
        Some(Fault::NoDigest) => headers.retain(|(name, _)| !name.eq_ignore_ascii_case(digest)),
        Some(Fault::DigestHeader(value)) => {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(digest));
            headers.push((digest.into(), value));
        }
        Some(Fault::CorruptBody) => {
            if let Some(byte) = body.last_mut() {
                *byte ^= 0x20;
            }
        }
        Some(Fault::ResetMidBody) => {
            let length = body.len().to_string();
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("Content-Length"));
            headers.push(("Content-Length".into(), length));
            let half = &body[..body.len() / 2];
            let _ = write_head(stream, status, &headers).await;
            let _ = stream.write_all(half).await;
            let _ = stream.flush().await;
            reset(stream);
            return false;
        }
        _ => {}
    }
    if head {
        // The registry's Content-Length describes the body a GET would get; keep it.
        write_head(stream, status, &headers).await.is_ok()
    } else {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case("Content-Length"));
        write_response(stream, status, &headers, &body, false)
            .await
            .is_ok()
    }
}

/// A [`Fault::Flood`]: its head, then spaces until the client stops reading or
/// [`FLOOD_BYTES`] went out, counted as they go.
async fn flood(
    shared: &Shared,
    stream: &mut TcpStream,
    content_type: &str,
    announced: bool,
    head: bool,
) {
    let mut headers = vec![("Content-Type".to_string(), content_type.to_string())];
    if announced {
        headers.push(("Content-Length".into(), FLOOD_BYTES.to_string()));
    } else {
        headers.push(("Connection".into(), "close".into()));
    }
    if write_head(stream, 200, &headers).await.is_err() || head {
        return;
    }
    let chunk = [b' '; 64 * 1024];
    let mut sent = 0;
    while sent < FLOOD_BYTES {
        if stream.write_all(&chunk).await.is_err() {
            return;
        }
        sent += chunk.len() as u64;
        shared.state.lock().unwrap().flooded += chunk.len() as u64;
    }
}

/// The registry's answer to `request`: status, headers, body. HTTP/1.0, so the registry
/// answers without chunking and closes the connection after the body.
async fn upstream(
    upstream: &str,
    request: &Request,
    keep_authorization: bool,
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let mut connection = TcpStream::connect(upstream).await?;
    let mut text = format!(
        "{} {} HTTP/1.0\r\nHost: {upstream}\r\n",
        request.method, request.path
    );
    for (name, value) in &request.headers {
        let skip = ["Host", "Connection", "Keep-Alive"];
        let dropped = !keep_authorization && name.eq_ignore_ascii_case("Authorization");
        if !dropped && !skip.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    text.push_str("\r\n");
    connection.write_all(text.as_bytes()).await?;
    let mut raw = Vec::new();
    connection.read_to_end(&mut raw).await?;
    let end = find(&raw, b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .filter(|(name, _)| {
            !["Connection", "Keep-Alive", "Transfer-Encoding"]
                .iter()
                .any(|hop| hop.eq_ignore_ascii_case(name))
        })
        .collect();
    Ok((status, headers, raw[end + 4..].to_vec()))
}

/// Reads the next request head from a keep-alive connection; `Ok(None)` at its end, `Err` for
/// bytes that are not HTTP.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Option<Request>, ()> {
    loop {
        if let Some(first) = buffer.first()
            && !first.is_ascii_uppercase()
        {
            return Err(());
        }
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            buffer.drain(..end + 4);
            let mut lines = head.split("\r\n");
            let mut words = lines.next().unwrap_or_default().split(' ');
            let (Some(method), Some(path)) = (words.next(), words.next()) else {
                return Err(());
            };
            let headers: Vec<(String, String)> = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
                .collect();
            let request = Request {
                method: method.to_string(),
                path: path.to_string(),
                headers,
            };
            // GET and HEAD carry no body; anything else's is read and dropped.
            let length: usize = request
                .header("Content-Length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            while buffer.len() < length {
                let mut chunk = [0; 8192];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return Ok(None),
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            buffer.drain(..length);
            return Ok(Some(request));
        }
        if buffer.len() > 64 * 1024 {
            return Err(());
        }
        let mut chunk = [0; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn write_head(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await
}

/// A complete answer with `Content-Length`; a HEAD gets the length but not the body.
async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    let mut headers = headers.to_vec();
    headers.push(("Content-Length".into(), body.len().to_string()));
    write_head(stream, status, &headers).await?;
    if !head {
        stream.write_all(body).await?;
    }
    stream.flush().await
}

/// Ends the connection with a TCP RST rather than an orderly close.
fn reset(stream: &TcpStream) {
    // SO_LINGER 0 on a socket that is about to close: the RST is the point, and a zero
    // linger never blocks.
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Standard base64 with padding, as `Authorization: Basic` and docker's `auth` want it.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
