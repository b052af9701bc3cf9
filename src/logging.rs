//! `-v` and `RUST_LOG`: what the plugin says and hears on the wire, on stderr, one line an
//! event in klog's format (`I1202 06:12:01.123456 registry] GET https://… 200 OK in 12
//! milliseconds`), as kubectl prints it at the same levels:
//!
//! - 1 to 5: the plugin's decisions (retries and why, Retry-After honoured, insecure-registry
//!   probes, credentials found or not, the API server's refusals);
//! - 6: also every registry and API request with its status and time, or why it got none, and
//!   the mirror each name is resolved at;
//! - 7: also each request's headers; 8: also each answer's headers;
//! - 9: also the debug events of the libraries underneath (oci-client, kube), but for those of
//!   kube that quote an answer's body (see [`KUBE_BODIES`]).
//!
//! Credentials never show: header values of `Authorization`, cookies and the like, the secret
//! query parameters of URLs, user information in URLs, and, as a last guard on every line
//! written, anything shaped like a Basic or Bearer credential or a `token`/`password` field.
//!
//! Nothing here runs at the default verbosity: no subscriber is installed, and the events the
//! code emits cost one relaxed atomic load each.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// Where the registry client reports its requests (the vendored oci-client's patch 5).
const REGISTRY_HTTP: &str = oci_client::traced::TARGET;
const PLUGIN: &str = env!("CARGO_CRATE_NAME");
/// Where kube reports the bodies of the API server's answers, refusals included, whole: a
/// server, or a proxy in front of it, may echo the request's credentials there. Never shown,
/// whatever `-v` or `RUST_LOG` asks, unless `RUST_LOG` names this target itself; the plugin says
/// each refusal itself, redacted (`adapters::cluster`).
const KUBE_BODIES: &str = "kube_client::client";
/// kube's requests and closed streams, reported under [`KUBE_BODIES`]' module but quoting none.
const KUBE_REQUESTS: &str = "kube_client::client::builder";

/// Installs the logger `-v LEVEL` and `RUST_LOG` ask for, if they ask for anything. `-q` wins.
pub fn init(verbosity: u8, quiet: bool) {
    if quiet {
        return;
    }
    let rust_log = std::env::var("RUST_LOG").unwrap_or_default();
    if verbosity == 0 && rust_log.trim().is_empty() {
        return;
    }
    let mut filter = targets(verbosity);
    // Directives of RUST_LOG override -v's for the targets they name; then every event the
    // filter lets through is shown, headers included.
    let mut shown = verbosity;
    if !rust_log.trim().is_empty() {
        match Targets::from_str(&rust_log) {
            Ok(extra) => {
                if let Some(default) = extra.default_level() {
                    filter = filter.with_default(default);
                }
                filter = filter.with_targets(extra);
                shown = u8::MAX;
            }
            Err(error) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: RUST_LOG ignored: {error} (expected target=level,…)"
                );
            }
        }
    }
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(Klog { verbosity: shown });
    // Err only if a subscriber is installed already (a second `run` in one process).
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// What each `-v` level lets through.
fn targets(verbosity: u8) -> Targets {
    let mut targets = Targets::new()
        .with_target(PLUGIN, Level::INFO)
        .with_target(KUBE_BODIES, LevelFilter::OFF);
    if verbosity >= 6 {
        targets = targets
            .with_target(PLUGIN, Level::DEBUG)
            .with_target(REGISTRY_HTTP, Level::DEBUG);
    }
    if verbosity >= 7 {
        targets = targets
            .with_target(PLUGIN, Level::TRACE)
            .with_target(REGISTRY_HTTP, Level::TRACE);
    }
    if verbosity >= 9 {
        targets = targets
            .with_target("oci_client", Level::DEBUG)
            .with_target("kube_client", Level::DEBUG)
            .with_target(KUBE_REQUESTS, Level::DEBUG)
            .with_target(REGISTRY_HTTP, Level::TRACE);
    }
    targets
}

/// The formatter: klog's line header, then the event.
struct Klog {
    verbosity: u8,
}

impl<S: Subscriber> Layer<S> for Klog {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(lines) = render(&fields, self.verbosity) else {
            return;
        };
        let header = line_header(*metadata.level(), SystemTime::now(), metadata.target());
        let mut text = String::new();
        for line in lines.lines() {
            let _ = writeln!(text, "{header}{}", scrub(line));
        }
        // One write an event, so that concurrent requests' lines never interleave.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// `I1202 06:12:01.123456 registry] `: klog's severity letter, date and time (UTC here), and
/// where the event comes from in place of its file and line.
fn line_header(level: Level, now: SystemTime, target: &str) -> String {
    let severity = match level {
        Level::ERROR => 'E',
        Level::WARN => 'W',
        _ => 'I',
    };
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (_, month, day) = civil_date(seconds / 86_400);
    let time = seconds % 86_400;
    format!(
        "{severity}{month:02}{day:02} {:02}:{:02}:{:02}.{:06} {}] ",
        time / 3600,
        time / 60 % 60,
        time % 60,
        since_epoch.subsec_micros(),
        source(target)
    )
}

/// The part of the program an event comes from: `registry`, `cluster`, or the module.
fn source(target: &str) -> &str {
    if target.starts_with("oci_client") {
        return "registry";
    }
    if target.starts_with("kube_client") || target.starts_with("kube::") || target == "kube" {
        return "cluster";
    }
    match target.strip_prefix(PLUGIN) {
        Some(module) => module
            .rsplit("::")
            .next()
            .filter(|m| !m.is_empty())
            .unwrap_or(PLUGIN),
        None => target.split("::").next().unwrap_or(target),
    }
}

/// Year, month and day of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// An event's fields: those of the HTTP events by name, the others in order.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    method: Option<String>,
    url: Option<String>,
    status: Option<u16>,
    elapsed_ms: Option<u64>,
    redirected_to: Option<String>,
    error: Option<String>,
    headers: Option<String>,
    other: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = u16::try_from(value).ok(),
            "elapsed_ms" => self.elapsed_ms = Some(value),
            name => self.other.push((name, value.to_string())),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        match u64::try_from(value) {
            Ok(value) => self.record_u64(field, value),
            Err(_) => self.other.push((field.name(), value.to_string())),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record_text(&mut self, field: &Field, value: String) {
        let slot = match field.name() {
            "message" => {
                self.message = value;
                return;
            }
            "method" => &mut self.method,
            "url" => &mut self.url,
            "redirected_to" => &mut self.redirected_to,
            "error" => &mut self.error,
            "headers" => &mut self.headers,
            name => {
                self.other.push((name, value));
                return;
            }
        };
        *slot = Some(value);
    }
}

/// The text of an event, one line or more; `None` for what this verbosity leaves out.
fn render(fields: &Fields, verbosity: u8) -> Option<String> {
    let request = fields
        .method
        .as_deref()
        .zip(fields.url.as_deref())
        .map(|(method, url)| format!("{method} {}", redact_url(url)));
    let milliseconds = |ms: u64| format!("{ms} millisecond{}", if ms == 1 { "" } else { "s" });
    let text = match (fields.message.as_str(), request) {
        ("response", Some(request)) if fields.status.is_some() => {
            let status = fields.status.unwrap_or_default();
            let reason = http::StatusCode::from_u16(status)
                .ok()
                .and_then(|status| status.canonical_reason())
                .unwrap_or("");
            let mut text = format!(
                "{request} {status} {reason} in {}",
                milliseconds(fields.elapsed_ms.unwrap_or_default())
            );
            if let Some(target) = &fields.redirected_to {
                let _ = write!(text, " (redirected to {})", redact_url(target));
            }
            text
        }
        ("no response", Some(request)) => format!(
            "{request} failed after {}: {}",
            milliseconds(fields.elapsed_ms.unwrap_or_default()),
            fields.error.as_deref().unwrap_or("no answer")
        ),
        ("request", Some(request)) if verbosity >= 7 => {
            format!("{request} Request Headers:{}", header_lines(fields))
        }
        ("response headers", Some(request)) if verbosity >= 8 => {
            format!("{request} Response Headers:{}", header_lines(fields))
        }
        ("request" | "response headers", Some(_)) => return None,
        (message, _) => {
            let mut text = message.to_string();
            let named = [
                ("method", &fields.method),
                ("url", &fields.url),
                ("error", &fields.error),
            ];
            for (name, value) in named {
                if let Some(value) = value {
                    let _ = write!(text, " {name}={value}");
                }
            }
            for (name, value) in &fields.other {
                let _ = write!(text, " {name}={value}");
            }
            text
        }
    };
    Some(text)
}

/// `\n    Name: value` for each header of the event, redacted.
fn header_lines(fields: &Fields) -> String {
    let headers = fields.headers.as_deref().unwrap_or_default();
    if headers.is_empty() {
        // reqwest adds its defaults (User-Agent, Accept) after the request is reported.
        return " none but the HTTP client's defaults".into();
    }
    let mut text = String::new();
    for line in headers.lines() {
        let (name, value) = line.split_once(": ").unwrap_or((line, ""));
        let _ = write!(
            text,
            "\n    {}: {}",
            title_case(name),
            redact_header(name, value)
        );
    }
    text
}

/// `content-type` as `Content-Type`, as kubectl shows header names.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

const REDACTED: &str = "<redacted>";

/// An HTTP message's headers as the HTTP events carry them: `name: value` a line, values
/// marked sensitive already left out (the formatter redacts the rest by name).
pub(crate) fn header_text(headers: &http::HeaderMap) -> String {
    let mut text = String::new();
    for (name, value) in headers {
        if !text.is_empty() {
            text.push('\n');
        }
        match value.to_str() {
            _ if value.is_sensitive() => {
                let _ = write!(text, "{name}: {REDACTED}");
            }
            Ok(value) => {
                let _ = write!(text, "{name}: {value}");
            }
            Err(_) => {
                let _ = write!(text, "{name}: <{} bytes>", value.len());
            }
        }
    }
    text
}

/// Whether a header, query parameter or field of this name carries a secret.
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "auth",
        "token",
        "secret",
        "password",
        "passwd",
        "cookie",
        "credential",
        "signature",
        "key",
    ]
    .iter()
    .any(|word| name.contains(word))
        || name == "sig"
}

/// A header's value as it may be shown: the scheme of `Authorization` and the challenge of
/// `WWW-Authenticate` stay (they say how a request authenticated), credentials, cookies and
/// tokens do not.
pub(crate) fn redact_header<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "www-authenticate" | "proxy-authenticate" => redact_challenge(value),
        "authorization" | "proxy-authorization" => match value.split_once(' ') {
            Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} {REDACTED}").into(),
            _ => REDACTED.into(),
        },
        _ if is_secret_name(&lower) => REDACTED.into(),
        _ => Cow::Borrowed(value),
    }
}

/// A challenge with the value of any parameter that names a token or secret redacted, e.g.
/// `Bearer realm="…",service="…",scope="…"` as it is, `Bearer token="x"` without `x`.
fn redact_challenge(value: &str) -> Cow<'_, str> {
    if !value
        .split([',', ' '])
        .filter_map(|part| part.split_once('='))
        .any(|(name, _)| is_secret_name(name.trim()))
    {
        return Cow::Borrowed(value);
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(equals) = rest.find('=') {
        let name_start = rest[..equals]
            .rfind([',', ' '])
            .map_or(0, |separator| separator + 1);
        let name = rest[name_start..equals].trim();
        out.push_str(&rest[..=equals]);
        rest = &rest[equals + 1..];
        let end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |close| close + 2)
        } else {
            rest.find([',', ' ']).unwrap_or(rest.len())
        };
        if is_secret_name(name) {
            out.push_str(if rest.starts_with('"') {
                "\"<redacted>\""
            } else {
                REDACTED
            });
        } else {
            out.push_str(&rest[..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A URL as it may be shown: without user information, and with the values of its secret
/// query parameters (`token`, `access_token`, signatures of signed URLs…) redacted.
pub(crate) fn redact_url(url: &str) -> Cow<'_, str> {
    let (head, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let (location, query) = match head.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (head, None),
    };
    let authority_start = location.find("://").map_or(0, |scheme| scheme + 3);
    let authority_end = location[authority_start..]
        .find('/')
        .map_or(location.len(), |slash| authority_start + slash);
    let userinfo = location[authority_start..authority_end].rfind('@');
    let secret_query = query.is_some_and(|query| {
        query
            .split('&')
            .any(|pair| is_secret_name(pair.split('=').next().unwrap_or_default()))
    });
    if userinfo.is_none() && !secret_query {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len());
    match userinfo {
        Some(at) => {
            out.push_str(&location[..authority_start]);
            out.push_str(REDACTED);
            out.push_str(&location[authority_start + at..]);
        }
        None => out.push_str(location),
    }
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, _)) if is_secret_name(name) => {
                    let _ = write!(out, "{name}={REDACTED}");
                }
                _ => out.push_str(pair),
            }
        }
    }
    if let Some(fragment) = fragment {
        let _ = write!(out, "#{fragment}");
    }
    Cow::Owned(out)
}

/// The credentials this run holds (see [`keep_secret`]).
static KEPT_SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Makes [`scrub`] redact `secret` wherever it appears, whatever its shape around it: for the
/// credentials this run holds (a registry's password, the kubeconfig's token), which a server
/// may echo bare. One shorter than 4 characters is not kept: it would redact words.
pub(crate) fn keep_secret(secret: &str) {
    if secret.chars().count() < 4 {
        return;
    }
    let mut kept = KEPT_SECRETS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !kept.iter().any(|known| known == secret) {
        kept.push(secret.to_string());
    }
}

/// The last guard, on every line written: the credentials this run holds ([`keep_secret`]), a
/// `Basic` or `Bearer` credential, and the value of a `token`, `access_token`, `password`,
/// `secret` or `auth` field (JSON `"token":"…"` or `token=…`), whatever printed it, are
/// replaced by `<redacted>`.
pub(crate) fn scrub(line: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(line);
    for secret in KEPT_SECRETS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
    {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    for scheme in ["basic ", "bearer "] {
        out = redact_after_schemes(out, scheme);
    }
    for key in [
        "access_token",
        "refresh_token",
        "id_token",
        "identitytoken",
        "registrytoken",
        "token",
        "password",
        "secret",
        "auth",
    ] {
        out = redact_field(out, key);
    }
    out
}

fn is_token68(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

/// `Basic dXNlcjpw…` as `Basic <redacted>`; `Bearer realm="…"` (a challenge) is left alone.
fn redact_after_schemes<'a>(line: Cow<'a, str>, scheme: &str) -> Cow<'a, str> {
    let lower = line.to_ascii_lowercase();
    let mut cuts = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find(scheme) {
        let start = from + found;
        let value_start = start + scheme.len();
        from = value_start;
        let boundary = start == 0 || !line[..start].ends_with(|c: char| c.is_ascii_alphanumeric());
        let value_len = line[value_start..]
            .find(|c: char| !is_token68(c))
            .unwrap_or(line.len() - value_start);
        let value = &line[value_start..value_start + value_len];
        let parameter = value.ends_with('=') && line[value_start + value_len..].starts_with('"');
        if boundary && !value.is_empty() && !parameter {
            cuts.push((value_start, value_start + value_len));
        }
    }
    replace_ranges(line, &cuts)
}

/// The value after `key` when it is a field: `"key": "value"`, `key=value`, `key: value`.
fn redact_field<'a>(line: Cow<'a, str>, key: &str) -> Cow<'a, str> {
    let lower = line.to_ascii_lowercase();
    let bytes = line.as_bytes();
    let mut cuts = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find(key) {
        let start = from + found;
        let mut at = start + key.len();
        from = at;
        let word_before =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let word_after =
            at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_');
        if word_before || word_after {
            continue;
        }
        let quoted_key = at < bytes.len() && bytes[at] == b'"';
        if quoted_key {
            at += 1;
        }
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        if at >= bytes.len() || !(bytes[at] == b':' || bytes[at] == b'=') {
            continue;
        }
        at += 1;
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        let (value_start, value_end) = if at < bytes.len() && bytes[at] == b'"' {
            let mut end = at + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            (at + 1, end.min(bytes.len()))
        } else {
            let end = line[at..]
                .find(|c: char| c.is_whitespace() || "&,;\"'}".contains(c))
                .map_or(line.len(), |end| at + end);
            (at, end)
        };
        let value = &line[value_start..value_end];
        if !value.is_empty() && value != REDACTED && !value.starts_with(REDACTED) {
            cuts.push((value_start, value_end));
        }
        from = value_end.max(from);
    }
    replace_ranges(line, &cuts)
}

fn replace_ranges<'a>(line: Cow<'a, str>, cuts: &[(usize, usize)]) -> Cow<'a, str> {
    if cuts.is_empty() {
        return line;
    }
    let mut out = String::with_capacity(line.len());
    let mut kept = 0;
    for &(start, end) in cuts {
        out.push_str(&line[kept..start]);
        out.push_str(REDACTED);
        kept = end;
    }
    out.push_str(&line[kept..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_line_header_is_klogs() {
        // 2024-12-02 06:12:01.123456 UTC
        let at = UNIX_EPOCH + Duration::from_micros(1_733_119_921_123_456);
        assert_eq!(
            line_header(Level::INFO, at, REGISTRY_HTTP),
            "I1202 06:12:01.123456 registry] "
        );
        assert_eq!(
            line_header(
                Level::WARN,
                UNIX_EPOCH,
                "kubectl_immutable::adapters::cluster"
            ),
            "W0101 00:00:00.000000 cluster] "
        );
        assert_eq!(civil_date(19_783), (2024, 3, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(source("kube_client::client::builder"), "cluster");
        assert_eq!(source("hyper_util::client::legacy"), "hyper_util");
    }

    fn fields(message: &str) -> Fields {
        Fields {
            message: message.into(),
            method: Some("GET".into()),
            url: Some("https://127.0.0.1:5000/v2/app/manifests/v1".into()),
            ..Fields::default()
        }
    }

    #[test]
    fn a_request_is_one_line_as_kubectl_prints_it() {
        let answered = Fields {
            status: Some(200),
            elapsed_ms: Some(12),
            ..fields("response")
        };
        assert_eq!(
            render(&answered, 6).unwrap(),
            "GET https://127.0.0.1:5000/v2/app/manifests/v1 200 OK in 12 milliseconds"
        );
        let failed = Fields {
            elapsed_ms: Some(1),
            error: Some("connection reset by peer".into()),
            ..fields("no response")
        };
        assert_eq!(
            render(&failed, 6).unwrap(),
            "GET https://127.0.0.1:5000/v2/app/manifests/v1 failed after 1 millisecond: connection reset by peer"
        );
    }

    #[test]
    fn headers_show_from_7_and_8_redacted() {
        let request = Fields {
            headers: Some("accept: */*\nauthorization: Bearer abc.def\ncookie: s=1".into()),
            ..fields("request")
        };
        assert_eq!(render(&request, 6), None);
        assert_eq!(
            render(&request, 7).unwrap(),
            "GET https://127.0.0.1:5000/v2/app/manifests/v1 Request Headers:\n    Accept: */*\n    Authorization: Bearer <redacted>\n    Cookie: <redacted>"
        );
        let response = Fields {
            headers: Some("set-cookie: s=2\nwww-authenticate: Bearer realm=\"https://auth/token\",service=\"r\"".into()),
            ..fields("response headers")
        };
        assert_eq!(render(&response, 7), None);
        assert_eq!(
            render(&response, 8).unwrap(),
            "GET https://127.0.0.1:5000/v2/app/manifests/v1 Response Headers:\n    Set-Cookie: <redacted>\n    Www-Authenticate: Bearer realm=\"https://auth/token\",service=\"r\""
        );
    }

    #[test]
    fn header_values_that_are_credentials_are_redacted() {
        assert_eq!(
            redact_header("Authorization", "Basic dXNlcjpwYXNz"),
            "Basic <redacted>"
        );
        assert_eq!(redact_header("authorization", "opaque"), "<redacted>");
        assert_eq!(
            redact_header("Proxy-Authorization", "Basic eA=="),
            "Basic <redacted>"
        );
        assert_eq!(redact_header("X-Registry-Auth", "eyJ1"), "<redacted>");
        assert_eq!(redact_header("X-Amz-Security-Token", "t"), "<redacted>");
        assert_eq!(
            redact_header("content-type", "application/json"),
            "application/json"
        );
        assert_eq!(
            redact_header(
                "WWW-Authenticate",
                r#"Bearer realm="r",error="invalid_token",token="s3cr3t""#
            ),
            r#"Bearer realm="r",error="invalid_token",token="<redacted>""#
        );
        assert_eq!(
            redact_header("WWW-Authenticate", "Basic realm=\"kubectl-immutable-test\""),
            "Basic realm=\"kubectl-immutable-test\""
        );
    }

    #[test]
    fn urls_lose_user_information_and_secret_parameters() {
        assert_eq!(
            redact_url(
                "https://auth.docker.io/token?scope=repository:a:pull&service=registry.docker.io"
            ),
            "https://auth.docker.io/token?scope=repository:a:pull&service=registry.docker.io"
        );
        assert_eq!(
            redact_url("https://robot:pw@host:5000/v2/?access_token=abc&n=1#frag"),
            "https://<redacted>@host:5000/v2/?access_token=<redacted>&n=1#frag"
        );
        assert_eq!(
            redact_url("https://cdn/blob?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-Expires=3"),
            "https://cdn/blob?X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Expires=3"
        );
    }

    #[test]
    fn every_line_is_scrubbed_of_credentials() {
        for (line, scrubbed) in [
            (
                "Authorization: Basic aW1tdXRhYmxlOnBpbg==",
                "Authorization: Basic <redacted>",
            ),
            (
                "headers: Bearer eyJhbGc.eyJzdWIi.sig x",
                "headers: Bearer <redacted> x",
            ),
            (
                r#"{"token":"abc","access_token": "def","expires_in":60}"#,
                r#"{"token":"<redacted>","access_token": "<redacted>","expires_in":60}"#,
            ),
            (
                r#"{"ServerURL":"h","Username":"u","Secret":"pw"}"#,
                r#"{"ServerURL":"h","Username":"u","Secret":"<redacted>"}"#,
            ),
            ("GET /x?token=abc&n=1", "GET /x?token=<redacted>&n=1"),
            ("password=hunter2 more", "password=<redacted> more"),
            (
                r#"{"auths":{"h":{"auth":"dXNlcg=="}}}"#,
                r#"{"auths":{"h":{"auth":"<redacted>"}}}"#,
            ),
        ] {
            assert_eq!(scrub(line), scrubbed, "{line}");
        }
        keep_secret("kept-s3cret");
        keep_secret("abc");
        assert_eq!(
            scrub("echoed kept-s3cret, twice: kept-s3cret; abc"),
            "echoed <redacted>, twice: <redacted>; abc"
        );
        for kept in [
            r#"WWW-Authenticate: Bearer realm="https://a/token",service="r""#,
            "Authorization: Bearer <redacted>",
            "GET https://h/v2/app/manifests/v1 401 Unauthorized in 3 milliseconds",
            "retrying in 1s: the token service answered 503",
            "credentials: a username and password (docker config)",
            "tokens=3 basic",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }

    #[test]
    fn levels_let_through_what_kubectl_shows() {
        let plugin = |v: u8, level: Level| targets(v).would_enable(PLUGIN, &level);
        let registry = |v: u8, level: Level| targets(v).would_enable(REGISTRY_HTTP, &level);
        assert!(plugin(1, Level::INFO) && !plugin(5, Level::DEBUG));
        assert!(!registry(5, Level::DEBUG) && registry(6, Level::DEBUG));
        assert!(!registry(6, Level::TRACE) && registry(7, Level::TRACE));
        assert!(!targets(8).would_enable("oci_client::client", &Level::DEBUG));
        assert!(targets(9).would_enable("oci_client::client", &Level::DEBUG));
        assert!(!targets(9).would_enable("hyper_util::client", &Level::DEBUG));
        // kube's events that quote an answer's body never show; its others do at 9.
        assert!(!targets(9).would_enable(KUBE_BODIES, &Level::ERROR));
        assert!(targets(9).would_enable(KUBE_REQUESTS, &Level::DEBUG));
        assert!(targets(9).would_enable("kube_client::discovery", &Level::DEBUG));
    }
}
