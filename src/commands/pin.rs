//! `kubectl immutable pin`: find every image, resolve each distinct tag once, splice the digests in.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::ExitStatus;
use super::reporter::Terminal;
use crate::adapters::registry::RegistryClient;
use crate::cli::{FindingsFormat, PinArgs, ReportFormat};
use crate::core::findings::{Finding, render_github, render_gitlab, render_sarif};
use crate::core::problem::Problem;
use crate::core::rewrite::write_concatenated;
use crate::ops::pin::{Output, PinOutcome, PinSettings, pin, report_json};
use crate::ops::resolve::{DockerSettings, PinnedTags, Resolution, distinct};
use crate::settings::{Config, resolve_settings, signature_policy};

pub async fn run(args: PinArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let output = match (args.check, args.in_place) {
        (true, _) => Output::Check,
        (false, true) => Output::InPlace,
        (false, false) => Output::Stdout,
    };
    if output == Output::InPlace && args.sources.filenames.iter().any(|f| f == "-") {
        anyhow::bail!("--in-place cannot rewrite stdin (-f -)");
    }
    if args.format != FindingsFormat::Text && !args.check && !args.verify {
        anyhow::bail!("--format reports what --check or --verify find: add one of them");
    }
    let signatures = signature_policy(
        args.sources.config.as_deref(),
        args.signatures.signature_policy.as_deref(),
    )?;
    // Read besides the manifests: no output may replace them either.
    let settings_files = [
        Config::path(args.sources.config.as_deref()),
        args.signatures.signature_policy.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
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
        signatures,
        report_file: args.report_file.clone(),
        settings_files,
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
            unverified,
        } => {
            let mut stdout = super::stdout();
            if args.format == FindingsFormat::Text {
                for image in unpinned.iter().chain(&unverified) {
                    writeln!(stdout, "{}", image.problem)?;
                }
                for problem in &unpinnable {
                    writeln!(stdout, "{problem}")?;
                }
            } else {
                write_findings(args.format, &[&unpinned[..], &unverified].concat())?;
                // References no digest can be written into have no finding kind of their own
                // in these formats: they are errors.
                super::print_errors(&unpinnable);
            }
            if !quiet {
                eprintln!(
                    "{} of {images} images are not pinned{}{}{}",
                    unpinned.len(),
                    unverified_note(&unverified),
                    unpinnable_note(&unpinnable),
                    unset_note(unset)
                );
            }
            Ok(ExitStatus::found_if(
                !unpinned.is_empty() || !unpinnable.is_empty() || !unverified.is_empty(),
            ))
        }
        PinOutcome::Unverified(findings) => {
            if args.format == FindingsFormat::Text {
                let mut stderr = std::io::stderr().lock();
                for finding in &findings {
                    writeln!(stderr, "{}", finding.problem)?;
                }
            } else {
                write_findings(args.format, &findings)?;
            }
            Ok(ExitStatus::Found)
        }
        PinOutcome::Pinned(resolution, checked) => {
            if args.format != FindingsFormat::Text {
                // --verify found nothing: an empty report, not the manifests.
                write_findings(args.format, &[])?;
            } else if output == Output::Stdout {
                let mut stdout = std::io::BufWriter::new(super::stdout());
                let sources = resolution.found.sources.len();
                write_concatenated(&mut stdout, (0..sources).map(|i| resolution.pieces(i)))?;
                stdout.flush()?;
            }
            // With --report-file, written with the other files.
            if let (Some(ReportFormat::Json), None) = (args.report, &args.report_file) {
                std::io::stderr().write_all(report_json(&resolution, &checked).as_bytes())?;
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

/// What --check or --verify found, in a CI system's format, on stdout; paths relative to the
/// working directory.
fn write_findings(format: FindingsFormat, findings: &[Finding]) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().ok();
    let findings: Vec<Finding> = findings
        .iter()
        .map(|finding| {
            let mut finding = finding.clone();
            if let Some(source) = &mut finding.problem.source
                && source != "-"
            {
                *source = relative(Path::new(source.as_str()), cwd.as_deref());
            }
            finding
        })
        .collect();
    let text = match format {
        FindingsFormat::Text => unreachable!("text is printed as problems"),
        FindingsFormat::Github => render_github(&findings),
        FindingsFormat::Gitlab => render_gitlab(&findings),
        FindingsFormat::Sarif => render_sarif(&findings, env!("CARGO_PKG_VERSION")),
    };
    super::stdout().write_all(text.as_bytes())?;
    Ok(())
}

/// `path` relative to `cwd` where it is under it, without `./`, with `/` between components.
fn relative(path: &Path, cwd: Option<&Path>) -> String {
    let path = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let parts: Vec<String> = path
        .components()
        .filter(|part| !matches!(part, std::path::Component::CurDir))
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    let joined = parts.join("/");
    if path.is_absolute() && !joined.starts_with('/') {
        format!("/{}", joined.trim_start_matches('/'))
    } else {
        joined
    }
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

/// `; N digests not verified by the lock file's signature records`, where there are some.
fn unverified_note(unverified: &[Finding]) -> String {
    match unverified.len() {
        0 => String::new(),
        1 => "; 1 digest not verified by the lock file's signature records".into(),
        n => format!("; {n} digests not verified by the lock file's signature records"),
    }
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
