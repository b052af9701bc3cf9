//! The user's registry credentials as docker and podman keep them. Lookup is delegated to the
//! `docker_credential` crate (config.json `auths`, `credsStore`, `credHelpers`, and podman's
//! `auth.json` / `REGISTRY_AUTH_FILE`). No value read here is ever formatted into a message.

use std::fmt;

use docker_credential::{CredentialRetrievalError, DockerCredential};

type CredentialLookup = fn(&str) -> Result<DockerCredential, CredentialRetrievalError>;

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
    #[error("cannot read the credentials for {host}: {reason}")]
    Unreadable { host: String, reason: &'static str },
    #[error(
        "the credentials for {host} are an identity token, which is not supported; log in with a username and password or a credential helper"
    )]
    IdentityToken { host: String },
}

/// The credentials stored for `host` (a registry host as contacted, e.g. `quay.io`,
/// `127.0.0.1:5000`), or anonymous when none are stored. Podman's file comes first when
/// `REGISTRY_AUTH_FILE` names it, then docker's config.json, then podman's default file.
pub fn lookup(host: &str) -> Result<Credential, CredentialError> {
    // Docker keys Docker Hub by its legacy v1 URL; docker_credential matches either spelling.
    let server = match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    };
    let podman_first = std::env::var_os("REGISTRY_AUTH_FILE").is_some();
    let lookups: [CredentialLookup; 2] = if podman_first {
        [
            docker_credential::get_podman_credential,
            docker_credential::get_credential,
        ]
    } else {
        [
            docker_credential::get_credential,
            docker_credential::get_podman_credential,
        ]
    };
    for lookup in lookups {
        match lookup(server) {
            Ok(DockerCredential::UsernamePassword(username, password)) => {
                return Ok(Credential::Basic { username, password });
            }
            Ok(DockerCredential::IdentityToken(_)) => {
                return Err(CredentialError::IdentityToken { host: host.into() });
            }
            Err(
                CredentialRetrievalError::NoCredentialConfigured
                | CredentialRetrievalError::ConfigNotFound
                | CredentialRetrievalError::ConfigReadError,
            ) => continue,
            Err(
                CredentialRetrievalError::HelperFailure { .. }
                | CredentialRetrievalError::HelperCommunicationError
                | CredentialRetrievalError::MalformedHelperResponse,
            ) => return Err(CredentialError::Helper { host: host.into() }),
            Err(CredentialRetrievalError::CredentialDecodingError) => {
                return Err(CredentialError::Unreadable {
                    host: host.into(),
                    reason: "the `auth` value is not base64 of user:password",
                });
            }
            Err(CredentialRetrievalError::CredentialMismatchError) => {
                return Err(CredentialError::Unreadable {
                    host: host.into(),
                    reason: "`auth` does not match `username` and `password`",
                });
            }
        }
    }
    Ok(Credential::Anonymous)
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
}
