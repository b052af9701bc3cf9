//! What a value completes to. A flag or positional declares its kind where it is declared: clap's
//! `value_hint` for paths (`value_hint = ValueHint::FilePath`), its possible values for an enum,
//! and [`CompleteAs`] (`add = CompleteAs::Namespace`) for what clap has no word for.

use std::path::Path;

use clap::Arg;
use clap::builder::ValueHint;

use super::Sources;
use super::line::Line;
use super::lookup;
use super::protocol::{Candidate, Completions, directive, first_line};

/// A kind of value clap's [`ValueHint`] has no word for, declared on the argument with
/// `#[arg(add = CompleteAs::Context)]` (clap's `unstable-ext` extension data) and read back by
/// completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteAs {
    /// Manifest files, as `kubectl apply -f` completes them: `.yaml`, `.yml`, `.json` and
    /// directories.
    Manifests,
    /// The kubeconfig file (a path, by its `value_hint`): the one the contexts and the cluster
    /// of the other values on the line are read from.
    Kubeconfig,
    /// A context of the kubeconfig.
    Context,
    /// A namespace of the cluster of the context on the line (else the current one).
    Namespace,
    /// `TYPE/NAME` of a workload with rollouts: the kinds, then the names of that kind in the
    /// namespace on the line, from the cluster.
    Workload,
    /// A workload as [`CompleteAs::Workload`], or a path: a word that starts no kind is a file
    /// name, and so is an empty one.
    WorkloadOrPath,
    /// A platform, `os/arch[/variant]`: the usual ones.
    Platform,
}

impl clap::builder::ArgExt for CompleteAs {}

impl CompleteAs {
    /// The kind `arg` declares, if any.
    pub fn of(arg: &Arg) -> Option<CompleteAs> {
        arg.get::<CompleteAs>().copied()
    }
}

/// The extensions a manifest file has, as kubectl completes its own `-f`.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Platforms offered for [`CompleteAs::Platform`]; any other `os/arch[/variant]` is accepted as
/// typed.
const PLATFORMS: [&str; 7] = [
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/ppc64le",
    "linux/s390x",
    "linux/386",
    "windows/amd64",
];

/// Completes a value of `arg` in `current`; `prefix` is the part of `current` written before
/// the value (`--flag=`), and before each candidate.
pub(super) fn values(
    arg: &Arg,
    current: &str,
    prefix: &str,
    line: &Line,
    sources: &Sources,
) -> Completions {
    let partial = &current[prefix.len()..];
    let names = |names: Vec<(String, Option<String>)>| {
        let candidates = names
            .into_iter()
            .filter(|(name, _)| name.starts_with(partial))
            .map(|(name, description)| Candidate::new(format!("{prefix}{name}"), description))
            .collect();
        Completions::new(candidates, directive::NO_FILE_COMP)
    };
    let kubeconfig = line.value_of(CompleteAs::Kubeconfig).map(Path::new);
    let context = line.value_of(CompleteAs::Context);

    match CompleteAs::of(arg) {
        // The shell filters files by extension only for a word of its own.
        Some(CompleteAs::Manifests) if prefix.is_empty() => {
            let extensions = MANIFEST_EXTENSIONS
                .iter()
                .map(|extension| Candidate::new(*extension, None))
                .collect();
            return Completions::new(extensions, directive::FILTER_FILE_EXT);
        }
        Some(CompleteAs::Context) => return names(lookup::contexts(sources, kubeconfig)),
        Some(CompleteAs::Namespace) => {
            let found = lookup::namespaces(sources, kubeconfig, context);
            return names(found.into_iter().map(|name| (name, None)).collect());
        }
        Some(CompleteAs::Platform) => {
            return names(PLATFORMS.iter().map(|p| (p.to_string(), None)).collect());
        }
        Some(kind @ (CompleteAs::Workload | CompleteAs::WorkloadOrPath)) => {
            let also_paths = kind == CompleteAs::WorkloadOrPath;
            return workload_values(partial, prefix, also_paths, line, sources);
        }
        // Paths: by their value hint.
        Some(CompleteAs::Manifests | CompleteAs::Kubeconfig) | None => {}
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
        ValueHint::DirPath => Completions::files(directive::FILTER_DIRS),
        ValueHint::AnyPath
        | ValueHint::FilePath
        | ValueHint::ExecutablePath
        | ValueHint::CommandName => Completions::files(directive::DEFAULT),
        // A positional without a kind: files, as cobra completes arguments.
        ValueHint::Unknown if arg.is_positional() => Completions::files(directive::DEFAULT),
        _ => Completions::none(),
    }
}

/// `TYPE/NAME`: before the `/`, the kinds (no space after them); after it, the names of that
/// kind in the namespace the line names. Where the same value may also be a path, a word that
/// starts no kind is a file name, and so is an empty one.
fn workload_values(
    current: &str,
    prefix: &str,
    also_paths: bool,
    line: &Line,
    sources: &Sources,
) -> Completions {
    match current.split_once('/') {
        Some((kind, partial)) => {
            let found = lookup::workloads(
                sources,
                line.value_of(CompleteAs::Kubeconfig).map(Path::new),
                line.value_of(CompleteAs::Context),
                line.value_of(CompleteAs::Namespace),
                kind,
            );
            if found.is_empty() && also_paths {
                return Completions::files(directive::DEFAULT);
            }
            let candidates = found
                .into_iter()
                .filter(|name| name.starts_with(partial))
                .map(|name| Candidate::new(format!("{prefix}{kind}/{name}"), None))
                .collect();
            Completions::new(candidates, directive::NO_FILE_COMP)
        }
        None => {
            if also_paths && current.is_empty() {
                return Completions::files(directive::DEFAULT);
            }
            let candidates: Vec<Candidate> = lookup::WORKLOAD_KINDS
                .iter()
                .map(|(kind, _)| *kind)
                .filter(|kind| kind.starts_with(current))
                .map(|kind| Candidate::new(format!("{prefix}{kind}/"), None))
                .collect();
            if candidates.is_empty() && also_paths {
                return Completions::files(directive::DEFAULT);
            }
            Completions::new(candidates, directive::NO_SPACE | directive::NO_FILE_COMP)
        }
    }
}
