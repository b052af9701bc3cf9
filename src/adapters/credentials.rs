//! The user's registry credentials as docker and podman keep them: config.json `auths`,
//! `credsStore` and `credHelpers`, and podman's `auth.json` / `REGISTRY_AUTH_FILE`. Decoding
//! `auths` is the `docker_credential` crate's; a credential helper is run here, not by the crate,
//! so that one that hangs is stopped after the registry timeout (the crate waits for ever). No
//! value read here is ever formatted into a message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use docker_credential::{CredentialRetrievalError, DockerCredential};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The largest credential store file read (config.json, auth.json): a few kilobytes in use.
const MAX_STORE_BYTES: u64 = 4 << 20;
/// The largest answer of a credential helper read: a username and a secret, in JSON.
const MAX_HELPER_ANSWER_BYTES: u64 = 1 << 20;

/// Credentials for one registry host. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Anonymous,
    Basic { username: String, password: String },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Anonymous => write!(f, "Anonymous"),
            Credential::Basic { .. } => write!(f, "Basic(<redacted>)"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    // The helper's own output is left out on purpose: it may hold the secret.
    #[error("the credential helper for {host} failed")]
    Helper { host: String },
    #[error(
        "the credential helper {helper} for {host} did not answer within {seconds}s (--registry-timeout), so it was stopped"
    )]
    HelperTimeout {
        host: String,
        helper: String,
        seconds: u64,
    },
    #[error("cannot read the credentials for {host}: {reason}")]
    Unreadable { host: String, reason: &'static str },
    #[error(
        "the credentials for {host} are an identity token, which is not supported; log in with a username and password or a credential helper"
    )]
    IdentityToken { host: String },
}

/// Where one credential store keeps a server's credentials.
enum Source {
    /// `docker-credential-<name>` knows them.
    Helper(String),
    Stored(DockerCredential),
    None,
}

/// The credentials stored for `host` (a registry host as contacted, e.g. `quay.io`,
/// `127.0.0.1:5000`), or anonymous when none are stored. Podman's file comes first when
/// `REGISTRY_AUTH_FILE` names it, then docker's config.json, then podman's default file. A
/// credential helper gets `timeout` to answer.
pub async fn lookup(host: &str, timeout: Duration) -> Result<Credential, CredentialError> {
    // Docker keys Docker Hub by its legacy v1 URL; docker_credential matches either spelling.
    let server = match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    };
    let mut stores = [docker_config(), podman_auth_file()];
    if std::env::var_os("REGISTRY_AUTH_FILE").is_some() {
        stores.reverse();
    }
    for store in stores.into_iter().flatten() {
        let Some(bytes) = read_store(&store).await else {
            continue;
        };
        let credential = match source(&bytes, server) {
            Ok(Source::Helper(helper)) => run_helper(&helper, server, host, timeout).await?,
            Ok(Source::Stored(credential)) => credential,
            Ok(Source::None) => continue,
            Err(error) => return Err(unreadable(host, error)),
        };
        return match credential {
            DockerCredential::UsernamePassword(username, password) => {
                // A server may echo them bare: no line shows them, whatever its shape.
                use base64::Engine as _;
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                crate::logging::keep_secret(&password);
                crate::logging::keep_secret(&basic);
                Ok(Credential::Basic { username, password })
            }
            DockerCredential::IdentityToken(_) => {
                Err(CredentialError::IdentityToken { host: host.into() })
            }
        };
    }
    Ok(Credential::Anonymous)
}

/// docker's directory: `DOCKER_CONFIG`, else `~/.docker`.
fn docker_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".docker")))
}

fn docker_config() -> Option<PathBuf> {
    Some(docker_dir()?.join("config.json"))
}

/// podman's file: `REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json` (on Linux;
/// `~/.config/containers/auth.json` elsewhere) where it exists, else docker's directory's
/// `containers/auth.json`.
fn podman_auth_file() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REGISTRY_AUTH_FILE") {
        return Some(PathBuf::from(path));
    }
    let primary = if cfg!(target_os = "linux") {
        std::env::var_os("XDG_RUNTIME_DIR").map(|dir| Path::new(&dir).join("containers/auth.json"))
    } else {
        std::env::var_os("HOME").map(|home| Path::new(&home).join(".config/containers/auth.json"))
    };
    primary
        .filter(|path| path.is_file())
        .or_else(|| Some(docker_dir()?.join("containers/auth.json")))
}

/// A store's bytes; `None` where it is not a regular file or cannot be read, as where none is
/// configured (a FIFO is never opened: it would wait for a writer).
async fn read_store(path: &Path) -> Option<Vec<u8>> {
    let metadata = tokio::fs::metadata(path).await.ok()?;
    if !metadata.is_file() || metadata.len() > MAX_STORE_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    tokio::fs::File::open(path)
        .await
        .ok()?
        .take(MAX_STORE_BYTES)
        .read_to_end(&mut bytes)
        .await
        .ok()?;
    Some(bytes)
}

/// Where a store keeps `server`'s credentials, in docker's order: `credHelpers`, `auths`,
/// `credsStore`. A store that is no JSON object is none, as docker_credential reads it.
fn source(store: &[u8], server: &str) -> Result<Source, CredentialRetrievalError> {
    let Ok(serde_json::Value::Object(mut config)) = serde_json::from_slice(store) else {
        return Ok(Source::None);
    };
    let named = |value: Option<&serde_json::Value>| {
        value
            .and_then(serde_json::Value::as_str)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
    };
    let helpers = config.remove("credHelpers");
    if let Some(helper) = named(helpers.as_ref().and_then(|helpers| helpers.get(server))) {
        return Ok(Source::Helper(helper));
    }
    let store_helper = named(config.remove("credsStore").as_ref());
    // Without its helpers, the crate reads `auths` alone and runs nothing.
    let auths = serde_json::to_vec(&config).unwrap_or_default();
    match docker_credential::get_credential_from_reader(auths.as_slice(), server) {
        Ok(credential) => Ok(Source::Stored(credential)),
        Err(CredentialRetrievalError::NoCredentialConfigured) => {
            Ok(store_helper.map_or(Source::None, Source::Helper))
        }
        Err(CredentialRetrievalError::ConfigReadError) => Ok(Source::None),
        Err(error) => Err(error),
    }
}

fn unreadable(host: &str, error: CredentialRetrievalError) -> CredentialError {
    let reason = match error {
        CredentialRetrievalError::CredentialMismatchError => {
            "`auth` does not match `username` and `password`"
        }
        _ => "the `auth` value is not base64 of user:password",
    };
    CredentialError::Unreadable {
        host: host.into(),
        reason,
    }
}

/// `docker-credential-<helper> get` for `server`, as docker runs it, given `timeout` to answer;
/// then stopped, with whatever it started.
async fn run_helper(
    helper: &str,
    server: &str,
    host: &str,
    timeout: Duration,
) -> Result<DockerCredential, CredentialError> {
    let program = format!("docker-credential-{helper}");
    let failed = || CredentialError::Helper { host: host.into() };
    let mut command = tokio::process::Command::new(&program);
    command
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        // Its messages may hold the secret.
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // A group of its own, so that what a helper script started is stopped with it.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(|_| failed())?;
    let answer = tokio::time::timeout(timeout, async {
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading closes the pipe: its exit status says why.
            let _ = stdin.write_all(server.as_bytes()).await;
        }
        let mut stdout = Vec::new();
        if let Some(out) = child.stdout.take() {
            out.take(MAX_HELPER_ANSWER_BYTES + 1)
                .read_to_end(&mut stdout)
                .await
                .ok()?;
        }
        if stdout.len() as u64 > MAX_HELPER_ANSWER_BYTES {
            return None;
        }
        let status = child.wait().await.ok()?;
        Some((status, stdout))
    })
    .await;
    let Ok(answer) = answer else {
        stop(&mut child).await;
        return Err(CredentialError::HelperTimeout {
            host: host.into(),
            helper: program,
            seconds: timeout.as_secs(),
        });
    };
    let Some((status, stdout)) = answer else {
        stop(&mut child).await;
        return Err(failed());
    };
    if !status.success() {
        return Err(failed());
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        username: String,
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&stdout).map_err(|_| failed())?;
    Ok(if answer.username == "<token>" {
        DockerCredential::IdentityToken(answer.secret)
    } else {
        DockerCredential::UsernamePassword(answer.username, answer.secret)
    })
}

/// Kills a helper and its process group, and waits for it.
async fn stop(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(id) = child.id().and_then(|id| i32::try_from(id).ok()) {
        // SAFETY: kill(2) with a negative pid signals the group the helper leads; no memory
        // is involved.
        unsafe {
            libc::kill(-id, libc::SIGKILL);
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let credential = Credential::Basic {
            username: "user".into(),
            password: "hunter2".into(),
        };
        assert_eq!(format!("{credential:?}"), "Basic(<redacted>)");
    }

    #[test]
    fn a_store_names_a_helper_auths_or_nothing_in_dockers_order() {
        let auth = r#""auths":{"r:5000":{"auth":"dXNlcjpwYXNz"}}"#;
        let found = |store: &str| match source(store.as_bytes(), "r:5000").unwrap() {
            Source::Helper(helper) => format!("helper {helper}"),
            Source::Stored(DockerCredential::UsernamePassword(user, password)) => {
                format!("{user}:{password}")
            }
            Source::Stored(DockerCredential::IdentityToken(_)) => "identity token".into(),
            Source::None => "none".into(),
        };
        assert_eq!(
            found(&format!(
                r#"{{"credHelpers":{{"r:5000":"pass"}},"credsStore":"desktop",{auth}}}"#
            )),
            "helper pass"
        );
        assert_eq!(
            found(&format!(r#"{{"credsStore":"desktop",{auth}}}"#)),
            "user:pass"
        );
        assert_eq!(
            found(r#"{"credHelpers":{"other:5000":"pass"},"credsStore":"desktop"}"#),
            "helper desktop"
        );
        assert_eq!(found(r#"{"credsStore":""}"#), "none");
        assert_eq!(found("not json"), "none");
        assert!(matches!(
            source(br#"{"auths":{"r:5000":{"auth":"%%"}}}"#, "r:5000"),
            Err(CredentialRetrievalError::CredentialDecodingError)
        ));
    }
}
