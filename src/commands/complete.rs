//! `kubectl-immutable __complete WORD...`: cobra's completion protocol, which kubectl (1.26 and
//! later) speaks with a plugin. On `kubectl immutable pin --<TAB>` kubectl runs
//! `kubectl_complete-immutable pin --` from PATH (`completions/kubectl_complete-immutable`, which
//! execs `kubectl-immutable __complete "$@"`) and reads back one candidate a line
//! (`value<TAB>description`), then `:<directive>` as the last line.
//!
//! Everything is read off the clap command tree, so a new subcommand, flag or possible value is
//! completed without a change here. Value completion by kind:
//! - `-f/--filename`: manifest files (`.yaml`, `.yml`, `.json` and directories), as `kubectl apply -f`;
//! - `--context`: the context names of the kubeconfig (`--kubeconfig`, else the `KUBECONFIG` list,
//!   else `~/.kube/config`);
//! - `-n/--namespace`: the namespaces of the cluster of that context, when it answers within
//!   [`NAMESPACE_TIMEOUT`]; nothing otherwise;
//! - a `TYPE/NAME` positional (history, diff): `deployment/`, `statefulset/`, `daemonset/`, then
//!   the names of that kind in the namespace typed (else the context's), from the cluster, within
//!   the same time;
//! - possible values of an argument (`--report json`, `completion bash`) and `--platform`'s usual
//!   platforms;
//! - path arguments and positionals: the shell's own file completion.
//!
//! Completion never prints an error: a word it cannot complete gets no candidates.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::ValueHint;
use clap::{Arg, ArgAction, CommandFactory};
use serde::Deserialize;

use crate::cli::Cli;

/// The hidden first argument that selects this protocol.
pub const ENTRY: &str = "__complete";

/// How long `-n <TAB>` waits for a cluster to list its namespaces.
pub const NAMESPACE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Cobra's `ShellCompDirective` bits, the number after the `:` on the last line.
pub mod directive {
    /// Complete file names if there are no candidates (the shell's default).
    pub const DEFAULT: u32 = 0;
    /// Something failed; the shell completes nothing.
    pub const ERROR: u32 = 1;
    /// No space after the completion.
    pub const NO_SPACE: u32 = 2;
    /// No file names, even without candidates.
    pub const NO_FILE_COMP: u32 = 4;
    /// The candidates are file extensions: complete files with one of them, and directories.
    pub const FILTER_FILE_EXT: u32 = 8;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
}

/// The extensions `-f/--filename` reads, as kubectl completes its own `-f`.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Platforms offered for `--platform`; any other `os/arch[/variant]` is accepted as typed.
const PLATFORMS: [&str; 7] = [
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/ppc64le",
    "linux/s390x",
    "linux/386",
    "windows/amd64",
];

/// A protocol answer: the candidates and the directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: Option<String>,
}

impl Completions {
    fn new(candidates: Vec<Candidate>, directive: u32) -> Completions {
        Completions {
            candidates,
            directive,
        }
    }

    fn none() -> Completions {
        Completions::new(Vec::new(), directive::NO_FILE_COMP)
    }

    /// The values alone, in order.
    pub fn values(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| c.value.as_str()).collect()
    }

    /// The protocol text: `value\tdescription` lines, then `:directive`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for candidate in &self.candidates {
            match &candidate.description {
                Some(description) => {
                    let _ = writeln!(text, "{}\t{description}", candidate.value);
                }
                None => {
                    let _ = writeln!(text, "{}", candidate.value);
                }
            }
        }
        let _ = writeln!(text, ":{}", self.directive);
        text
    }
}

/// Where completion looks outside the command line: the environment, made explicit so tests can
/// point it anywhere.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `KUBECONFIG`: a list of files, as `std::env::split_paths` reads it.
    pub kubeconfig_env: Option<OsString>,
    /// `HOME` (`USERPROFILE` on Windows), for `~/.kube/config`.
    pub home: Option<PathBuf>,
    pub namespace_timeout: Duration,
}

impl Sources {
    pub fn from_env() -> Sources {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|home| !home.is_empty())
            .map(PathBuf::from);
        Sources {
            kubeconfig_env: std::env::var_os("KUBECONFIG"),
            home,
            namespace_timeout: NAMESPACE_TIMEOUT,
        }
    }

    /// The kubeconfig files in force: `--kubeconfig` if typed, else the `KUBECONFIG` list, else
    /// `~/.kube/config`.
    fn kubeconfig_files(&self, typed: Option<&str>) -> Vec<PathBuf> {
        if let Some(path) = typed {
            return vec![PathBuf::from(path)];
        }
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

/// Runs the protocol for the words after `__complete` and prints the answer on stdout.
pub fn run(words: &[OsString]) -> std::process::ExitCode {
    let words: Vec<String> = words
        .iter()
        .map(|word| word.to_string_lossy().into_owned())
        .collect();
    let answer = complete(&Cli::command(), &words, &Sources::from_env());
    // A closed stdout leaves nothing to tell anyone.
    let _ = std::io::stdout()
        .lock()
        .write_all(answer.render().as_bytes());
    std::process::ExitCode::SUCCESS
}

/// Completes the last of `words` (the word under the cursor, possibly empty) after the others,
/// as typed after the plugin's name.
pub fn complete(command: &clap::Command, words: &[String], sources: &Sources) -> Completions {
    let mut root = command.clone();
    // Propagates global flags to subcommands and adds --help/--version, as parsing would.
    root.build();
    let (current, typed) = match words.split_last() {
        Some((current, typed)) => (current.as_str(), typed),
        None => ("", &[][..]),
    };
    let line = Line::read(&root, typed);

    if let Some(arg) = line.pending {
        return values(arg, current, "", &line, sources);
    }
    if !line.after_double_dash {
        if let Some(flag) = current.strip_prefix("--")
            && let Some((name, _)) = flag.split_once('=')
        {
            return match find_long(line.command, name) {
                Some(arg) if takes_value(arg) => {
                    values(arg, current, &current[..name.len() + 3], &line, sources)
                }
                _ => Completions::none(),
            };
        }
        if current.starts_with('-') {
            return flags(&line, current);
        }
    }

    let subcommands = visible_subcommands(line.command);
    if !subcommands.is_empty() && line.positionals == 0 && !line.after_double_dash {
        let candidates = subcommands
            .into_iter()
            .filter(|sub| sub.get_name().starts_with(current))
            .map(|sub| Candidate {
                value: sub.get_name().to_string(),
                description: sub.get_about().map(|about| first_line(&about.to_string())),
            })
            .collect();
        return Completions::new(candidates, directive::NO_FILE_COMP);
    }

    if let Some(arg) = positional(line.command, line.positionals) {
        return values(arg, current, "", &line, sources);
    }
    // Nothing positional left: offer the required flags not yet given, as cobra does.
    if current.is_empty() {
        let candidates = line
            .command
            .get_arguments()
            .filter(|arg| arg.is_required_set() && !arg.is_positional() && !arg.is_hide_set())
            .filter(|arg| !line.given(arg))
            .filter_map(long_candidate)
            .collect();
        return Completions::new(candidates, directive::NO_FILE_COMP);
    }
    Completions::none()
}

/// What the words before the cursor say: which command they reached, the flags given with
/// their values, how many positionals, and whether the word under the cursor is a flag's value.
struct Line<'a> {
    command: &'a clap::Command,
    given: Vec<(&'a Arg, Option<String>)>,
    positionals: usize,
    pending: Option<&'a Arg>,
    after_double_dash: bool,
}

impl<'a> Line<'a> {
    fn read(root: &'a clap::Command, typed: &[String]) -> Line<'a> {
        let mut line = Line {
            command: root,
            given: Vec::new(),
            positionals: 0,
            pending: None,
            after_double_dash: false,
        };
        for word in typed {
            if let Some(arg) = line.pending.take() {
                line.given.push((arg, Some(word.clone())));
                continue;
            }
            if line.after_double_dash {
                line.positionals += 1;
                continue;
            }
            if word == "--" {
                line.after_double_dash = true;
                continue;
            }
            if let Some(flag) = word.strip_prefix("--") {
                let (name, value) = match flag.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_string())),
                    None => (flag, None),
                };
                if let Some(arg) = find_long(line.command, name) {
                    if takes_value(arg) && value.is_none() {
                        line.pending = Some(arg);
                    } else {
                        line.given.push((arg, value));
                    }
                }
                continue;
            }
            if let Some(cluster) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) {
                // -Rf FILE, -fFILE, -f=FILE, -q
                for (at, short) in cluster.char_indices() {
                    let Some(arg) = find_short(line.command, short) else {
                        break;
                    };
                    if takes_value(arg) {
                        let rest = &cluster[at + short.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        if rest.is_empty() {
                            line.pending = Some(arg);
                        } else {
                            line.given.push((arg, Some(rest.to_string())));
                        }
                        break;
                    }
                    line.given.push((arg, None));
                }
                continue;
            }
            if line.positionals == 0
                && let Some(sub) = line.command.find_subcommand(word)
            {
                line.command = sub;
                continue;
            }
            line.positionals += 1;
        }
        line
    }

    fn given(&self, arg: &Arg) -> bool {
        self.given
            .iter()
            .any(|(given, _)| given.get_id() == arg.get_id())
    }

    /// The last value typed for the flag with this long name.
    fn value_of(&self, long: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(arg, _)| arg.get_long() == Some(long))
            .and_then(|(_, value)| value.as_deref())
    }
}

fn flags(line: &Line, current: &str) -> Completions {
    let mut candidates = Vec::new();
    for arg in line.command.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if line.given(arg) && !repeatable {
            continue;
        }
        if let Some(candidate) = long_candidate(arg) {
            candidates.push(candidate);
        }
        // Short forms only for a bare `-`, as cobra: `--` lists the long ones.
        if current == "-"
            && let Some(short) = arg.get_short()
        {
            candidates.push(Candidate {
                value: format!("-{short}"),
                description: description(arg),
            });
        }
    }
    candidates.retain(|candidate| candidate.value.starts_with(current));
    Completions::new(candidates, directive::NO_FILE_COMP)
}

/// Completes a value of `arg`; `prefix` is written before each candidate (`--flag=`).
fn values(arg: &Arg, current: &str, prefix: &str, line: &Line, sources: &Sources) -> Completions {
    let partial = &current[prefix.len()..];
    let names = |names: Vec<(String, Option<String>)>| {
        let candidates = names
            .into_iter()
            .filter(|(name, _)| name.starts_with(partial))
            .map(|(name, description)| Candidate {
                value: format!("{prefix}{name}"),
                description,
            })
            .collect();
        Completions::new(candidates, directive::NO_FILE_COMP)
    };

    match arg.get_long() {
        Some("filename") if prefix.is_empty() => {
            let candidates = MANIFEST_EXTENSIONS
                .iter()
                .map(|extension| Candidate {
                    value: extension.to_string(),
                    description: None,
                })
                .collect();
            return Completions::new(candidates, directive::FILTER_FILE_EXT);
        }
        Some("filename") | Some("kubeconfig") => {
            return Completions::new(Vec::new(), directive::DEFAULT);
        }
        Some("context") => {
            let files = sources.kubeconfig_files(line.value_of("kubeconfig"));
            return names(contexts(&files));
        }
        Some("namespace") => {
            let files = sources.kubeconfig_files(line.value_of("kubeconfig"));
            let found = namespaces(&files, line.value_of("context"), sources.namespace_timeout);
            return names(found.into_iter().map(|name| (name, None)).collect());
        }
        Some("platform") => {
            return names(PLATFORMS.iter().map(|p| (p.to_string(), None)).collect());
        }
        _ => {}
    }

    let possible: Vec<_> = arg
        .get_possible_values()
        .into_iter()
        .filter(|value| !value.is_hide_set())
        .collect();
    if !possible.is_empty() {
        return names(
            possible
                .iter()
                .map(|value| {
                    let help = value.get_help().map(|help| first_line(&help.to_string()));
                    (value.get_name().to_string(), help)
                })
                .collect(),
        );
    }

    match arg.get_value_hint() {
        ValueHint::DirPath => Completions::new(Vec::new(), directive::FILTER_DIRS),
        ValueHint::AnyPath
        | ValueHint::FilePath
        | ValueHint::ExecutablePath
        | ValueHint::CommandName => Completions::new(Vec::new(), directive::DEFAULT),
        // A workload (history's TYPE/NAME, diff's OLD|TYPE/NAME): its kind, then its name from
        // the cluster.
        ValueHint::Unknown if arg.is_positional() && takes_workload(arg) => {
            workload_values(arg, partial, line, sources)
        }
        // A positional without a kind: files, as cobra completes arguments.
        ValueHint::Unknown if arg.is_positional() => {
            Completions::new(Vec::new(), directive::DEFAULT)
        }
        _ => Completions::none(),
    }
}

/// Whether the value names a workload as `TYPE/NAME`, by its value name.
fn takes_workload(arg: &Arg) -> bool {
    arg.get_value_names()
        .is_some_and(|names| names.iter().any(|name| name.contains("TYPE/NAME")))
}

/// `TYPE/NAME`: before the `/`, the kinds (no space after them); after it, the names of that
/// kind in the namespace the line names. Where the same argument also takes a path
/// (`OLD|TYPE/NAME`), a word that starts no kind is a file name, and so is an empty one.
fn workload_values(arg: &Arg, current: &str, line: &Line, sources: &Sources) -> Completions {
    let also_paths = arg
        .get_value_names()
        .is_some_and(|names| names.iter().any(|name| name.contains('|')));
    match current.split_once('/') {
        Some((kind, partial)) => {
            let files = sources.kubeconfig_files(line.value_of("kubeconfig"));
            let found = workloads(
                &files,
                line.value_of("context"),
                line.value_of("namespace"),
                kind,
                sources.namespace_timeout,
            );
            if found.is_empty() && also_paths {
                return Completions::new(Vec::new(), directive::DEFAULT);
            }
            let candidates = found
                .into_iter()
                .filter(|name| name.starts_with(partial))
                .map(|name| Candidate {
                    value: format!("{kind}/{name}"),
                    description: None,
                })
                .collect();
            Completions::new(candidates, directive::NO_FILE_COMP)
        }
        None => {
            if also_paths && current.is_empty() {
                return Completions::new(Vec::new(), directive::DEFAULT);
            }
            let candidates: Vec<Candidate> = WORKLOAD_KINDS
                .iter()
                .map(|(kind, _)| *kind)
                .filter(|kind| kind.starts_with(current))
                .map(|kind| Candidate {
                    value: format!("{kind}/"),
                    description: None,
                })
                .collect();
            if candidates.is_empty() && also_paths {
                return Completions::new(Vec::new(), directive::DEFAULT);
            }
            Completions::new(candidates, directive::NO_SPACE | directive::NO_FILE_COMP)
        }
    }
}

/// The context names of these kubeconfig files, first file first, each once; the current
/// context is described as such.
pub fn contexts(files: &[PathBuf]) -> Vec<(String, Option<String>)> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Kubeconfig {
        #[serde(rename = "current-context")]
        current_context: Option<String>,
        contexts: Option<Vec<NamedContext>>,
    }
    #[derive(Deserialize)]
    struct NamedContext {
        name: String,
        #[serde(default)]
        context: Option<Context>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Context {
        cluster: Option<String>,
        namespace: Option<String>,
    }

    let mut current = None;
    let mut found: Vec<(String, Option<Context>)> = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let Ok(config) = serde_saphyr::from_str::<Option<Kubeconfig>>(&text) else {
            continue;
        };
        let config = config.unwrap_or_default();
        // The first file to set current-context wins, as kubectl merges them.
        current = current.or(config.current_context.filter(|name| !name.is_empty()));
        for named in config.contexts.unwrap_or_default() {
            if !found.iter().any(|(name, _)| *name == named.name) {
                found.push((named.name, named.context));
            }
        }
    }
    found
        .into_iter()
        .map(|(name, context)| {
            let mut about = Vec::new();
            if current.as_deref() == Some(name.as_str()) {
                about.push("current".to_string());
            }
            if let Some(context) = context {
                about.extend(context.cluster.map(|cluster| format!("cluster {cluster}")));
                about.extend(context.namespace.map(|ns| format!("namespace {ns}")));
            }
            let description = (!about.is_empty()).then(|| about.join(", "));
            (name, description)
        })
        .collect()
}

/// The namespaces of the cluster that `context` (or the current context) of these kubeconfig
/// files names, if it lists them within `timeout`; otherwise none.
pub fn namespaces(files: &[PathBuf], context: Option<&str>, timeout: Duration) -> Vec<String> {
    ask_cluster(files, context, timeout, |client, _| async move {
        use k8s_openapi::api::core::v1::Namespace;
        names(kube::Api::<Namespace>::all(client)).await
    })
}

/// The workloads whose rollouts `TYPE/NAME` names, by their kubectl names and aliases.
const WORKLOAD_KINDS: [(&str, &[&str]); 3] = [
    ("deployment", &["deployment", "deployments", "deploy"]),
    ("statefulset", &["statefulset", "statefulsets", "sts"]),
    ("daemonset", &["daemonset", "daemonsets", "ds"]),
];

/// The names of the workloads of this kind (`deployment`, `sts`, ...) in `namespace` (or the
/// context's namespace, else `default`), if the cluster lists them within `timeout`.
pub fn workloads(
    files: &[PathBuf],
    context: Option<&str>,
    namespace: Option<&str>,
    kind: &str,
    timeout: Duration,
) -> Vec<String> {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    let Some((kind, _)) = WORKLOAD_KINDS
        .iter()
        .find(|(_, names)| names.contains(&kind.to_ascii_lowercase().as_str()))
    else {
        return Vec::new();
    };
    ask_cluster(
        files,
        context,
        timeout,
        |client, default_namespace| async move {
            let namespace = namespace.map(str::to_string).unwrap_or(default_namespace);
            match *kind {
                "deployment" => {
                    names(kube::Api::<Deployment>::namespaced(client, &namespace)).await
                }
                "statefulset" => {
                    names(kube::Api::<StatefulSet>::namespaced(client, &namespace)).await
                }
                _ => names(kube::Api::<DaemonSet>::namespaced(client, &namespace)).await,
            }
        },
    )
}

async fn names<K>(api: kube::Api<K>) -> anyhow::Result<Vec<String>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let list = api.list_metadata(&kube::api::ListParams::default()).await?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|object| object.metadata.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `ask` with a client for `context` of these kubeconfig files and that context's
/// namespace; whatever fails or takes longer than `timeout` gives nothing.
fn ask_cluster<'a, F, Fut>(
    files: &'a [PathBuf],
    context: Option<&'a str>,
    timeout: Duration,
    ask: F,
) -> Vec<String>
where
    F: FnOnce(kube::Client, String) -> Fut + 'a,
    Fut: std::future::Future<Output = anyhow::Result<Vec<String>>> + 'a,
{
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let listed = runtime.block_on(async {
        tokio::time::timeout(timeout, async {
            let config = cluster_config(files, context, timeout).await?;
            let namespace = config.default_namespace.clone();
            ask(kube::Client::try_from(config)?, namespace).await
        })
        .await
    });
    // An exec credential plugin that hangs must not keep completion waiting.
    runtime.shutdown_background();
    match listed {
        Ok(Ok(names)) => names,
        _ => Vec::new(),
    }
}

async fn cluster_config(
    files: &[PathBuf],
    context: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<kube::Config> {
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let mut merged: Option<Kubeconfig> = None;
    for file in files.iter().filter(|file| file.exists()) {
        let next = Kubeconfig::read_from(file)?;
        merged = Some(match merged {
            Some(merged) => merged.merge(next)?,
            None => next,
        });
    }
    let kubeconfig = merged.ok_or_else(|| anyhow::anyhow!("no kubeconfig"))?;
    let options = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options).await?;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    Ok(config)
}

fn find_long<'a>(command: &'a clap::Command, name: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &clap::Command, short: char) -> Option<&Arg> {
    command.get_arguments().find(|arg| {
        arg.get_short() == Some(short)
            || arg
                .get_all_short_aliases()
                .is_some_and(|aliases| aliases.contains(&short))
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

fn visible_subcommands(command: &clap::Command) -> Vec<&clap::Command> {
    command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .collect()
}

/// The positional argument that the next positional word fills: by index, the last one taking
/// every word after it when it takes many.
fn positional(command: &clap::Command, count: usize) -> Option<&Arg> {
    let mut positionals: Vec<&Arg> = command
        .get_positionals()
        .filter(|arg| !arg.is_hide_set())
        .collect();
    positionals.sort_by_key(|arg| arg.get_index());
    let mut filled = 0;
    for arg in positionals {
        let many = arg
            .get_num_args()
            .map(|range| range.max_values())
            .unwrap_or(1);
        if count < filled + many {
            return Some(arg);
        }
        filled = filled.saturating_add(many);
    }
    None
}

fn long_candidate(arg: &Arg) -> Option<Candidate> {
    Some(Candidate {
        value: format!("--{}", arg.get_long()?),
        description: description(arg),
    })
}

fn description(arg: &Arg) -> Option<String> {
    arg.get_help().map(|help| first_line(&help.to_string()))
}

/// The first sentence line of a help text, without its final period: what fits beside a
/// candidate.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    line.strip_suffix('.').unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(words: &[&str]) -> Completions {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let sources = Sources {
            kubeconfig_env: None,
            home: None,
            namespace_timeout: Duration::from_millis(10),
        };
        complete(&Cli::command(), &words, &sources)
    }

    #[test]
    fn an_empty_line_lists_the_visible_subcommands() {
        let all = answer(&[]);
        assert_eq!(all, answer(&[""]));
        assert!(all.values().contains(&"pin"));
        assert!(!all.values().iter().any(|name| name.starts_with("__")));
        assert!(all.render().ends_with("\n:4\n"));
    }

    #[test]
    fn short_flags_cluster_and_take_their_value_attached_or_next() {
        for words in [
            &["pin", "-Rf", ""][..],
            &["pin", "-qRf", ""],
            &["pin", "-q", "-f", ""],
        ] {
            assert_eq!(
                answer(words).directive,
                directive::FILTER_FILE_EXT,
                "{words:?}"
            );
        }
        // -fa.yaml carries its value: the next word is a new one.
        let after = answer(&["pin", "-fa.yaml", "--che"]);
        assert_eq!(after.values(), ["--check"]);
        // --lock=FILE likewise.
        let after = answer(&["pin", "--lock=x", ""]);
        assert_eq!(after.values(), ["--filename"]);
    }

    #[test]
    fn after_a_double_dash_nothing_is_a_flag() {
        let after = answer(&["pin", "--", "--ch"]);
        assert!(after.candidates.is_empty(), "{after:?}");
    }

    #[test]
    fn the_protocol_text_is_candidates_then_the_directive() {
        let text = Completions::new(
            vec![
                Candidate {
                    value: "a".into(),
                    description: Some("first".into()),
                },
                Candidate {
                    value: "b".into(),
                    description: None,
                },
            ],
            directive::NO_FILE_COMP,
        )
        .render();
        assert_eq!(text, "a\tfirst\nb\n:4\n");
    }
}
