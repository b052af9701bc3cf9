//! The user's kubeconfig, read one way for every command, as kubectl reads it: the
//! `--kubeconfig` file, else every file of the `KUBECONFIG` list (one that does not exist is
//! skipped), else `~/.kube/config` (none at all is an empty kubeconfig); merged with the first
//! file to set a value winning; and the context `--context` names, else the current one.
//!
//! The cluster adapter builds its client from it, `diff` of two manifest sets takes its default
//! namespace from it, and completion lists its contexts and asks the cluster it names.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use kube::config::{Context, KubeConfigOptions, NamedContext};

/// Where the kubeconfig files are when `--kubeconfig` names none: the environment, made
/// explicit so tests (and completion's) can point it anywhere.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// `KUBECONFIG`: a list of files, as `std::env::split_paths` reads it.
    pub kubeconfig_env: Option<OsString>,
    /// `HOME` (`USERPROFILE` on Windows), for `~/.kube/config`.
    pub home: Option<PathBuf>,
}

impl Search {
    pub fn from_env() -> Search {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|home| !home.is_empty())
            .map(PathBuf::from);
        Search {
            kubeconfig_env: std::env::var_os("KUBECONFIG"),
            home,
        }
    }

    /// The files the `KUBECONFIG` list names, else `~/.kube/config`.
    fn files(&self) -> Vec<PathBuf> {
        if let Some(list) = &self.kubeconfig_env {
            let paths: Vec<PathBuf> = std::env::split_paths(list)
                .filter(|path| !path.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                return paths;
            }
        }
        self.home
            .iter()
            .map(|home| home.join(".kube").join("config"))
            .collect()
    }
}

/// Why the kubeconfig cannot be used; the first two say it in kubectl's words.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// `--kubeconfig` names a file that does not exist.
    #[error("stat {}: no such file or directory", .0.display())]
    Missing(PathBuf),
    /// `--context` (or the current-context) names a context the kubeconfig does not have.
    #[error("context \"{0}\" does not exist")]
    NoContext(String),
    /// The deepest cause says what is wrong in the file.
    #[error("error loading config file \"{}\": {}", .path.display(), super::innermost(.source))]
    Unreadable {
        path: PathBuf,
        source: kube::config::KubeconfigError,
    },
    /// A client is wanted, and neither `--context` nor the kubeconfig names a context.
    #[error("current-context is not set")]
    NoCurrentContext,
    /// The context is there, but a client cannot be built from it: no cluster, no server, a
    /// certificate that does not load.
    #[error("{}", super::innermost(.0))]
    Client(#[source] kube::config::KubeconfigError),
}

/// The kubeconfig files in force, merged.
#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    merged: kube::config::Kubeconfig,
}

impl Kubeconfig {
    /// Reads `explicit` (`--kubeconfig`), which must exist, else the files `search` finds.
    pub fn load(explicit: Option<&Path>, search: &Search) -> Result<Kubeconfig, KubeconfigError> {
        let (files, required) = match explicit {
            Some(path) => (vec![path.to_path_buf()], true),
            None => (search.files(), false),
        };
        let mut merged: Option<kube::config::Kubeconfig> = None;
        for file in files {
            let mut next = match kube::config::Kubeconfig::read_from(&file) {
                Ok(next) => next,
                Err(kube::config::KubeconfigError::ReadConfig(error, _))
                    if error.kind() == ErrorKind::NotFound =>
                {
                    if required {
                        return Err(KubeconfigError::Missing(file));
                    }
                    continue;
                }
                Err(source) => return Err(unreadable(&file, source)),
            };
            // An empty current-context sets nothing, as kubectl merges them.
            next.current_context = next.current_context.filter(|name| !name.is_empty());
            merged = Some(match merged {
                Some(merged) => merged
                    .merge(next)
                    .map_err(|source| unreadable(&file, source))?,
                None => next,
            });
        }
        Ok(Kubeconfig {
            merged: merged.unwrap_or_default(),
        })
    }

    /// The `current-context`, if one is set.
    pub fn current_context(&self) -> Option<&str> {
        self.merged.current_context.as_deref()
    }

    /// Every context, first file first, each name once.
    pub fn contexts(&self) -> &[NamedContext] {
        &self.merged.contexts
    }

    /// The context in force: `name` (`--context`) if given, else the current context; `None`
    /// when neither names one. A name the kubeconfig does not have is an error, as in kubectl.
    pub fn context<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> Result<Option<(&'a str, Option<&'a Context>)>, KubeconfigError> {
        let Some(name) = name
            .filter(|name| !name.is_empty())
            .or(self.current_context())
        else {
            return Ok(None);
        };
        let named = self
            .merged
            .contexts
            .iter()
            .find(|named| named.name == name)
            .ok_or_else(|| KubeconfigError::NoContext(name.to_string()))?;
        Ok(Some((name, named.context.as_ref())))
    }

    /// The namespace of the context in force, if it names one.
    pub fn namespace(&self, context: Option<&str>) -> Result<Option<String>, KubeconfigError> {
        Ok(self
            .context(context)?
            .and_then(|(_, context)| context?.namespace.clone()))
    }

    /// A client configuration for the context in force (its namespace is the config's
    /// `default_namespace`, `default` if it names none).
    pub async fn client_config(
        self,
        context: Option<&str>,
    ) -> Result<kube::Config, KubeconfigError> {
        let name = match self.context(context)? {
            Some((name, _)) => name.to_string(),
            None => return Err(KubeconfigError::NoCurrentContext),
        };
        let options = KubeConfigOptions {
            context: Some(name),
            ..KubeConfigOptions::default()
        };
        kube::Config::from_custom_kubeconfig(self.merged, &options)
            .await
            .map_err(KubeconfigError::Client)
    }
}

fn unreadable(path: &Path, source: kube::config::KubeconfigError) -> KubeconfigError {
    KubeconfigError::Unreadable {
        path: path.to_path_buf(),
        source,
    }
}

/// The namespace of the context in force (`context`, else the current one), if it names one;
/// the kubeconfig is `path`, else `KUBECONFIG`, else `~/.kube/config`. No kubeconfig at all
/// names none; a `path` that does not exist, or a context that does not, is an error.
pub fn context_namespace(
    path: Option<&Path>,
    context: Option<&str>,
) -> Result<Option<String>, KubeconfigError> {
    Kubeconfig::load(path, &Search::from_env())?.namespace(context)
}

/// The client configuration of the context in force, from the same kubeconfig.
pub async fn client_config(
    path: Option<&Path>,
    context: Option<&str>,
) -> Result<kube::Config, KubeconfigError> {
    Kubeconfig::load(path, &Search::from_env())?
        .client_config(context)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CONTEXTS: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u, namespace: team}\n- name: ops\n  context: {cluster: c, user: u}\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\n";

    fn nowhere() -> Search {
        Search::default()
    }

    #[test]
    fn the_context_in_force_gives_its_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, TWO_CONTEXTS).unwrap();
        let config = Kubeconfig::load(Some(&file), &nowhere()).unwrap();
        assert_eq!(config.namespace(None).unwrap().as_deref(), Some("team"));
        assert_eq!(config.namespace(Some("ops")).unwrap(), None);
        // An empty --context is no --context, as kubectl reads it.
        assert_eq!(config.namespace(Some("")).unwrap().as_deref(), Some("team"));
    }

    #[test]
    fn an_unknown_context_or_a_missing_file_is_an_error_in_kubectls_words() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, TWO_CONTEXTS).unwrap();
        let config = Kubeconfig::load(Some(&file), &nowhere()).unwrap();
        assert_eq!(
            config.namespace(Some("nope")).unwrap_err().to_string(),
            "context \"nope\" does not exist"
        );
        let missing = dir.path().join("missing");
        assert_eq!(
            Kubeconfig::load(Some(&missing), &nowhere())
                .unwrap_err()
                .to_string(),
            format!("stat {}: no such file or directory", missing.display())
        );
        // A current-context that names no context is as unknown.
        std::fs::write(
            &file,
            TWO_CONTEXTS.replace("current-context: dev", "current-context: gone"),
        )
        .unwrap();
        let config = Kubeconfig::load(Some(&file), &nowhere()).unwrap();
        assert_eq!(
            config.namespace(None).unwrap_err().to_string(),
            "context \"gone\" does not exist"
        );
    }

    #[test]
    fn no_kubeconfig_at_all_is_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let home = Search {
            kubeconfig_env: None,
            home: Some(dir.path().to_path_buf()),
        };
        for search in [nowhere(), home] {
            let config = Kubeconfig::load(None, &search).unwrap();
            assert_eq!(config.namespace(None).unwrap(), None);
            assert!(config.contexts().is_empty());
            // ... but an unknown context is still unknown.
            assert!(matches!(
                config.namespace(Some("nope")),
                Err(KubeconfigError::NoContext(_))
            ));
        }
    }

    #[test]
    fn the_kubeconfig_list_is_merged_first_file_first_skipping_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        let second = dir.path().join("second");
        std::fs::write(
            &first,
            "current-context: ''\ncontexts:\n- name: a\n  context: {cluster: c, namespace: one}\n",
        )
        .unwrap();
        std::fs::write(&second, "current-context: b\ncontexts:\n- name: b\n  context: {cluster: c}\n- name: a\n  context: {cluster: c, namespace: two}\n").unwrap();
        let search = Search {
            kubeconfig_env: Some(
                std::env::join_paths([&first, &dir.path().join("missing"), &second]).unwrap(),
            ),
            home: None,
        };
        let config = Kubeconfig::load(None, &search).unwrap();
        let names: Vec<&str> = config.contexts().iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // The empty current-context of the first file sets nothing.
        assert_eq!(config.current_context(), Some("b"));
        assert_eq!(config.namespace(Some("a")).unwrap().as_deref(), Some("one"));

        std::fs::write(&second, "contexts: [[[").unwrap();
        let error = Kubeconfig::load(None, &search).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "error loading config file \"{}\": ",
                second.display()
            )),
            "{text}"
        );
        // The parser's error is kept as the cause; the message says its deepest part.
        let cause = std::error::Error::source(&error).expect("a cause");
        assert!(cause.is::<kube::config::KubeconfigError>(), "{cause:?}");
        assert!(text.ends_with(&super::super::innermost(cause)), "{text}");
    }

    #[test]
    fn a_client_needs_a_context() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let error = runtime
            .block_on(Kubeconfig::default().client_config(None))
            .unwrap_err();
        assert_eq!(error.to_string(), "current-context is not set");
    }
}
