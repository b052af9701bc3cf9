//! The Kubernetes API through the kube crate: kubeconfig, discovery, get and server-side apply.
//!
//! Only what a 1.20 API server already has is used (server-side apply, `dryRun=All`, legacy
//! discovery), so the plugin works there and on current clusters alike.
//!
//! Every request this adapter sends is idempotent: GETs (discovery, get, list) and server-side
//! apply, a PATCH that sets the field manager's fields to the same values however many times
//! it arrives, for real or as a dry run. So each one goes through [`retried`]: a request whose
//! connection dropped, or went silent for longer than `--request-timeout`, is sent again
//! whether or not the server received it. A request that is not idempotent (a POST create, a
//! JSON patch, a DELETE) must not go through it.

use std::future::Future;
use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::Value;

use super::{backoff, innermost};
use crate::core::manifest::{ObjectKey, api_group};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot load the kubeconfig: {0}")]
    Kubeconfig(#[source] super::kubeconfig::KubeconfigError),
    /// No answer: `reason` says why where the cause does not (which timeout ran out), else the
    /// deepest cause of `source` does ("Connection refused"); `tries` once retries gave up.
    #[error("cannot reach the cluster: {}", unreachable_text(.reason.as_deref(), .source.as_deref(), *.tries))]
    Unreachable {
        reason: Option<String>,
        source: Option<Box<kube::Error>>,
        tries: Option<u32>,
    },
    /// The API server's own answer, e.g. a 403 or a field-manager conflict, as [`refusal`]
    /// tells it: never a credential it echoes.
    #[error("{message}")]
    Refused {
        code: u16,
        reason: String,
        message: String,
    },
    #[error("the server does not know {kind} in {api_version}")]
    UnknownKind { api_version: String, kind: String },
}

impl From<kube::Error> for ClusterError {
    fn from(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => {
                let (reason, message) = refusal(&status);
                ClusterError::Refused {
                    code: status.code,
                    reason,
                    message,
                }
            }
            other => ClusterError::unreachable(other),
        }
    }
}

/// kube's reason for an error answer whose body is no `Status`: its message is then the body.
const NOT_A_STATUS: &str = "Failed to parse error data";

/// The reason and message of the API server's refusal as they may be shown, as a registry's
/// are: a `Status`'s own, with anything shaped like a credential redacted (a server, or a proxy
/// in front of it, may echo the request's `Authorization`); of an answer that is no `Status`,
/// its code's reason alone, never its body (an HTML page, or an echo of the request).
fn refusal(status: &kube::core::Status) -> (String, String) {
    if status.reason == NOT_A_STATUS {
        let reason = http::StatusCode::from_u16(status.code)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or_default();
        let message = format!("the API server answered {} {reason}", status.code);
        return (reason.to_string(), message.trim_end().to_string());
    }
    let shown = |text: &str| crate::logging::scrub(text).into_owned();
    (shown(&status.reason), shown(&status.message))
}

/// Why the cluster was not reached, as [`ClusterError::Unreachable`] says it.
fn unreachable_text(
    reason: Option<&str>,
    source: Option<&kube::Error>,
    tries: Option<u32>,
) -> String {
    let mut text = match (reason, source) {
        (Some(reason), _) => reason.to_string(),
        (None, Some(source)) => innermost(source),
        (None, None) => String::new(),
    };
    if let Some(tries) = tries {
        text += &format!(" (gave up after {tries} tries)");
    }
    text
}

impl ClusterError {
    /// The cluster did not answer; the deepest cause of `source` says why.
    fn unreachable(source: kube::Error) -> Self {
        ClusterError::Unreachable {
            reason: None,
            source: Some(Box::new(source)),
            tries: None,
        }
    }

    /// A refusal, its message rewritten by `say`; any other error as it is.
    fn refusal_said(self, say: impl FnOnce(&str) -> String) -> Self {
        match self {
            ClusterError::Refused {
                code,
                reason,
                message,
            } => ClusterError::Refused {
                code,
                reason,
                message: say(&message),
            },
            other => other,
        }
    }

    /// This refusal, said to be of the discovery of the server's API resources: the requests
    /// are kube's, and the server's answer may not name them.
    fn in_discovery(self) -> Self {
        self.refusal_said(|message| format!("discovering the server's API resources: {message}"))
    }

    /// This error, said to be the last of [`TRIES`].
    fn tried(self) -> Self {
        match self {
            ClusterError::Unreachable { reason, source, .. } => ClusterError::Unreachable {
                reason,
                source,
                tries: Some(TRIES),
            },
            other => {
                other.refusal_said(|message| format!("{message} (gave up after {TRIES} tries)"))
            }
        }
    }
}

/// Which kubeconfig, context and namespace, and how long to wait on a silent server:
/// kubectl's flags.
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
    /// `--request-timeout`: how long connecting, sending a request, or waiting for the next
    /// bytes of its answer may take before the request is given up (and retried); `None` waits
    /// for ever.
    pub request_timeout: Option<Duration>,
}

/// How long a request waits on a silent server, as the client was built with.
#[derive(Debug, Clone, Copy)]
struct Patience {
    /// Each read and write (`--request-timeout`).
    request: Option<Duration>,
    /// TCP and TLS connecting: [`CONNECT_TIMEOUT`], or the request timeout if that is shorter.
    connect: Duration,
}

impl Patience {
    fn new(request: Option<Duration>) -> Patience {
        Patience {
            request,
            connect: request.map_or(CONNECT_TIMEOUT, |request| request.min(CONNECT_TIMEOUT)),
        }
    }

    /// What to say of a request that failed in a way another try may mend: which timeout ran
    /// out, if one did; else the deepest cause, as for any other error.
    fn unreachable(&self, error: kube::Error) -> ClusterError {
        let flag = |timeout: Duration| {
            let named = self.request == Some(timeout);
            let timeout = humantime::format_duration(timeout);
            (timeout, if named { " (--request-timeout)" } else { "" })
        };
        let reason = match (timed_out(&error), self.request) {
            (Some(Stalled::Connecting), _) => {
                let (timeout, flag) = flag(self.connect);
                format!("the server did not complete a connection within {timeout}{flag}")
            }
            (Some(Stalled::Answering), Some(request)) => {
                let (timeout, flag) = flag(request);
                format!("the server did not answer within {timeout}{flag}")
            }
            _ => return ClusterError::from(error),
        };
        ClusterError::Unreachable {
            reason: Some(reason),
            source: Some(Box::new(error)),
            tries: None,
        }
    }
}

/// A connection to one cluster, with what discovery found there.
pub struct Cluster {
    client: kube::Client,
    discovery: Discovery,
    patience: Patience,
    /// `-n`, else the context's namespace, else `default`.
    pub namespace: String,
}

/// An object's API resource, as discovery maps its apiVersion and kind.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

impl Cluster {
    pub async fn connect(settings: &ClusterSettings) -> Result<Cluster, ClusterError> {
        let kubeconfig = settings.kubeconfig.as_deref();
        let mut config = super::kubeconfig::client_config(kubeconfig, settings.context.as_deref())
            .await
            .map_err(ClusterError::Kubeconfig)?;
        let namespace = settings
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        // A server, or a proxy in front of it, may echo them bare in a refusal.
        keep_secrets(&config.auth_info).await;
        // `retried` is the one retry policy: kube's own retries 429, 503 and 504 up to 15 times
        // with a backoff growing to minutes, and never a dropped connection.
        config.default_retry = false;
        // A server that never completes a connection (TCP and TLS) costs TRIES times this,
        // not kube's 30 s each.
        let patience = Patience::new(settings.request_timeout);
        config.connect_timeout = Some(patience.connect);
        // kube sets no read timeout, so a connection that goes silent without being closed
        // would be waited on for ever. hyper-timeout counts each read and each write on its
        // own: a silence, not the whole request, so an answer still arriving is never cut.
        config.read_timeout = patience.request;
        config.write_timeout = patience.request;
        // The read timeout counts from when the request was written, not from when its pooled
        // connection went idle.
        config.reset_reader_on_write = true;
        let client = super::wire::kube_client(config).map_err(ClusterError::unreachable)?;
        let discovery = retried(patience, || Discovery::new(client.clone()).run())
            .await
            .map_err(ClusterError::in_discovery)?;
        Ok(Cluster {
            client,
            discovery,
            patience,
            namespace,
        })
    }

    /// Discovers again, after CRDs were created.
    pub async fn refresh(&mut self) -> Result<(), ClusterError> {
        self.discovery = retried(self.patience, || Discovery::new(self.client.clone()).run())
            .await
            .map_err(ClusterError::in_discovery)?;
        Ok(())
    }

    /// The API resource for an object's `apiVersion` and `kind`.
    pub fn resource(&self, object: &Value) -> Result<Resource, ClusterError> {
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let (group, version) = match api_version.rsplit_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (api, capabilities): (ApiResource, ApiCapabilities) = self
            .discovery
            .resolve_gvk(&gvk)
            .ok_or_else(|| ClusterError::UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })?;
        Ok(Resource {
            api,
            namespaced: capabilities.scope == Scope::Namespaced,
        })
    }

    /// The identity of `object` on this cluster: scope from discovery, namespace defaulted.
    pub fn key(&self, object: &Value, resource: &Resource) -> ObjectKey {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        ObjectKey {
            group: api_group(text("/apiVersion").unwrap_or_default()).to_string(),
            kind: text("/kind").unwrap_or_default().to_string(),
            namespace: if resource.namespaced {
                text("/metadata/namespace")
                    .unwrap_or(&self.namespace)
                    .to_string()
            } else {
                String::new()
            },
            name: text("/metadata/name").unwrap_or_default().to_string(),
        }
    }

    /// The API of a resource in `namespace`; every namespace where it is empty.
    fn api(&self, resource: &Resource, namespace: &str) -> Api<DynamicObject> {
        if resource.namespaced && !namespace.is_empty() {
            Api::namespaced_with(self.client.clone(), namespace, &resource.api)
        } else {
            Api::all_with(self.client.clone(), &resource.api)
        }
    }

    /// The live object, or `None` where there is none.
    pub async fn get(
        &self,
        resource: &Resource,
        key: &ObjectKey,
    ) -> Result<Option<Value>, ClusterError> {
        let api = self.api(resource, &key.namespace);
        let found = retried(self.patience, || api.get_opt(&key.name)).await?;
        Ok(found.map(|object| serde_json::to_value(object).expect("an object serialises")))
    }

    /// Every object of a resource in a namespace (every namespace where it is empty, and for
    /// cluster-scoped kinds), narrowed by a label selector.
    pub async fn list(
        &self,
        resource: &Resource,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let mut params = kube::api::ListParams::default();
        if let Some(selector) = selector {
            params = params.labels(selector);
        }
        let api = self.api(resource, namespace);
        let list = retried(self.patience, || api.list(&params)).await?;
        Ok(list
            .items
            .into_iter()
            .map(|object| serde_json::to_value(object).expect("an object serialises"))
            .collect())
    }

    /// Server-side apply of `object` as `field_manager`; with `dry_run`, what the server would
    /// store, nothing persisted.
    pub async fn apply(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        field_manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let mut params = PatchParams::apply(field_manager);
        params.force = force;
        params.dry_run = dry_run;
        let mut object = object.clone();
        if resource.namespaced {
            object["metadata"]["namespace"] = Value::String(key.namespace.clone());
        }
        let api = self.api(resource, &key.namespace);
        let patch = Patch::Apply(&object);
        let applied = retried(self.patience, || api.patch(&key.name, &params, &patch)).await?;
        Ok(serde_json::to_value(applied).expect("an object serialises"))
    }
}

/// The largest token file of a kubeconfig read to keep its token out of output: a service
/// account token is a JWT of a kilobyte or two.
const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;

/// Has [`crate::logging::scrub`] redact the credentials of the kubeconfig's user wherever they
/// appear: its token (inline or in its token file) and password.
async fn keep_secrets(user: &kube::config::AuthInfo) {
    use secrecy::ExposeSecret as _;
    use tokio::io::AsyncReadExt as _;
    for secret in [&user.token, &user.password].into_iter().flatten() {
        crate::logging::keep_secret(secret.expose_secret());
    }
    let Some(path) = &user.token_file else {
        return;
    };
    let mut token = String::new();
    if let Ok(file) = tokio::fs::File::open(path).await {
        let _ = file
            .take(MAX_TOKEN_FILE_BYTES)
            .read_to_string(&mut token)
            .await;
        crate::logging::keep_secret(token.trim());
    }
}

/// Tries of one request, the first included.
const TRIES: u32 = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends an idempotent request (see the module's comment) up to [`TRIES`] times while it fails
/// in a way another try may mend: its connection failed (refused, reset, closed before the
/// answer was complete, not established within the connect timeout), went silent for longer
/// than `--request-timeout` (the server never answered; a silent connection, not an answer),
/// or the API server answered 429, 503 or 504, its ways of saying "not now". Any other answer
/// is the server's decision and is returned at once.
async fn retried<T, F, Fut>(patience: Patience, send: F) -> Result<T, ClusterError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match send().await {
            Ok(value) => return Ok(value),
            Err(error) if is_transient(&error) && tries < TRIES => {
                let wait = backoff(tries);
                tracing::warn!(
                    "retrying in {} (try {} of {TRIES}): {}",
                    super::wait_text(wait),
                    tries + 1,
                    why(patience, &error)
                );
                tokio::time::sleep(wait).await
            }
            Err(error) if is_transient(&error) => {
                tracing::warn!("giving up after {TRIES} tries: {}", why(patience, &error));
                return Err(patience.unreachable(error).tried());
            }
            Err(error) => {
                if matches!(error, kube::Error::Api(_)) {
                    // The server's decision (a 409 conflict, a 403, a 422), not sent again.
                    tracing::info!("{}", why(patience, &error));
                }
                return Err(error.into());
            }
        }
    }
}

/// Why a request failed, for `-v`: the API server's answer (code, reason, message, and the
/// wait it asks for), which timeout ran out, or the deepest cause.
fn why(patience: Patience, error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let (reason, message) = refusal(status);
            let mut text = format!("the server answered {} {reason}", status.code);
            if status.reason != NOT_A_STATUS && !message.is_empty() {
                text += &format!(": {message}");
            }
            if let Some(seconds) = status
                .details
                .as_ref()
                .map(|details| details.retry_after_seconds)
                .filter(|seconds| *seconds > 0)
            {
                text += &format!(" (it asks to retry after {seconds}s)");
            }
            text
        }
        other => match (timed_out(other), patience.request) {
            (Some(Stalled::Connecting), _) => format!(
                "no connection within {}",
                humantime::format_duration(patience.connect)
            ),
            (Some(Stalled::Answering), Some(request)) => format!(
                "no answer within {} (--request-timeout)",
                humantime::format_duration(request)
            ),
            _ => innermost(other),
        },
    }
}

fn is_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => matches!(status.code, 429 | 503 | 504),
        // The HTTP and TLS stacks below kube: connecting, writing the request, reading the
        // answer, and their timeouts. Only a TLS failure (an untrusted certificate, a peer that
        // does not speak TLS) would fail the same way again.
        kube::Error::HyperError(_) | kube::Error::Service(_) => !is_tls_failure(error),
        _ => false,
    }
}

/// Where a request stalled until one of the client's own timeouts ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stalled {
    /// TCP or TLS connecting took longer than the connect timeout.
    Connecting,
    /// Writing the request, or reading its answer, stalled longer than the read or write
    /// timeout.
    Answering,
}

/// Which of the client's timeouts `error` is, if any. hyper-timeout reports a connect timeout
/// as an I/O error of kind `TimedOut` around tokio's `Elapsed`, and a read or write timeout as a
/// bare `TimedOut`; an error of the operating system's own (a TCP retransmission timeout) has
/// an OS error code and is neither.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> Option<Stalled> {
    std::iter::successors(Some(error), |e| e.source()).find_map(|cause| {
        let io = cause.downcast_ref::<std::io::Error>()?;
        match (io.kind(), io.get_ref(), io.raw_os_error()) {
            (std::io::ErrorKind::TimedOut, None, None) => Some(Stalled::Answering),
            (std::io::ErrorKind::TimedOut, Some(inner), _)
                if inner.is::<tokio::time::error::Elapsed>() =>
            {
                Some(Stalled::Connecting)
            }
            (_, Some(inner), _) => timed_out(inner),
            _ => None,
        }
    })
}

/// tokio-rustls reports a TLS failure as an I/O error of kind `InvalidData`; hyper-rustls wraps
/// that in another I/O error, whose `source` skips it, so `get_ref` is followed too.
fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::InvalidData
                || io.get_ref().is_some_and(|inner| is_tls_failure(inner))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error as IoError, ErrorKind};

    #[test]
    fn only_dropped_connections_and_not_now_answers_are_tried_again() {
        let answer = |code| {
            kube::Error::Api(
                kube::core::Status::failure("m", "r")
                    .with_code(code)
                    .boxed(),
            )
        };
        for code in [429, 503, 504] {
            assert!(is_transient(&answer(code)), "{code}");
        }
        for code in [400, 401, 403, 404, 409, 422, 500] {
            assert!(!is_transient(&answer(code)), "{code}");
        }
        let stack = |error: IoError| kube::Error::Service(Box::new(error));
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::UnexpectedEof,
            ErrorKind::TimedOut,
        ] {
            assert!(is_transient(&stack(IoError::from(kind))), "{kind:?}");
        }
        // A refused certificate as hyper-rustls wraps tokio-rustls's error.
        let certificate = IoError::new(ErrorKind::InvalidData, "invalid peer certificate");
        assert!(!is_transient(&stack(IoError::other(certificate))));
    }

    /// What hyper-timeout returns when connecting takes too long: `TimedOut` around `Elapsed`.
    fn connect_timeout() -> IoError {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let elapsed = runtime
            .block_on(async {
                tokio::time::timeout(Duration::ZERO, std::future::pending::<()>()).await
            })
            .unwrap_err();
        IoError::new(ErrorKind::TimedOut, elapsed)
    }

    #[test]
    fn the_clients_own_timeouts_are_told_apart_from_the_systems() {
        let stack = |error: IoError| kube::Error::Service(Box::new(error));
        let read = IoError::from(ErrorKind::TimedOut);
        assert_eq!(timed_out(&stack(read)), Some(Stalled::Answering));
        assert_eq!(
            timed_out(&stack(connect_timeout())),
            Some(Stalled::Connecting)
        );
        // Wrapped once more, as hyper-rustls wraps its I/O errors.
        let wrapped = IoError::other(IoError::from(ErrorKind::TimedOut));
        assert_eq!(timed_out(&stack(wrapped)), Some(Stalled::Answering));
        // ETIMEDOUT from the kernel (TCP retransmissions gave up) is no timeout of ours.
        let kernel = IoError::from_raw_os_error(110);
        assert_eq!(kernel.kind(), ErrorKind::TimedOut);
        assert_eq!(timed_out(&stack(kernel)), None);
        assert_eq!(timed_out(&stack(ErrorKind::ConnectionReset.into())), None);
        // A timed-out request is tried again: the server never answered.
        assert!(is_transient(&stack(IoError::from(ErrorKind::TimedOut))));
        assert!(is_transient(&stack(connect_timeout())));
    }

    #[test]
    fn a_request_that_timed_out_says_which_timeout_ran_out() {
        let stack = |error: IoError| kube::Error::Service(Box::new(error));
        let said = |request: Option<u64>, error: IoError| {
            Patience::new(request.map(Duration::from_secs))
                .unreachable(stack(error))
                .tried()
                .to_string()
        };
        assert_eq!(
            said(Some(2), ErrorKind::TimedOut.into()),
            "cannot reach the cluster: the server did not answer within 2s (--request-timeout) (gave up after 4 tries)"
        );
        assert_eq!(
            said(Some(2), connect_timeout()),
            "cannot reach the cluster: the server did not complete a connection within 2s (--request-timeout) (gave up after 4 tries)"
        );
        // Connecting never waits longer than 10 s, whatever the request timeout.
        assert_eq!(
            said(Some(60), connect_timeout()),
            "cannot reach the cluster: the server did not complete a connection within 10s (gave up after 4 tries)"
        );
        assert_eq!(
            said(None, connect_timeout()),
            "cannot reach the cluster: the server did not complete a connection within 10s (gave up after 4 tries)"
        );
        // Any other fault keeps its own words.
        assert_eq!(
            said(
                Some(2),
                IoError::new(ErrorKind::ConnectionReset, "connection reset")
            ),
            "cannot reach the cluster: connection reset (gave up after 4 tries)"
        );
    }

    #[test]
    fn a_retry_or_a_refusal_says_why() {
        let patience = Patience::new(Some(Duration::from_secs(2)));
        let mut status =
            kube::core::Status::failure("etcd is busy", "TooManyRequests").with_code(429);
        status.details =
            Some(serde_json::from_value(serde_json::json!({ "retryAfterSeconds": 3 })).unwrap());
        assert_eq!(
            why(patience, &kube::Error::Api(status.boxed())),
            "the server answered 429 TooManyRequests: etcd is busy (it asks to retry after 3s)"
        );
        let conflict =
            kube::core::Status::failure("Apply failed with 1 conflict", "Conflict").with_code(409);
        assert_eq!(
            why(patience, &kube::Error::Api(conflict.boxed())),
            "the server answered 409 Conflict: Apply failed with 1 conflict"
        );
        let stack = |error: IoError| kube::Error::Service(Box::new(error));
        assert_eq!(
            why(patience, &stack(ErrorKind::TimedOut.into())),
            "no answer within 2s (--request-timeout)"
        );
        assert_eq!(
            why(patience, &stack(connect_timeout())),
            "no connection within 2s"
        );
        assert_eq!(
            why(
                patience,
                &stack(IoError::new(ErrorKind::ConnectionReset, "connection reset"))
            ),
            "connection reset"
        );
    }

    #[test]
    fn a_refusal_shows_no_body_that_is_no_status_and_no_credential_a_status_echoes() {
        // The error's message, and what -v says of it.
        let said = |status: kube::core::Status| {
            let logged = why(
                Patience::new(None),
                &kube::Error::Api(status.clone().boxed()),
            );
            let error = ClusterError::from(kube::Error::Api(status.boxed()));
            (error.to_string(), logged)
        };
        let echoed = kube::core::Status::failure("Authorization: Bearer abc.def", NOT_A_STATUS)
            .with_code(403);
        assert_eq!(
            said(echoed),
            (
                "the API server answered 403 Forbidden".into(),
                "the server answered 403 Forbidden".into()
            )
        );
        let status =
            kube::core::Status::failure("refused Bearer abc.def", "Unauthorized").with_code(401);
        assert_eq!(said(status).0, "refused Bearer <redacted>");
        // A server's own refusal is as it said it.
        let forbidden = r#"secrets "db" is forbidden: User "nobody" cannot get resource "secrets""#;
        let status = kube::core::Status::failure(forbidden, "Forbidden").with_code(403);
        assert_eq!(
            said(status),
            (
                forbidden.to_string(),
                format!("the server answered 403 Forbidden: {forbidden}")
            )
        );
    }

    #[test]
    fn backoff_grows_with_jitter_to_at_most_2_6_s_in_all() {
        let waits: Vec<Duration> = (1..TRIES).map(backoff).collect();
        for (wait, base) in waits.iter().zip([250, 500, 1000]) {
            let base = Duration::from_millis(base);
            assert!(*wait >= base && *wait <= base * 3 / 2, "{wait:?}");
        }
        assert!(waits.iter().sum::<Duration>() <= Duration::from_millis(2625));
    }
}
