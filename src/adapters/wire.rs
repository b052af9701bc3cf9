//! What the plugin says to the Kubernetes API server, for `-v` (see `crate::logging`): a tower
//! layer around kube's client that reports each request as the registry client reports its
//! own (the vendored oci-client's `traced` module), with the same fields, so one formatter
//! prints both. kube's own `TraceLayer` gives neither the time to the answer nor headers.
//!
//! The layer sits outside kube's stack, so it sees each request before kube adds the cluster's
//! address (added back here from the kubeconfig) and its credentials (never seen, so never
//! shown). It is only put in place when the events are wanted.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::logging::header_text;

/// The target of the events: the cluster adapter's, so they show as `cluster]`.
const TARGET: &str = "kubectl_immutable::adapters::cluster";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// kube's client for `config`, reporting each request when `-v` asks for it.
pub(crate) fn kube_client(config: kube::Config) -> Result<kube::Client, kube::Error> {
    let base: Arc<str> = config.cluster_url.to_string().trim_end_matches('/').into();
    let builder = kube::client::ClientBuilder::try_from(config)?;
    Ok(
        if tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
            builder.with_layer(&WireLayer { base }).build()
        } else {
            builder.build()
        },
    )
}

struct WireLayer {
    /// The cluster's URL, without its trailing slash.
    base: Arc<str>,
}

impl<S> Layer<S> for WireLayer {
    type Service = Wire<S>;

    fn layer(&self, inner: S) -> Wire<S> {
        Wire {
            inner,
            base: Arc::clone(&self.base),
        }
    }
}

struct Wire<S> {
    inner: S,
    base: Arc<str>,
}

impl<S, B, R> Service<Request<B>> for Wire<S>
where
    S: Service<Request<B>, Response = Response<R>, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let method = request.method().clone();
        let uri = request.uri();
        let url = if uri.scheme().is_some() {
            uri.to_string()
        } else {
            let path = uri.path_and_query().map_or("/", |path| path.as_str());
            format!("{}{path}", self.base)
        };
        tracing::trace!(target: TARGET, %method, %url, headers = %header_text(request.headers()), "request");
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let answer = answer.await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match &answer {
                Ok(response) => {
                    let status = response.status().as_u16();
                    tracing::debug!(target: TARGET, %method, %url, status, elapsed_ms, "response");
                    tracing::trace!(target: TARGET, %method, %url, headers = %header_text(response.headers()), "response headers");
                }
                Err(error) => {
                    let error = super::innermost(error.as_ref());
                    tracing::debug!(target: TARGET, %method, %url, elapsed_ms, %error, "no response");
                }
            }
            answer
        })
    }
}
