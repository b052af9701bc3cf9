//! Settings: the command line merged with `.kubectl-immutable.yaml`, the settings a repository
//! wants every time, before any I/O on manifests, registries or clusters (uv's `settings.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::adapters::cluster::ClusterSettings;
use crate::adapters::fs::Links;
use crate::adapters::registry::RegistrySettings;
use crate::cli::{ClusterArgs, RegistryArgs, ResolveArgs, SourceArgs};
use crate::core::ignore::IgnoreRules;
use crate::core::image_paths::{ImagePath, builtin_image_paths};
use crate::core::mirror::Mirror;
use crate::core::problem::{Problem, Problems};
use crate::core::signature::{DefaultAction, PublicKey, Requirement, Rule, SignaturePolicy};
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
    #[serde(default)]
    signature_policy: Option<PolicyFile>,
}

/// `signaturePolicy:` as written, in the config file or as the whole of `--signature-policy`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    rules: Vec<RuleFile>,
    #[serde(default)]
    default: DefaultAction,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    images: String,
    /// A PEM public key, or the path of one (relative to the file naming it).
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    skip: bool,
    /// Room for Fulcio certificates checked against Rekor; refused until that is implemented.
    #[serde(default)]
    keyless: Option<Keyless>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Keyless {
    issuer: String,
    subject: String,
}

impl PolicyFile {
    /// The policy, key paths read relative to `dir` (the directory of the file naming them).
    fn build(self, dir: &Path) -> anyhow::Result<SignaturePolicy> {
        let mut rules = Vec::new();
        for (index, rule) in self.rules.into_iter().enumerate() {
            let context = || format!("rule {} ({})", index + 1, rule.images);
            let requirement = match (&rule.key, rule.skip, &rule.keyless) {
                (Some(key), false, None) => {
                    Requirement::Key(read_key(key, dir).with_context(context)?)
                }
                (None, true, None) => Requirement::Skip,
                (None, false, Some(keyless)) => anyhow::bail!(
                    "{}: keyless verification (issuer {}, subject {}: Fulcio certificates, \
                     Rekor) is not supported yet; give the rule a key",
                    context(),
                    keyless.issuer,
                    keyless.subject
                ),
                _ => anyhow::bail!("{}: give exactly one of key or skip: true", context()),
            };
            rules.push(Rule {
                images: rule.images,
                requirement,
            });
        }
        Ok(SignaturePolicy {
            rules,
            default: self.default,
        })
    }
}

/// A rule's key: inline PEM, or the path of a PEM file.
fn read_key(key: &str, dir: &Path) -> anyhow::Result<PublicKey> {
    if key.contains("-----BEGIN") {
        return Ok(PublicKey::from_pem(key, None)?);
    }
    let text = crate::adapters::fs::read_to_string(&dir.join(key))
        .with_context(|| format!("cannot read key {key}"))?;
    PublicKey::from_pem(&text, Some(key)).with_context(|| format!("key {key}"))
}

/// The signature policy: `--signature-policy FILE` (the mapping as the whole file), else the
/// config file's `signaturePolicy:`, else none.
pub fn signature_policy(
    config: Option<&Path>,
    flag: Option<&Path>,
) -> anyhow::Result<Option<SignaturePolicy>> {
    let Some(path) = flag else {
        return Ok(Config::load(config)?.signature_policy);
    };
    let name = path.display();
    let text = crate::adapters::fs::read_to_string(path)
        .with_context(|| format!("cannot read signature policy {name}"))?;
    let file: PolicyFile = serde_saphyr::from_str(&text)
        .with_context(|| format!("invalid signature policy {name}"))?;
    let policy = file
        .build(path.parent().unwrap_or(Path::new("")))
        .with_context(|| format!("invalid signature policy {name}"))?;
    Ok(Some(policy))
}

/// The config file's settings, parsed, with the name of the file they came from.
#[derive(Debug, Default)]
pub struct Config {
    /// Built-in image paths followed by the file's own.
    pub image_paths: Vec<ImagePath>,
    pub registry_mirrors: Vec<Mirror>,
    pub insecure_registries: Vec<String>,
    pub signature_policy: Option<SignaturePolicy>,
}

impl Config {
    /// The file [`Config::load`] reads: `--config FILE`, else `.kubectl-immutable.yaml` in the
    /// working directory if present.
    pub fn path(explicit: Option<&Path>) -> Option<PathBuf> {
        explicit.map(Path::to_path_buf).or_else(|| {
            let default = PathBuf::from(DEFAULT_CONFIG);
            default.is_file().then_some(default)
        })
    }

    /// Reads `--config FILE`, else `.kubectl-immutable.yaml` in the working directory if present.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let path = Config::path(explicit);
        let mut config = Config {
            image_paths: builtin_image_paths(),
            ..Config::default()
        };
        let Some(path) = path else {
            return Ok(config);
        };
        let name = path.display().to_string();
        let text = crate::adapters::fs::read_to_string(&path)
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
        if let Some(policy) = file.signature_policy {
            let dir = path.parent().unwrap_or(Path::new(""));
            config.signature_policy = Some(
                policy
                    .build(dir)
                    .with_context(|| format!("invalid config file {name}: signaturePolicy"))?,
            );
        }
        Ok(config)
    }
}

/// `diff --ignore FILE`, read and checked before either side is read; none without the flag.
pub fn ignore_rules(path: Option<&Path>) -> Result<IgnoreRules, Problems> {
    let Some(path) = path else {
        return Ok(IgnoreRules::default());
    };
    let name = path.display().to_string();
    let text = crate::adapters::fs::read_to_string(path)
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
    let registry = registry_settings(&config, resolve.registry);
    let mut rules = config.image_paths;
    rules.extend(sources.image_paths);
    Ok(ResolveSettings {
        filenames: sources.filenames,
        recursive: sources.recursive,
        links: links(sources.follow_links_outside),
        rules,
        digest_only: false,
        platform: resolve.platform,
        lock: resolve.lock,
        offline: resolve.offline,
        registry,
        allow_unpinned: Vec::new(),
        docker: None,
    })
}

/// The files read besides the manifests (the config file, the signature policy): no output
/// (`--lock`, `--report-file`) may replace them.
pub fn settings_files(config: Option<&Path>, signature_policy: Option<&PathBuf>) -> Vec<PathBuf> {
    [Config::path(config), signature_policy.cloned()]
        .into_iter()
        .flatten()
        .collect()
}

/// How registries are reached: flags after the config file's mirrors and insecure hosts.
pub fn registry_settings(config: &Config, args: RegistryArgs) -> RegistrySettings {
    let mut mirrors = config.registry_mirrors.clone();
    mirrors.extend(args.registry_mirrors);
    let mut insecure_hosts = config.insecure_registries.clone();
    insecure_hosts.extend(args.insecure_registries);
    RegistrySettings {
        mirrors,
        insecure_hosts,
        request_timeout: Duration::from_secs(args.registry_timeout),
        connections_per_host: usize::from(args.concurrency),
        ..RegistrySettings::default()
    }
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

/// `--follow-links-outside` as the reader takes it.
pub fn links(follow_links_outside: bool) -> Links {
    if follow_links_outside {
        Links::Anywhere
    } else {
        Links::InsideTree
    }
}
