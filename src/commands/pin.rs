//! `kubectl immutable pin`: find every image, resolve each distinct tag once, splice the digests in.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::ExitStatus;
use super::reporter::Terminal;
use crate::adapters::registry::RegistryClient;
use crate::cli::{PinArgs, ReportFormat};
use crate::core::problem::Problem;
use crate::core::rewrite::write_concatenated;
use crate::ops::pin::{Output, PinOutcome, PinSettings, pin};
use crate::ops::resolve::{DockerSettings, PinnedImage, PinnedTags, Resolution, distinct};
use crate::settings::resolve_settings;

pub async fn run(args: PinArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let output = match (args.check, args.in_place) {
        (true, _) => Output::Check,
        (false, true) => Output::InPlace,
        (false, false) => Output::Stdout,
    };
    if output == Output::InPlace && args.sources.filenames.iter().any(|f| f == "-") {
        anyhow::bail!("--in-place cannot rewrite stdin (-f -)");
    }
    let mut resolve = resolve_settings(args.sources, args.resolve)?;
    resolve.digest_only = args.digest_only;
    resolve.docker = Some(DockerSettings {
        kind: args.kind,
        pin_syntax: args.pin_syntax,
    });
    let pinned_tags = match (args.verify, args.refresh) {
        (true, _) => PinnedTags::Resolve,
        (false, true) => PinnedTags::Refresh,
        (false, false) => PinnedTags::Leave,
    };
    let settings = PinSettings {
        resolve,
        output,
        pinned_tags,
    };
    // Cheap to make: its HTTP clients, and the root certificates they load, are made when a
    // registry is first asked, so `--offline` never makes one.
    let client = RegistryClient::new(settings.resolve.registry.clone());
    match pin(&settings, &client, &Terminal::new(quiet)).await? {
        PinOutcome::Checked {
            unpinned,
            images,
            unset,
            unpinnable,
        } => {
            let mut stdout = std::io::stdout().lock();
            for image in unpinned.iter().chain(&unpinnable) {
                writeln!(stdout, "{image}")?;
            }
            if !quiet {
                eprintln!(
                    "{} of {images} images are not pinned{}{}",
                    unpinned.len(),
                    unpinnable_note(&unpinnable),
                    unset_note(unset)
                );
            }
            Ok(ExitStatus::found_if(
                !unpinned.is_empty() || !unpinnable.is_empty(),
            ))
        }
        PinOutcome::Unverified(problems) => {
            let mut stderr = std::io::stderr().lock();
            for problem in &problems {
                writeln!(stderr, "{problem}")?;
            }
            Ok(ExitStatus::Found)
        }
        PinOutcome::Pinned(resolution) => {
            if output == Output::Stdout {
                let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
                let sources = resolution.found.sources.len();
                write_concatenated(&mut stdout, (0..sources).map(|i| resolution.pieces(i)))?;
                stdout.flush()?;
            }
            if let Some(format) = args.report {
                let entries: Vec<&PinnedImage> = resolution
                    .pinned
                    .iter()
                    .chain(&resolution.refreshed)
                    .collect();
                write_report(format, args.report_file.as_deref(), &entries)?;
            }
            if !quiet {
                for problem in &resolution.found.unpinnable {
                    eprintln!("warning: {problem}");
                }
                if pinned_tags == PinnedTags::Refresh {
                    eprintln!("{}", refresh_summary(&resolution));
                }
                // After a refresh, the pin line only where it pinned something.
                if pinned_tags != PinnedTags::Refresh || !resolution.pinned.is_empty() {
                    eprintln!("{}", summary(&resolution));
                }
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn write_report(
    format: ReportFormat,
    path: Option<&Path>,
    entries: &[&PinnedImage],
) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(entries)?;
            text.push('\n');
            match path {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stderr().write_all(text.as_bytes())?,
            }
        }
    }
    Ok(())
}

/// One line: how many `tag@digest` values `--refresh` moved, of how many distinct tags, in how
/// many files.
fn refresh_summary(resolution: &Resolution) -> String {
    let refreshed = &resolution.refreshed;
    let tags: std::collections::BTreeSet<&str> = refreshed
        .iter()
        .filter_map(|entry| entry.original.split('@').next())
        .collect();
    let files: std::collections::BTreeSet<&str> =
        refreshed.iter().map(|entry| entry.file.as_str()).collect();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "refreshed {} ({} moved) in {}",
        plural(refreshed.len(), "image"),
        plural(tags.len(), "tag"),
        plural(files.len(), "file")
    )
}

/// One line: what was pinned, what already was, and from which registries (as written,
/// whatever mirror served them).
fn summary(resolution: &Resolution) -> String {
    let found = &resolution.found;
    let pinned = &resolution.pinned;
    let already = found.images.len() - pinned.len();
    let distinct = distinct(found.unpinned().map(|image| &image.reference));
    let mut per_registry: BTreeMap<String, usize> = BTreeMap::new();
    for reference in &distinct {
        *per_registry
            .entry(reference.domain().to_string())
            .or_default() += 1;
    }
    let from = if resolution.from_lock {
        "the lock file".to_string()
    } else {
        per_registry
            .iter()
            .map(|(host, count)| format!("{host} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let files = found.sources.len();
    let mut line = format!(
        "pinned {} image{} ({} distinct) in {files} file{}; {already} already pinned",
        pinned.len(),
        if pinned.len() == 1 { "" } else { "s" },
        distinct.len(),
        if files == 1 { "" } else { "s" },
    );
    if !distinct.is_empty() {
        line.push_str(&format!("; from {from}"));
    }
    line.push_str(&unpinnable_note(&found.unpinnable));
    line.push_str(&unset_note(found.unset));
    line
}

/// `; N not pinnable`, where references cannot be pinned where they are written.
fn unpinnable_note(unpinnable: &[Problem]) -> String {
    match unpinnable.len() {
        0 => String::new(),
        n => format!("; {n} not pinnable"),
    }
}

/// `; N empty image fields left to their operator's default`, where there are some.
fn unset_note(unset: usize) -> String {
    match unset {
        0 => String::new(),
        1 => "; 1 empty image field left to its operator's default".into(),
        n => format!("; {n} empty image fields left to their operator's default"),
    }
}
