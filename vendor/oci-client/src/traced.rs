//! Every HTTP request the client sends, and its answer, reported to `tracing` under the target
//! [`TARGET`], so that a program can show what is said on the wire (as `kubectl -v=6` does):
//!
//! - DEBUG `"response"`: `method`, `url`, `status` (u16), `elapsed_ms` (u64, until the answer's
//!   headers), and `redirected_to` when reqwest followed a redirect;
//! - DEBUG `"no response"`: `method`, `url`, `elapsed_ms` and `error` (its innermost cause);
//! - TRACE `"request"` and `"response headers"`: `method`, `url` and `headers`, one
//!   `name: value` a line, where the value of `Cookie`, `Set-Cookie` and any value marked
//!   sensitive is `<redacted>`, and so are the credentials of `Authorization` and
//!   `Proxy-Authorization` (`Basic <redacted>`, `Bearer <redacted>`).
//!
//! Bodies are never reported: a token service's answer is the token. Nor are the headers of a
//! token service's answer ([`TracedSend::send_traced_secret`]): whatever their names, they may
//! carry the token or echo the credentials.

use std::fmt;
use std::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response};

/// The `tracing` target of the events.
pub const TARGET: &str = "oci_client::http";

pub(crate) trait TracedSend {
    /// [`RequestBuilder::send`], reported as the module says; as cheap as `send` when no
    /// subscriber wants the events.
    async fn send_traced(self) -> reqwest::Result<Response>;

    /// [`Self::send_traced`] for a request whose answer is a secret (a token service's): its
    /// headers are never reported, only its status and time.
    async fn send_traced_secret(self) -> reqwest::Result<Response>;
}

impl TracedSend for RequestBuilder {
    async fn send_traced(self) -> reqwest::Result<Response> {
        traced(self, true).await
    }

    async fn send_traced_secret(self) -> reqwest::Result<Response> {
        traced(self, false).await
    }
}

/// Sends `request`, reported as the module says; the answer's headers only where
/// `answer_headers`.
async fn traced(request: RequestBuilder, answer_headers: bool) -> reqwest::Result<Response> {
    if !tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
        return request.send().await;
    }
    let (client, request) = request.build_split();
    let request = request?;
    let method = request.method().clone();
    let url = request.url().clone();
    tracing::trace!(target: TARGET, %method, %url, headers = %Headers(request.headers()), "request");
    let started = Instant::now();
    let answer = client.execute(request).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &answer {
        Ok(response) => {
            let status = response.status().as_u16();
            if response.url() == &url {
                tracing::debug!(target: TARGET, %method, %url, status, elapsed_ms, "response");
            } else {
                let redirected_to = response.url();
                tracing::debug!(target: TARGET, %method, %url, status, elapsed_ms, %redirected_to, "response");
            }
            if answer_headers {
                tracing::trace!(target: TARGET, %method, %url, headers = %Headers(response.headers()), "response headers");
            }
        }
        Err(error) => {
            let mut cause: &dyn std::error::Error = error;
            while let Some(source) = cause.source() {
                cause = source;
            }
            tracing::debug!(target: TARGET, %method, %url, elapsed_ms, error = %cause, "no response");
        }
    }
    answer
}

/// Headers one `name: value` a line, credentials and cookies left out.
struct Headers<'a>(&'a HeaderMap);

impl fmt::Display for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let credentials = matches!(name.as_str(), "authorization" | "proxy-authorization");
            let secret = credentials
                || value.is_sensitive()
                || matches!(name.as_str(), "cookie" | "set-cookie");
            match value.to_str() {
                // The scheme stays: it says how the request authenticated.
                Ok(text) if credentials && text.contains(' ') => {
                    let scheme = text.split(' ').next().unwrap_or_default();
                    write!(f, "{name}: {scheme} <redacted>")?
                }
                _ if secret => write!(f, "{name}: <redacted>")?,
                Ok(text) => write!(f, "{name}: {text}")?,
                Err(_) => write!(f, "{name}: <{} bytes>", value.len())?,
            }
        }
        Ok(())
    }
}
