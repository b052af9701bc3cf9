//! Settings: the command line merged with `.kubectl-immutable.yaml`, the settings a repository
//! wants every time, before any I/O on manifests, registries or clusters (uv's `settings.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::adapters::cluster::ClusterSettings;
use crate::adapters::registry::RegistrySettings;
use crate::cli::{ClusterArgs, ResolveArgs, SourceArgs};
use crate::core::ignore::IgnoreRules;
use crate::core::image_paths::{ImagePath, builtin_image_paths};
use crate::core::mirror::Mirror;
use crate::core::problem::{Problem, Problems};
use crate::ops::resolve::ResolveSettings;

/// The config file read from the working directory when `--config` names none.
const DEFAULT_CONFIG: &str = ".kubectl-immutable.yaml";

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    image_paths: Vec<String>,
    #[serde(default)]
    registry_mirrors: Vec<String>,
    #[serde(default)]
    insecure_registries: Vec<String>,
}

/// The config file's settings, parsed, with the name of the file they came from.
#[derive(Debug, Default)]
pub struct Config {
    /// Built-in image paths followed by the file's own.
    pub image_paths: Vec<ImagePath>,
    pub registry_mirrors: Vec<Mirror>,
    pub insecure_registries: Vec<String>,
}

impl Config {
    /// Reads `--config FILE`, else `.kubectl-immutable.yaml` in the working directory if present.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = explicit.map(Path::to_path_buf).or_else(|| {
            let default = PathBuf::from(DEFAULT_CONFIG);
            default.is_file().then_some(default)
        });
        let mut config = Config {
            image_paths: builtin_image_paths(),
            ..Config::default()
        };
        let Some(path) = path else {
            return Ok(config);
        };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read config file {name}"))?;
        let file: ConfigFile =
            serde_saphyr::from_str(&text).with_context(|| format!("invalid config file {name}"))?;
        for rule in &file.image_paths {
            config
                .image_paths
                .push(rule.parse().with_context(|| name.clone())?);
        }
        for mirror in &file.registry_mirrors {
            config
                .registry_mirrors
                .push(mirror.parse().with_context(|| name.clone())?);
        }
        config.insecure_registries = file.insecure_registries;
        Ok(config)
    }
}

/// `diff --ignore FILE`, read and checked before either side is read; none without the flag.
pub fn ignore_rules(path: Option<&Path>) -> Result<IgnoreRules, Problems> {
    let Some(path) = path else {
        return Ok(IgnoreRules::default());
    };
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|error| Problem::at(&name, None, format_args!("cannot read: {error}")))?;
    IgnoreRules::parse(&text).map_err(|error| Problems::from(Problem::located(&name, &error)))
}

/// How manifests are read and their images resolved (`pin`, `apply`, `diff -f`): flags merged
/// with the config file.
pub fn resolve_settings(
    sources: SourceArgs,
    resolve: ResolveArgs,
) -> anyhow::Result<ResolveSettings> {
    let config = Config::load(sources.config.as_deref())?;
    let mut rules = config.image_paths;
    rules.extend(sources.image_paths);
    let mut mirrors = config.registry_mirrors;
    mirrors.extend(resolve.registry_mirrors);
    let mut insecure_hosts = config.insecure_registries;
    insecure_hosts.extend(resolve.insecure_registries);
    Ok(ResolveSettings {
        filenames: sources.filenames,
        recursive: sources.recursive,
        rules,
        digest_only: false,
        platform: resolve.platform,
        lock: resolve.lock,
        offline: resolve.offline,
        registry: RegistrySettings {
            mirrors,
            insecure_hosts,
            request_timeout: Duration::from_secs(resolve.registry_timeout),
            ..RegistrySettings::default()
        },
        concurrency: usize::from(resolve.concurrency),
        allow_unpinned: Vec::new(),
        docker: None,
    })
}

/// kubectl's connection flags as the cluster adapter takes them.
pub fn cluster_settings(args: &ClusterArgs) -> ClusterSettings {
    ClusterSettings {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        // kubectl's 0: no timeout.
        request_timeout: Some(args.request_timeout).filter(|timeout| !timeout.is_zero()),
    }
}
