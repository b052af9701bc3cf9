//! Resolving tags to digests through the OCI distribution API (the `oci-client` crate).
//!
//! One client per transport (verified TLS, unverified TLS, plain HTTP) so that only the hosts the
//! user names as insecure ever skip verification. Each client keeps its connections and tokens,
//! so every repository costs one token and every reference one HEAD.

use std::collections::HashMap;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use futures::future::Either;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::sync::{Mutex, OnceCell, Semaphore};

use super::credentials::{self, Credential};
use super::{backoff, innermost};
use crate::core::mirror::{Mirror, locate};
use crate::core::platform::{self, ManifestError, ManifestPlatforms, Platform};
use crate::core::reference::{Digest, DigestError, ImageReference};
use crate::core::signature::{
    BUNDLE_ARTIFACT_TYPES, BUNDLE_PREDICATE_ANNOTATION, SIGN_PREDICATE, SIGNATURE_ANNOTATION,
    Signature, expected_payloads, referrers_tag, signature_tag,
};
use crate::core::signature_manifest::{ReferrersIndex, SignatureAnswerError, SignatureManifest};

/// Where digests come from: a registry, or a lock file.
pub trait DigestSource: Sync {
    /// The digest `reference`'s tag points at, or that of `platform`'s manifest under it.
    fn digest(
        &self,
        reference: &ImageReference,
        platform: Option<&Platform>,
    ) -> impl Future<Output = Result<Digest, RegistryError>> + Send;
}

/// Where the cosign signatures of a digest come from: a registry.
pub trait SignatureSource: Sync {
    /// The signatures of `digest` in `reference`'s repository in cosign's classic layout.
    fn classic_signatures(
        &self,
        reference: &ImageReference,
        digest: &str,
    ) -> impl Future<Output = Result<Vec<Signature>, RegistryError>> + Send;

    /// The Sigstore bundles of `digest` in `reference`'s repository that its referrers list.
    fn bundle_signatures(
        &self,
        reference: &ImageReference,
        digest: &str,
    ) -> impl Future<Output = Result<Vec<Signature>, RegistryError>> + Send;
}

/// Why a registry did not give a digest. Messages never hold credentials. A cause from the
/// layers below (the HTTP client, the OCI client, a manifest that does not parse) is kept as
/// the error's `source`; the message says the part of it a user acts on.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("not found on {host}")]
    NotFound { host: String },
    #[error("{host} refused the credentials or asked for some (401)")]
    Unauthorized { host: String },
    #[error("{host} denied access (403)")]
    Denied { host: String },
    #[error("{host} keeps answering {status}")]
    Unavailable {
        host: String,
        status: u16,
        /// How long the registry asked the client to wait (its `Retry-After`).
        retry_after: Option<Duration>,
    },
    #[error(
        "{host} is rate limiting and asks to retry after {asked_seconds}s, longer than this run waits ({cap_seconds}s, --registry-timeout)"
    )]
    RateLimited {
        host: String,
        asked_seconds: u64,
        cap_seconds: u64,
    },
    /// The deepest cause names the fault ("Connection refused", "dns error").
    #[error("cannot reach {host}: {}", innermost(.source))]
    Unreachable {
        host: String,
        source: reqwest::Error,
    },
    #[error(
        "the TLS certificate of {host} is not trusted (to skip verification for it, name it with --insecure-registry {host})"
    )]
    UntrustedCertificate { host: String },
    #[error(
        "{host} does not speak TLS (to use plain HTTP with it, name it with --insecure-registry {host})"
    )]
    NotTls { host: String },
    #[error("{host} did not answer within {seconds}s")]
    Timeout { host: String, seconds: u64 },
    #[error("{host} sent content whose digest does not match: {source}")]
    DigestMismatch {
        host: String,
        source: oci_client::errors::DigestError,
    },
    /// A digest out of the grammar (a header, an index entry, a signature's descriptor): never
    /// written, whatever it holds.
    #[error("{host} sent an {source}")]
    InvalidDigest { host: String, source: DigestError },
    /// More than this tool reads of one answer: it stopped reading there.
    #[error("{host} sent {what} larger than {limit} bytes, more than this tool reads")]
    TooLarge {
        host: String,
        what: String,
        limit: u64,
    },
    /// A successful answer to a manifest request that is not a manifest (a captive portal's
    /// page): its digest is not used.
    #[error("{host} answered with something that is not a manifest: {what}")]
    NotAManifest { host: String, what: String },
    /// More signatures than are checked (cosign's limit, GHSA-95pr-fxf5-86gv).
    #[error("{host} {source}")]
    TooManySignatures {
        host: String,
        source: SignatureAnswerError,
    },
    #[error("the image has no {platform} manifest (it has: {available})")]
    NoSuchPlatform { platform: String, available: String },
    #[error("{host} answered with something unexpected: {detail}")]
    Protocol { host: String, detail: String },
    /// A client error the registry gave its reason for (a 4xx other than those above).
    #[error("{host} refused the request: {detail}")]
    Refused { host: String, detail: String },
    /// An answer the OCI client could not take, or a manifest or image config that does not
    /// parse.
    #[error("{host} answered with something unexpected: {source}")]
    Unexpected {
        host: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A token service that cannot be asked, or whose answer is no token that can be sent.
    #[error("the token service {service} of {host} {reason}")]
    TokenService {
        host: String,
        service: String,
        reason: String,
    },
    /// The registry's token realm is plain HTTP on a host not named insecure: nothing was sent
    /// to it, the credentials would have gone in clear.
    #[error(
        "the token service of {host} is plain HTTP on another host, {service}: the credentials are not sent there in clear (to send them, name it with --insecure-registry {service})"
    )]
    PlainHttpTokenService { host: String, service: String },
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    #[error("not in the lock file (run without --offline to resolve it)")]
    NotLocked,
    /// The HTTP client could not be made, as where the system has no CA certificates: every
    /// client loads them, the plain-HTTP one too (a token service or a redirect may be HTTPS).
    #[error(
        "cannot make an HTTP client: {} (install the system's CA certificates, or name a bundle with SSL_CERT_FILE)",
        innermost(.source)
    )]
    NoHttpClient { source: Arc<OciDistributionError> },
}

impl RegistryError {
    /// This error of a request sent to a mirror for an image of `registry`: named by the image's
    /// registry, with the mirror said beside it. Where the mirror host is what to name in a
    /// flag (`--insecure-registry`), it stays as it is.
    fn through_mirror(self, registry: &str) -> Self {
        let named = |mirror: String| format!("{registry} (through the mirror {mirror})");
        match self {
            RegistryError::NotFound { host } => RegistryError::NotFound { host: named(host) },
            RegistryError::Unauthorized { host } => {
                RegistryError::Unauthorized { host: named(host) }
            }
            RegistryError::Denied { host } => RegistryError::Denied { host: named(host) },
            RegistryError::Unavailable {
                host,
                status,
                retry_after,
            } => RegistryError::Unavailable {
                host: named(host),
                status,
                retry_after,
            },
            RegistryError::RateLimited {
                host,
                asked_seconds,
                cap_seconds,
            } => RegistryError::RateLimited {
                host: named(host),
                asked_seconds,
                cap_seconds,
            },
            RegistryError::Unreachable { host, source } => RegistryError::Unreachable {
                host: named(host),
                source,
            },
            RegistryError::Timeout { host, seconds } => RegistryError::Timeout {
                host: named(host),
                seconds,
            },
            RegistryError::DigestMismatch { host, source } => RegistryError::DigestMismatch {
                host: named(host),
                source,
            },
            RegistryError::Protocol { host, detail } => RegistryError::Protocol {
                host: named(host),
                detail,
            },
            RegistryError::Refused { host, detail } => RegistryError::Refused {
                host: named(host),
                detail,
            },
            RegistryError::Unexpected { host, source } => RegistryError::Unexpected {
                host: named(host),
                source,
            },
            RegistryError::InvalidDigest { host, source } => RegistryError::InvalidDigest {
                host: named(host),
                source,
            },
            RegistryError::TooLarge { host, what, limit } => RegistryError::TooLarge {
                host: named(host),
                what,
                limit,
            },
            RegistryError::NotAManifest { host, what } => RegistryError::NotAManifest {
                host: named(host),
                what,
            },
            RegistryError::TooManySignatures { host, source } => RegistryError::TooManySignatures {
                host: named(host),
                source,
            },
            other => other,
        }
    }

    /// Faults worth another try: the registry or the network may recover.
    fn is_transient(&self) -> bool {
        matches!(
            self,
            RegistryError::Unavailable { .. }
                | RegistryError::Unreachable { .. }
                | RegistryError::Timeout { .. }
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            RegistryError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Why a try failed, for `-v`: the answer as it came, where the message says what it
    /// means for the whole run (`keeps answering`).
    fn why(&self) -> String {
        match self {
            RegistryError::Unavailable {
                host,
                status,
                retry_after,
            } => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or_default();
                match retry_after {
                    Some(wait) => format!(
                        "{host} answered {status} {reason} with Retry-After {}",
                        super::wait_text(*wait)
                    ),
                    None => format!("{host} answered {status} {reason}"),
                }
            }
            other => other.to_string(),
        }
    }
}

/// How a registry client behaves.
#[derive(Debug, Clone)]
pub struct RegistrySettings {
    pub mirrors: Vec<Mirror>,
    /// Hosts (`host[:port]`, as contacted) where plain HTTP or an unverified certificate is allowed.
    pub insecure_hosts: Vec<String>,
    /// Limit for each request; a stalled one is cancelled and retried.
    pub request_timeout: Duration,
    /// Tries for a transient fault, the first included.
    pub attempts: u32,
    /// Requests in flight at once to a host that speaks HTTP/1.1, each on its own connection.
    /// A host that answers in HTTP/2 takes every request at once on one connection, as many as
    /// its `SETTINGS_MAX_CONCURRENT_STREAMS` lets run together.
    pub connections_per_host: usize,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        RegistrySettings {
            mirrors: Vec::new(),
            insecure_hosts: Vec::new(),
            request_timeout: Duration::from_secs(30),
            attempts: 4,
            connections_per_host: 64,
        }
    }
}

/// The accepted manifest kinds: OCI index and manifest, Docker manifest list and schema 2.
const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    VerifiedTls,
    UnverifiedTls,
    PlainHttp,
}

/// What bounds the requests in flight to a host: a permit per HTTP/1.1 connection, or nothing
/// over HTTP/2.
type Gate = Option<Arc<Semaphore>>;

/// How requests reach a host: found out from the answer to its first request.
#[derive(Clone)]
struct Route {
    transport: Transport,
    gate: Gate,
}

/// A host's route, and the lock its first request holds while it finds the route out.
#[derive(Default)]
struct Host {
    route: OnceCell<Route>,
    first: Mutex<()>,
}

pub struct RegistryClient {
    settings: RegistrySettings,
    /// One client per transport, each made when first needed: making one loads the system's
    /// root certificates, tens of milliseconds.
    verified: OnceLock<Result<Client, Arc<OciDistributionError>>>,
    unverified: OnceLock<Result<Client, Arc<OciDistributionError>>>,
    plain: OnceLock<Result<Client, Arc<OciDistributionError>>>,
    /// Per host, the transport it speaks and what bounds its requests in flight, found out
    /// once, by its first request: the others wait for that answer.
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    /// Credentials per host, looked up once: the requests in flight wait for the first lookup.
    auths: Mutex<HashMap<String, Arc<OnceCell<RegistryAuth>>>>,
}

impl RegistryClient {
    pub fn new(settings: RegistrySettings) -> Self {
        RegistryClient {
            settings,
            verified: OnceLock::new(),
            unverified: OnceLock::new(),
            plain: OnceLock::new(),
            hosts: Mutex::new(HashMap::new()),
            auths: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, transport: Transport) -> Result<&Client, RegistryError> {
        let (cell, protocol, accept_invalid_certificates) = match transport {
            Transport::VerifiedTls => (&self.verified, ClientProtocol::Https, false),
            Transport::UnverifiedTls => (&self.unverified, ClientProtocol::Https, true),
            Transport::PlainHttp => (&self.plain, ClientProtocol::Http, false),
        };
        cell.get_or_init(|| {
            // reqwest is built without a provider of its own (see Cargo.toml); an Err only says
            // the process has one already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            // Not `Client::new`: where this fails, its fallback (a default client) panics.
            Client::try_from(ClientConfig {
                protocol,
                accept_invalid_certificates,
                read_timeout: Some(self.settings.request_timeout),
                connect_timeout: Some(self.settings.request_timeout),
                // Index entries are chosen here, not by the client's default resolver.
                platform_resolver: None,
                user_agent: concat!("kubectl-immutable/", env!("CARGO_PKG_VERSION")),
                // Credentials go in clear to a token realm elsewhere only where the user says.
                plain_http_realms: self.settings.insecure_hosts.clone(),
                ..ClientConfig::default()
            })
            .map_err(Arc::new)
        })
        .as_ref()
        .map_err(|source| RegistryError::NoHttpClient {
            source: source.clone(),
        })
    }

    /// Whether the manifest `reference` names by digest exists.
    pub async fn digest_exists(&self, reference: &ImageReference) -> Result<bool, RegistryError> {
        let digest = reference.digest().expect("a reference with a digest");
        let location = locate(reference, &self.settings.mirrors);
        let target = Reference::with_digest(
            location.host.clone(),
            location.repository.clone(),
            digest.to_string(),
        );
        match self
            .with_client(&location.host, |client, auth| {
                let target = &target;
                async move { client.fetch_manifest_digest(target, &auth).await }
            })
            .await
        {
            Ok(_) => Ok(true),
            Err(RegistryError::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn auth_for(&self, host: &str) -> Result<RegistryAuth, RegistryError> {
        let cell = self
            .auths
            .lock()
            .await
            .entry(host.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.look_up_auth(host))
            .await
            .cloned()
    }

    async fn look_up_auth(&self, host: &str) -> Result<RegistryAuth, RegistryError> {
        // A credential helper that hangs is given as long as a request.
        let credential = credentials::lookup(host, self.settings.request_timeout).await?;
        let auth = match credential {
            Credential::Anonymous => {
                tracing::info!("{host}: no credentials stored, asking anonymously");
                RegistryAuth::Anonymous
            }
            Credential::Basic { username, password } => {
                // Where they came from, never what they are.
                tracing::info!(
                    "{host}: a username and password from the docker or podman configuration"
                );
                RegistryAuth::Basic(username, password)
            }
        };
        Ok(auth)
    }

    /// Runs `request` with the host's client and credentials, retrying transient faults with
    /// jittered exponential backoff. A host's first request finds out how to reach it (see
    /// [`Self::first_request`]); the requests in flight meanwhile wait for its answer.
    async fn with_client<T, F, Fut>(&self, host: &str, request: F) -> Result<T, RegistryError>
    where
        F: Fn(Client, RegistryAuth) -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        let auth = self.auth_for(host).await?;
        let state = self
            .hosts
            .lock()
            .await
            .entry(host.to_string())
            .or_default()
            .clone();
        self.with_retries(host, || async {
            let route = match state.route.get() {
                Some(route) => route.clone(),
                None => {
                    let _first = state.first.lock().await;
                    match state.route.get() {
                        Some(route) => route.clone(),
                        None => {
                            let (answer, route) = self.first_request(host, &auth, &request).await;
                            let _ = state.route.set(route);
                            return answer;
                        }
                    }
                }
            };
            // A permit is held while the request runs, not while it waits to be retried.
            let _permit = match &route.gate {
                Some(gate) => Some(gate.acquire().await.expect("the gate is never closed")),
                None => None,
            };
            self.timed(
                host,
                request(self.client(route.transport)?.clone(), auth.clone()),
            )
            .await
        })
        .await
    }

    /// A host's first request, and the route its answer shows. No `GET /v2/` goes first: the
    /// request itself is sent without credentials, and a `401` says how to authenticate (the
    /// client then sends it once more with them). Its answer says the HTTP version, so what
    /// bounds the requests that follow (see [`Self::gate`]).
    ///
    /// Verified TLS, unless the user named the host insecure: then the request goes over TLS
    /// without verification and over plain HTTP at once (as go-containerregistry asks both for
    /// insecure hosts), so a plain HTTP host costs no extra round trip, and the TLS answer wins
    /// if any came, as Docker prefers TLS. The plain HTTP request carries no credentials:
    /// they go over plain HTTP only to a host that does not speak TLS, in the request sent
    /// again where the plain answer asked for them.
    async fn first_request<T, F, Fut>(
        &self,
        host: &str,
        auth: &RegistryAuth,
        request: &F,
    ) -> (Result<T, RegistryError>, Route)
    where
        F: Fn(Client, RegistryAuth) -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        // Without a client for a transport, every request to the host fails as this one does.
        let unusable = |transport, error| {
            (
                Err(error),
                Route {
                    transport,
                    gate: None,
                },
            )
        };
        if !self.settings.insecure_hosts.iter().any(|h| h == host) {
            let client = match self.client(Transport::VerifiedTls) {
                Ok(client) => client,
                Err(error) => return unusable(Transport::VerifiedTls, error),
            };
            let answer = self
                .timed(host, request(client.clone(), auth.clone()))
                .await;
            let gate = self.gate(host, client.http_version(host).await);
            let route = Route {
                transport: Transport::VerifiedTls,
                gate,
            };
            return (answer, route);
        }
        let (tls, plain) = match (
            self.client(Transport::UnverifiedTls),
            self.client(Transport::PlainHttp),
        ) {
            (Ok(tls), Ok(plain)) => (tls, plain),
            (Err(error), _) => return unusable(Transport::UnverifiedTls, error),
            (_, Err(error)) => return unusable(Transport::PlainHttp, error),
        };
        let over_tls = pin!(self.timed(host, request(tls.clone(), auth.clone())));
        let over_plain = pin!(self.timed(
            host,
            request(plain.unauthenticated(), RegistryAuth::Anonymous)
        ));
        let (tls_answer, plain_answer) = match futures::future::select(over_tls, over_plain).await {
            Either::Left((tls_answer, over_plain)) => {
                if let Some(version) = tls.http_version(host).await {
                    return (tls_answer, self.tls_route(host, version));
                }
                (tls_answer, over_plain.await)
            }
            Either::Right((plain_answer, over_tls)) => (over_tls.await, plain_answer),
        };
        if let Some(version) = tls.http_version(host).await {
            return (tls_answer, self.tls_route(host, version));
        }
        let why = match tls_answer {
            Err(RegistryError::NotTls { .. }) => "it does not speak TLS".into(),
            Err(RegistryError::Unreachable { source, .. }) => innermost(&source),
            Err(RegistryError::Timeout { seconds, .. }) => {
                format!("no TLS answer within {seconds}s")
            }
            Err(other) => other.to_string(),
            Ok(_) => "it answered from elsewhere".into(),
        };
        tracing::info!("{host}: plain HTTP (--insecure-registry), as the TLS probe failed: {why}");
        let answer = match plain_answer {
            // Asked for credentials: sent again with them (the client knows the challenge now).
            Err(RegistryError::Unauthorized { .. } | RegistryError::Denied { .. }) => {
                self.timed(host, request(plain.clone(), auth.clone())).await
            }
            other => other,
        };
        let gate = self.gate(host, plain.http_version(host).await);
        let route = Route {
            transport: Transport::PlainHttp,
            gate,
        };
        (answer, route)
    }

    fn tls_route(&self, host: &str, version: reqwest::Version) -> Route {
        tracing::info!("{host} speaks TLS: its certificate is not verified (--insecure-registry)");
        Route {
            transport: Transport::UnverifiedTls,
            gate: self.gate(host, Some(version)),
        }
    }

    /// What bounds the requests in flight to `host`, given the HTTP version it answered in:
    /// nothing over HTTP/2 (they share one connection, as many at once as the server allows),
    /// else [`RegistrySettings::connections_per_host`]. Without an answer the requests that
    /// follow report why; they stay bounded.
    fn gate(&self, host: &str, version: Option<reqwest::Version>) -> Gate {
        if version == Some(reqwest::Version::HTTP_2) {
            tracing::debug!("{host}: HTTP/2, every request at once on one connection");
            return None;
        }
        let connections = self.settings.connections_per_host;
        tracing::debug!("{host}: HTTP/1.1, at most {connections} connections");
        Some(Arc::new(Semaphore::new(connections)))
    }

    /// `request`'s answer within the request timeout, its error one a user can act on.
    async fn timed<T>(
        &self,
        host: &str,
        request: impl Future<Output = Result<T, OciDistributionError>>,
    ) -> Result<T, RegistryError> {
        let timeout = self.settings.request_timeout;
        match tokio::time::timeout(timeout, request).await {
            Ok(result) => result.map_err(|error| classify(host, timeout, error)),
            Err(_) => Err(RegistryError::Timeout {
                host: host.to_string(),
                seconds: timeout.as_secs(),
            }),
        }
    }

    /// `request` until it succeeds or fails for good.
    async fn with_retries<T, F, Fut>(&self, host: &str, request: F) -> Result<T, RegistryError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, RegistryError>>,
    {
        let timeout = self.settings.request_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            match request().await {
                Err(error) if error.is_transient() && attempt < self.settings.attempts => {
                    // A Retry-After is waited for up to the request timeout, at least the backoff.
                    let wait = match error.retry_after() {
                        Some(asked) if asked > timeout => {
                            tracing::warn!(
                                "not retrying: {}, longer than --registry-timeout ({}s)",
                                error.why(),
                                timeout.as_secs()
                            );
                            return Err(RegistryError::RateLimited {
                                host: host.to_string(),
                                asked_seconds: asked.as_secs_f64().ceil() as u64,
                                cap_seconds: timeout.as_secs(),
                            });
                        }
                        Some(asked) => asked.max(backoff(attempt)),
                        None => backoff(attempt),
                    };
                    let honoured = if error.retry_after().is_some() {
                        ", as its Retry-After asks"
                    } else {
                        ""
                    };
                    tracing::warn!(
                        "retrying in {}{honoured} (try {} of {}): {}",
                        super::wait_text(wait),
                        attempt + 1,
                        self.settings.attempts,
                        error.why()
                    );
                    tokio::time::sleep(wait).await
                }
                Err(error) if error.is_transient() => {
                    tracing::warn!("giving up after {attempt} tries: {}", error.why());
                    return Err(error);
                }
                other => return other,
            }
        }
    }

    async fn pull_manifest(
        &self,
        host: &str,
        target: &Reference,
    ) -> Result<(Vec<u8>, Digest), RegistryError> {
        let (body, digest) = self
            .with_client(host, |client, auth| async move {
                let (body, digest) = client
                    .pull_manifest_raw(target, &auth, &MANIFEST_MEDIA_TYPES)
                    .await?;
                Ok((body.to_vec(), digest))
            })
            .await?;
        Ok((body, parsed(host, &digest)?))
    }

    async fn platform_digest(
        &self,
        host: &str,
        target: &Reference,
        platform: &Platform,
    ) -> Result<Digest, RegistryError> {
        // pull_manifest_raw checks the body's sha256 against the digest the registry claims.
        let (body, digest) = self.pull_manifest(host, target).await?;
        let unexpected = |error: serde_json::Error| RegistryError::Unexpected {
            host: host.to_string(),
            source: error.into(),
        };
        let platforms = platform::manifest_platforms(&body).map_err(|error| match error {
            ManifestError::Json(error) => unexpected(error),
            ManifestError::Digest(source) => RegistryError::InvalidDigest {
                host: host.to_string(),
                source,
            },
        })?;
        match platforms {
            ManifestPlatforms::Index(entries) => entries
                .iter()
                .find(|(entry, _)| entry == platform)
                .map(|(_, digest)| digest.clone())
                .ok_or_else(|| RegistryError::NoSuchPlatform {
                    platform: platform.to_string(),
                    available: entries
                        .iter()
                        .map(|(p, _)| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            ManifestPlatforms::Image { config_digest } => {
                let config = self
                    .blob(
                        host,
                        target,
                        &config_digest,
                        "an image config",
                        MAX_CONFIG_BYTES,
                    )
                    .await?;
                let found = platform::config_platform(&config).map_err(unexpected)?;
                if &found == platform {
                    Ok(digest)
                } else {
                    Err(RegistryError::NoSuchPlatform {
                        platform: platform.to_string(),
                        available: found.to_string(),
                    })
                }
            }
        }
    }
}

/// The largest signature payload fetched: a simple-signing payload is a few hundred bytes, so
/// a larger layer is not a signature and a hostile registry's huge one is never downloaded. A
/// payload is also read no further than the size its layer declares.
const MAX_PAYLOAD_BYTES: u64 = 1 << 20;

/// The largest image config read (to find its platform): the manifest limit, 4 MiB.
const MAX_CONFIG_BYTES: u64 = oci_client::client::MANIFEST_SIZE_LIMIT as u64;

/// `digest` as a registry sent it for a manifest of `host`, if it is one.
fn parsed(host: &str, digest: &str) -> Result<Digest, RegistryError> {
    Digest::parse(digest).map_err(|source| RegistryError::InvalidDigest {
        host: host.to_string(),
        source,
    })
}

/// A blob's bytes, refused past a limit as they stream: the registry decides how much it
/// sends, whatever size a descriptor declared.
struct BoundedBuffer {
    bytes: Vec<u8>,
    limit: u64,
    exceeded: bool,
}

impl BoundedBuffer {
    fn new(limit: u64) -> Self {
        BoundedBuffer {
            bytes: Vec::new(),
            limit,
            exceeded: false,
        }
    }
}

impl tokio::io::AsyncWrite for BoundedBuffer {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        chunk: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let buffer = self.get_mut();
        if (buffer.bytes.len() + chunk.len()) as u64 > buffer.limit {
            buffer.exceeded = true;
            return std::task::Poll::Ready(Err(std::io::Error::other("more than the limit")));
        }
        buffer.bytes.extend_from_slice(chunk);
        std::task::Poll::Ready(Ok(chunk.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl SignatureSource for RegistryClient {
    /// The cosign signatures of `digest` in `reference`'s repository in cosign's classic
    /// layout (through a mirror where one serves it): the layers of the `sha256-<hex>.sig`
    /// manifest that carry a signature annotation, each with its payload. None when there is no
    /// such tag.
    async fn classic_signatures(
        &self,
        reference: &ImageReference,
        digest: &str,
    ) -> Result<Vec<Signature>, RegistryError> {
        let expected = expected_payloads(&reference.name(), digest);
        self.at_tag(reference, signature_tag(digest), |host, target| async move {
            self.classic_signatures_at(&host, &target, &expected).await
        })
        .await
    }

    /// The Sigstore bundles of `digest` in `reference`'s repository that the OCI referrers tag
    /// scheme lists under `sha256-<hex>` (through a mirror where one serves it). None when there
    /// is no such tag.
    async fn bundle_signatures(
        &self,
        reference: &ImageReference,
        digest: &str,
    ) -> Result<Vec<Signature>, RegistryError> {
        self.at_tag(
            reference,
            referrers_tag(digest),
            |host, target| async move { self.bundles(&host, &target).await },
        )
        .await
    }
}

impl RegistryClient {
    /// `request` of `tag` in `reference`'s repository where it is looked up (a mirror's, where
    /// one serves it), its errors named by the image's registry.
    async fn at_tag<F, Fut>(
        &self,
        reference: &ImageReference,
        tag: String,
        request: F,
    ) -> Result<Vec<Signature>, RegistryError>
    where
        F: FnOnce(String, Reference) -> Fut,
        Fut: Future<Output = Result<Vec<Signature>, RegistryError>>,
    {
        let location = locate(reference, &self.settings.mirrors);
        let target = Reference::with_tag(location.host.clone(), location.repository.clone(), tag);
        let signatures = request(location.host.clone(), target).await;
        if location.host == reference.domain() {
            return signatures;
        }
        signatures.map_err(|error| error.through_mirror(reference.domain()))
    }

    /// The manifest at `target`, read by `parse`; none where there is no such tag.
    async fn optional_manifest<T>(
        &self,
        host: &str,
        target: &Reference,
        parse: fn(&[u8]) -> Result<T, SignatureAnswerError>,
    ) -> Result<Option<T>, RegistryError> {
        let body = match self.pull_manifest(host, target).await {
            Ok((body, _)) => body,
            Err(RegistryError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        parse(&body).map(Some).map_err(|error| match error {
            SignatureAnswerError::Json(error) => RegistryError::Protocol {
                host: host.to_string(),
                detail: format!("{}: {error}", target.whole()),
            },
            too_many => RegistryError::TooManySignatures {
                host: host.to_string(),
                source: too_many,
            },
        })
    }

    /// The signatures of the manifest at `target`, each payload fetched unless it is one of
    /// `expected` (by digest), as a digest signed by `cosign sign` with no annotations is: one
    /// round trip for the manifest alone.
    async fn classic_signatures_at(
        &self,
        host: &str,
        target: &Reference,
        expected: &[(String, Vec<u8>)],
    ) -> Result<Vec<Signature>, RegistryError> {
        let Some(manifest) = self
            .optional_manifest(host, target, SignatureManifest::parse)
            .await?
        else {
            return Ok(Vec::new());
        };
        let layers = manifest.layers.into_iter().filter_map(|mut layer| {
            let signature = layer.annotations.remove(SIGNATURE_ANNOTATION)?;
            (layer.size <= MAX_PAYLOAD_BYTES).then_some((layer, signature))
        });
        futures::future::try_join_all(layers.map(|(layer, signature)| async move {
            let payload = match expected.iter().find(|(digest, _)| *digest == *layer.digest) {
                Some((_, payload)) => payload.clone(),
                None => {
                    self.blob(
                        host,
                        target,
                        &layer.digest,
                        "a signature payload",
                        layer.size,
                    )
                    .await?
                }
            };
            Ok(Signature::SimpleSigning { payload, signature })
        }))
        .await
    }

    /// The image-signature bundles the referrers index at `target` lists (attestations, whose
    /// annotation names another predicate type, are not fetched).
    async fn bundles(
        &self,
        host: &str,
        target: &Reference,
    ) -> Result<Vec<Signature>, RegistryError> {
        let Some(index) = self
            .optional_manifest(host, target, ReferrersIndex::parse)
            .await?
        else {
            return Ok(Vec::new());
        };
        let bundles = index.manifests.into_iter().filter(|referrer| {
            referrer
                .artifact_type
                .as_deref()
                .is_some_and(|kind| BUNDLE_ARTIFACT_TYPES.contains(&kind))
                && referrer
                    .annotations
                    .get(BUNDLE_PREDICATE_ANNOTATION)
                    .is_none_or(|predicate| predicate == SIGN_PREDICATE)
        });
        let fetched = futures::future::try_join_all(bundles.map(|referrer| async move {
            let manifest = Reference::with_digest(
                target.registry().to_string(),
                target.repository().to_string(),
                referrer.digest.into(),
            );
            let layers = match self
                .optional_manifest(host, &manifest, SignatureManifest::parse)
                .await?
            {
                Some(manifest) => manifest.layers,
                None => Vec::new(),
            };
            match layers
                .into_iter()
                .find(|layer| layer.size <= MAX_PAYLOAD_BYTES)
            {
                Some(layer) => Ok::<_, RegistryError>(Some(Signature::Bundle(
                    self.blob(
                        host,
                        target,
                        &layer.digest,
                        "a signature bundle",
                        layer.size,
                    )
                    .await?,
                ))),
                None => Ok(None),
            }
        }))
        .await?;
        Ok(fetched.into_iter().flatten().collect())
    }

    /// The blob `digest` of `target`'s repository (pull_blob checks the bytes against it),
    /// `what` it is: read while it streams, and refused past `limit` bytes.
    async fn blob(
        &self,
        host: &str,
        target: &Reference,
        digest: &Digest,
        what: &str,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        self.with_client(host, |client, auth| async move {
            client
                .store_auth_if_needed(target.resolve_registry(), &auth)
                .await;
            let mut blob = BoundedBuffer::new(limit);
            match client.pull_blob(target, digest.as_str(), &mut blob).await {
                Ok(()) => Ok(Ok(blob.bytes)),
                Err(_) if blob.exceeded => Ok(Err(RegistryError::TooLarge {
                    host: host.to_string(),
                    what: what.to_string(),
                    limit,
                })),
                Err(error) => Err(error),
            }
        })
        .await?
    }
}

impl DigestSource for RegistryClient {
    async fn digest(
        &self,
        reference: &ImageReference,
        platform: Option<&Platform>,
    ) -> Result<Digest, RegistryError> {
        let location = locate(reference, &self.settings.mirrors);
        if location.host != reference.domain() || location.repository != reference.path() {
            tracing::debug!(
                "{}: resolved at {}/{} (--registry-mirror)",
                reference.name(),
                location.host,
                location.repository
            );
        }
        let tag = reference.tag_or_latest().unwrap_or("latest");
        let target = Reference::with_tag(
            location.host.clone(),
            location.repository.clone(),
            tag.to_string(),
        );
        let digest = match platform {
            None => self
                .with_client(&location.host, |client, auth| {
                    let target = &target;
                    async move { client.fetch_manifest_digest(target, &auth).await }
                })
                .await
                .and_then(|digest| parsed(&location.host, &digest)),
            Some(platform) => {
                self.platform_digest(&location.host, &target, platform)
                    .await
            }
        };
        if location.host == reference.domain() {
            return digest;
        }
        digest.map_err(|error| error.through_mirror(reference.domain()))
    }
}

/// Turns the client's error into one a user can act on.
fn classify(host: &str, timeout: Duration, error: OciDistributionError) -> RegistryError {
    let host = host.to_string();
    match error {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => RegistryError::Unauthorized { host },
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::BlobUnknown
                )
            }) {
                RegistryError::NotFound { host }
            } else if codes.iter().any(|c| matches!(c, OciErrorCode::Denied)) {
                RegistryError::Denied { host }
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized))
            {
                RegistryError::Unauthorized { host }
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Toomanyrequests))
            {
                RegistryError::Unavailable {
                    host,
                    status: 429,
                    retry_after: None,
                }
            } else {
                // The spec's code beside each message: `NAME_INVALID` says more than its text.
                let detail = envelope
                    .errors
                    .iter()
                    .map(|e| match serde_json::to_value(&e.code) {
                        Ok(serde_json::Value::String(code)) => format!("{} ({code})", e.message),
                        _ => e.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                RegistryError::Refused { host, detail }
            }
        }
        // A token service's failure names the token service, not the registry it serves.
        OciDistributionError::ServerError { code, url, .. } if !url.contains("/v2/") => {
            RegistryError::Unavailable {
                host: authority(&url).unwrap_or(host),
                status: code,
                retry_after: None,
            }
        }
        OciDistributionError::ServerError { code, .. } => match code {
            401 => RegistryError::Unauthorized { host },
            403 => RegistryError::Denied { host },
            404 => RegistryError::NotFound { host },
            408 | 429 | 500..=599 => RegistryError::Unavailable {
                host,
                status: code,
                retry_after: None,
            },
            400..=499 => RegistryError::Refused {
                host,
                detail: status_text(code),
            },
            _ => RegistryError::Protocol {
                host,
                detail: format!("HTTP status {code}"),
            },
        },
        OciDistributionError::RetryAfterError {
            code, retry_after, ..
        } => RegistryError::Unavailable {
            host,
            status: code,
            retry_after: parse_retry_after(&retry_after, SystemTime::now()),
        },
        OciDistributionError::DigestError(oci_client::errors::DigestError::MalformedHeader(
            value,
        )) => match Digest::parse(&value) {
            Err(source) => RegistryError::InvalidDigest { host, source },
            // The client's grammar is this one: not reached.
            Ok(_) => RegistryError::Protocol {
                host,
                detail: format!("a digest header refused as {value}"),
            },
        },
        OciDistributionError::DigestError(source) => RegistryError::DigestMismatch { host, source },
        OciDistributionError::ManifestTooLarge { limit, .. } => RegistryError::TooLarge {
            host,
            what: "a manifest".into(),
            limit: limit as u64,
        },
        OciDistributionError::NotAManifest { media_type, .. } => RegistryError::NotAManifest {
            host,
            what: media_type,
        },
        OciDistributionError::TokenServiceError { realm, reason } => RegistryError::TokenService {
            service: authority(&realm).unwrap_or_else(|| format!("{realm:?}")),
            host,
            reason,
        },
        OciDistributionError::PlainHttpTokenRealm { realm, .. } => {
            RegistryError::PlainHttpTokenService {
                service: authority(&realm).unwrap_or(realm),
                host,
            }
        }
        OciDistributionError::RequestError(error) => {
            let chain = error_chain(&error);
            if error.is_timeout() {
                RegistryError::Timeout {
                    host,
                    seconds: timeout.as_secs(),
                }
            } else if chain.contains("certificate") || chain.contains("UnknownIssuer") {
                RegistryError::UntrustedCertificate { host }
            } else if chain.contains("InvalidContentType") {
                // rustls read something that is not a TLS record: a plain HTTP server's answer.
                RegistryError::NotTls { host }
            } else {
                RegistryError::Unreachable {
                    host,
                    source: error,
                }
            }
        }
        other => RegistryError::Unexpected {
            host,
            source: other.into(),
        },
    }
}

/// `HTTP 400 Bad Request`. Not the body: a body outside the spec's envelope is anything, an
/// HTML page or, from a proxy that echoes what it was sent, the request's credentials.
fn status_text(code: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or_default();
    format!("HTTP {code} {reason}").trim_end().to_string()
}

/// `host[:port]` of an absolute http(s) URL, without any user information it carries.
fn authority(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// `Retry-After` as RFC 9110 gives it: delay-seconds, or an HTTP date (a date already past is
/// no wait). `None` for anything else: the client's own backoff applies.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" {cause:?}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        // RFC 9110's own example date is 784111777 seconds after the epoch.
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now - Duration::from_secs(5)
            ),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:49:37 GMT",
                now + Duration::from_secs(5)
            ),
            Some(Duration::ZERO),
            "a date already past asks for no wait"
        );
        for unusable in ["", "-1", "1.5", "soon", "120s"] {
            assert_eq!(parse_retry_after(unusable, now), None, "{unusable:?}");
        }
    }

    #[test]
    fn a_retry_says_what_the_registry_answered() {
        let host = "r:5000".to_string();
        let answered = |status, retry_after| RegistryError::Unavailable {
            host: host.clone(),
            status,
            retry_after,
        };
        assert_eq!(
            answered(429, Some(Duration::from_millis(1500))).why(),
            "r:5000 answered 429 Too Many Requests with Retry-After 1s 500ms"
        );
        assert_eq!(
            answered(503, None).why(),
            "r:5000 answered 503 Service Unavailable"
        );
    }

    #[tokio::test]
    async fn an_unreachable_registry_keeps_the_http_error_and_names_its_deepest_cause() {
        // A loopback port nothing listens on: refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let client = RegistryClient::new(RegistrySettings {
            attempts: 1,
            ..RegistrySettings::default()
        });
        let reference = ImageReference::parse(&format!("127.0.0.1:{port}/app:v1")).unwrap();
        let error = client.digest(&reference, None).await.expect_err("refused");
        assert!(
            matches!(error, RegistryError::Unreachable { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot reach 127.0.0.1:{port}: Connection refused"
            )),
            "{text}"
        );
        let cause = std::error::Error::source(&error).expect("the HTTP client's error is kept");
        assert!(cause.is::<reqwest::Error>(), "{cause:?}");
        // Named by the image's registry through a mirror, the cause stays.
        let mirrored = error.through_mirror("quay.io");
        assert!(
            mirrored.to_string().starts_with(&format!(
                "cannot reach quay.io (through the mirror 127.0.0.1:{port}): Connection refused"
            )),
            "{mirrored}"
        );
        assert!(std::error::Error::source(&mirrored).is_some());
    }

    #[test]
    fn a_digest_mismatch_and_an_unparsable_manifest_keep_their_causes() {
        let mismatch = classify(
            "r:5000",
            Duration::from_secs(1),
            OciDistributionError::DigestError(oci_client::errors::DigestError::VerificationError {
                expected: "sha256:aa".into(),
                actual: "sha256:bb".into(),
            }),
        );
        assert_eq!(
            mismatch.to_string(),
            "r:5000 sent content whose digest does not match: Invalid digest. Expected sha256:aa, got sha256:bb"
        );
        let cause = std::error::Error::source(&mismatch).expect("the digest error is kept");
        assert!(cause.is::<oci_client::errors::DigestError>(), "{cause:?}");

        let garbled = serde_json::from_slice::<serde_json::Value>(b"{").expect_err("not JSON");
        let unexpected = RegistryError::Unexpected {
            host: "r:5000".into(),
            source: garbled.into(),
        };
        assert!(
            unexpected
                .to_string()
                .starts_with("r:5000 answered with something unexpected: EOF while parsing"),
            "{unexpected}"
        );
        let cause = std::error::Error::source(&unexpected).expect("the parse error is kept");
        assert!(cause.is::<serde_json::Error>(), "{cause:?}");
    }

    #[test]
    fn a_client_error_says_the_registrys_reason() {
        let url = "http://r:5000/v2/app/manifests/v1".to_string();
        let refused = |error| classify("r:5000", Duration::from_secs(1), error).to_string();
        let envelope: oci_client::errors::OciEnvelope = serde_json::from_str(
            r#"{"errors":[{"code":"NAME_INVALID","message":"invalid repository name"},
                          {"code":"TAG_INVALID","message":"manifest tag did not match URI"}]}"#,
        )
        .unwrap();
        assert_eq!(
            refused(OciDistributionError::RegistryError {
                envelope,
                url: url.clone()
            }),
            "r:5000 refused the request: invalid repository name (NAME_INVALID); manifest tag did not match URI (TAG_INVALID)"
        );
        // A body outside the envelope is never shown, whatever it holds.
        for (code, body, line) in [
            (
                400,
                "Authorization: Bearer t0ken-echoed\n",
                "r:5000 refused the request: HTTP 400 Bad Request",
            ),
            (
                405,
                "",
                "r:5000 refused the request: HTTP 405 Method Not Allowed",
            ),
            (499, "<html>", "r:5000 refused the request: HTTP 499"),
            (
                302,
                "moved",
                "r:5000 answered with something unexpected: HTTP status 302",
            ),
        ] {
            let error = OciDistributionError::ServerError {
                code,
                url: url.clone(),
                message: body.into(),
            };
            assert_eq!(refused(error), line);
        }
    }

    #[test]
    fn a_token_service_is_named_by_its_host_alone() {
        assert_eq!(
            authority("https://auth.docker.io/token?scope=x").as_deref(),
            Some("auth.docker.io")
        );
        assert_eq!(
            authority("http://robot:secret@127.0.0.1:5000/token").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(
            authority("https://[::1]:5001/token").as_deref(),
            Some("[::1]:5001")
        );
        assert_eq!(authority("auth.docker.io/token"), None);
        assert_eq!(authority("ftp://127.0.0.1/token"), None);
    }
}
