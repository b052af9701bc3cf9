//! `pin`'s workflow: check, verify, or resolve and write (in place, with the lock file, all or
//! nothing). Writing to stdout and the summary are the command's.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use super::Reporter;
use super::resolve::{
    Found, FoundImage, PinnedImage, PinnedTags, Resolution, ResolveSettings, line_problem,
    read_and_find, read_lock_file,
};
use super::signatures::{Checked, Refused, check_written, refused_problems, resolve_and_check};
use crate::adapters::fs;
use crate::adapters::registry::{RegistryClient, RegistryError};
use crate::core::findings::{Finding, FindingKind};
use crate::core::lock::lock_key;
use crate::core::problem::{Problem, Problems};
use crate::core::reference::ImageReference;
use crate::core::signature::Outcome;
use crate::core::signature::SignaturePolicy;

/// What `pin` does with what it resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    InPlace,
    Check,
}

/// `pin`'s settings: how to resolve, and what to do with the result.
#[derive(Debug)]
pub struct PinSettings {
    pub resolve: ResolveSettings,
    pub output: Output,
    /// What becomes of `tag@digest` values: left (a plain pin), resolved (`--verify`), or
    /// moved to where their tags point now (`--refresh`).
    pub pinned_tags: PinnedTags,
    /// The digests written must be signed as this policy says.
    pub signatures: Option<SignaturePolicy>,
    /// `--report json --report-file FILE`: written with the files and the lock file, all or
    /// nothing.
    pub report_file: Option<PathBuf>,
    /// The config file and signature policy read: inputs no output may replace.
    pub settings_files: Vec<PathBuf>,
}

/// How a pin run ended.
pub enum PinOutcome {
    /// `--check`: the images without a digest (as `FILE:LINE: image` problems), of how many,
    /// and how many image fields were empty (left to their operator's default).
    Checked {
        unpinned: Vec<Finding>,
        images: usize,
        unset: usize,
        /// References that cannot be pinned where they are written: errors here.
        unpinnable: Vec<Problem>,
        /// With a signature policy and `--lock`: the digests written that the lock's records
        /// do not show verified.
        unverified: Vec<Finding>,
    },
    /// `--verify` found digests that are gone or tags that moved; nothing written.
    Unverified(Vec<Finding>),
    /// Resolved; in place, the files and the lock file are written. On stdout, the command
    /// writes the resolution's texts. With a signature policy, what it made of each digest
    /// written.
    Pinned(Resolution, Box<Checked>),
}

pub async fn pin(
    settings: &PinSettings,
    client: &RegistryClient,
    reporter: &dyn Reporter,
) -> anyhow::Result<PinOutcome> {
    let found = read_and_find(&settings.resolve)?;
    if settings.output != Output::Check {
        let report = settings.report_file.as_deref();
        let settings_files = &settings.settings_files;
        check_outputs(&settings.resolve, report, settings_files, &found.sources)?;
    }
    if settings.output == Output::Check {
        let unpinned = found
            .unpinned()
            .map(|image| {
                finding(
                    FindingKind::Unpinned,
                    line_problem(&found.sources, image, &image.located.value),
                    image,
                )
            })
            .collect();
        // With a policy and a lock file, the digests written are judged too, from the lock's
        // signature records alone: still no network.
        let unverified = match (&settings.signatures, &settings.resolve.lock) {
            (Some(policy), Some(path)) => {
                let lock = read_lock_file(path)?;
                match check_written(policy, &lock, path, &found) {
                    Ok(_) => Vec::new(),
                    Err(refused) => unverified_findings(&found, refused),
                }
            }
            _ => Vec::new(),
        };
        return Ok(PinOutcome::Checked {
            unpinned,
            images: found.images.len(),
            unset: found.unset,
            unpinnable: found.unpinnable,
            unverified,
        });
    }
    let (resolution, signatures) = resolve_and_check(
        &settings.resolve,
        client,
        found,
        settings.pinned_tags,
        settings.signatures.as_ref(),
        reporter,
    )
    .await?;
    let checked = if settings.pinned_tags == PinnedTags::Resolve {
        // `--verify` reports a refused signature as a finding beside the others.
        let mut problems = verify(client, &resolution).await;
        let checked = signatures.unwrap_or_else(|refused| {
            problems.extend(unverified_findings(&resolution.found, refused));
            Checked::default()
        });
        if !problems.is_empty() {
            return Ok(PinOutcome::Unverified(problems));
        }
        checked
    } else {
        signatures.map_err(|refused| refused_problems(&resolution, refused))?
    };
    write_files(settings, &resolution, &checked)?;
    Ok(PinOutcome::Pinned(resolution, Box::new(checked)))
}

/// `--verify`: every digest written must exist, and a tag written beside it must still point at it.
async fn verify(client: &RegistryClient, resolution: &Resolution) -> Vec<Finding> {
    let sources = &resolution.found.sources;
    let written: Vec<&FoundImage> = resolution
        .found
        .images
        .iter()
        .filter(|image| image.reference.digest().is_some())
        .collect();
    // All at once: the client bounds what each host gets in flight.
    let exists: HashMap<String, Result<bool, RegistryError>> = written
        .iter()
        .map(|image| async move {
            let reference = &image.reference;
            (reference.canonical(), client.digest_exists(reference).await)
        })
        .collect::<FuturesUnordered<_>>()
        .collect()
        .await;
    let mut problems = Vec::new();
    for image in written {
        let value = &image.located.value;
        let digest = image.reference.digest().expect("filtered on digest");
        match &exists[&image.reference.canonical()] {
            Err(error) => problems.push(finding(
                FindingKind::RegistryError,
                line_problem(sources, image, format_args!("{value}: {error}")),
                image,
            )),
            Ok(false) => problems.push(finding(
                FindingKind::MissingDigest,
                line_problem(
                    sources,
                    image,
                    format_args!("{value}: the digest does not exist"),
                ),
                image,
            )),
            Ok(true) => {}
        }
        if let (Some(_), Some(Ok(current))) = (
            image.reference.tag(),
            resolution.digests.get(&lock_key(&image.reference)),
        ) && current.as_str() != digest
        {
            problems.push(finding(
                FindingKind::MovedTag,
                line_problem(
                    sources,
                    image,
                    format_args!("{value}: the tag now points at {current}"),
                ),
                image,
            ));
        }
    }
    problems
}

/// Each digest the policy refused, as a finding where its image is written.
fn unverified_findings(found: &Found, refused: Vec<Refused>) -> Vec<Finding> {
    refused
        .into_iter()
        .map(|refused| {
            let image = &found.images[refused.image];
            let message = format!("{}: {}", image.located.value, refused.message);
            finding(
                FindingKind::UnverifiedSignature,
                line_problem(&found.sources, image, message),
                image,
            )
        })
        .collect()
}

/// A finding of `kind` at `image`, printed in text as `problem`.
fn finding(kind: FindingKind, problem: Problem, image: &FoundImage) -> Finding {
    Finding {
        kind,
        problem,
        column: image.located.column,
        image: image.located.value.clone(),
    }
}

/// One image of `--report json`: the pinned image and, with a signature policy, what it made of
/// the digest (which rule and key verified it).
#[derive(serde::Serialize)]
struct ReportEntry<'a> {
    #[serde(flatten)]
    image: &'a PinnedImage,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<&'a Outcome>,
}

/// `--report json`: every image pinned or refreshed.
pub fn report_json(resolution: &Resolution, checked: &Checked) -> String {
    let entries: Vec<ReportEntry> = resolution
        .pinned
        .iter()
        .chain(&resolution.refreshed)
        .map(|image| {
            let signature = ImageReference::parse(&image.original)
                .ok()
                .and_then(|reference| checked.outcome(&reference, &image.digest));
            ReportEntry { image, signature }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).expect("the report serializes");
    text.push('\n');
    text
}

/// Every file a run writes (the lock file unless offline, `report`), checked before the
/// registry is asked and anything is written: its folder exists, it is not an input (a file of
/// `sources`, of `settings_files` (the config file, the signature policy), or the lock file for
/// the report), and no two outputs are one file. Every collision is reported. `pin`, `apply`,
/// `diff -f` and `postrender` all check theirs here.
pub fn check_outputs(
    resolve: &ResolveSettings,
    report: Option<&Path>,
    settings_files: &[PathBuf],
    sources: &[fs::Source],
) -> Result<(), Problems> {
    let lock = resolve.lock.as_deref();
    let written_lock = lock.filter(|_| !resolve.offline);
    let outputs = [("--lock", written_lock), ("--report-file", report)];
    let mut problems = Vec::new();
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        let name = path.display().to_string();
        if let Some(folder) = fs::missing_folder(path) {
            problems.push(Problem::at(
                &name,
                None,
                format_args!("{flag}: the folder {} does not exist", folder.display()),
            ));
        } else if path.is_dir() {
            problems.push(Problem::at(
                &name,
                None,
                format_args!("{flag}: a folder, not a file"),
            ));
        }
        let input = sources
            .iter()
            .filter_map(|source| source.path.as_deref())
            .chain(settings_files.iter().map(PathBuf::as_path))
            .find(|input| fs::same_file(path, input));
        if let Some(input) = input {
            problems.push(Problem::at(
                &name,
                None,
                format_args!(
                    "{flag} names the input {}: refused, it would be replaced",
                    input.display()
                ),
            ));
        }
    }
    if let (Some(report), Some(lock)) = (report, lock)
        && fs::same_file(report, lock)
    {
        problems.push(Problem::at(
            &report.display().to_string(),
            None,
            "--report-file names the lock file: refused, it would be replaced",
        ));
    }
    Problems::or(problems, ())
}

/// Writes the lock file (unless offline), the report file and, in place, every changed file: everything is
/// staged before anything is renamed, so a failure leaves every file as it was, and a file
/// that changed since it was read leaves them all. Pinned text is written from the source's
/// own bytes and the new values, never copied whole. The temporaries a killed run left in the
/// folders written to are removed first.
fn write_files(
    settings: &PinSettings,
    resolution: &Resolution,
    checked: &Checked,
) -> anyhow::Result<()> {
    let mut staged: Vec<fs::StagedFile> = stage_lock(&settings.resolve, resolution, checked)?
        .into_iter()
        .collect();
    let report = settings
        .report_file
        .as_ref()
        .map(|path| (path, report_json(resolution, checked)));
    if let Some((path, text)) = &report {
        staged.push(
            fs::stage(&fs::real_path(path), None, [text.as_bytes()])
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
    }
    if settings.output == Output::InPlace {
        // Through symbolic links, so a base shared by links is pinned and the links stay; a
        // file reached by two paths is written once.
        let mut written = HashSet::new();
        for (index, source) in resolution.found.sources.iter().enumerate() {
            if let Some(path) = &source.path
                && !resolution.replacements[index].is_empty()
            {
                let real = fs::real_path(path);
                if !written.insert(real.clone()) {
                    continue;
                }
                let pieces = resolution.pieces(index).map(str::as_bytes);
                staged.push(
                    fs::stage(&real, Some(source.text.as_bytes()), pieces)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                );
            }
        }
    }
    commit(staged)
}

/// The lock file of what `resolution` resolved, with the rule and key that verified each digest,
/// staged for [`commit`]: `None` offline, without `--lock`, or where the file already holds it.
pub fn stage_lock(
    resolve: &ResolveSettings,
    resolution: &Resolution,
    checked: &Checked,
) -> anyhow::Result<Option<fs::StagedFile<'static>>> {
    let (Some(path), false) = (&resolve.lock, resolve.offline) else {
        return Ok(None);
    };
    let mut lock = resolution.lock(resolve.platform.as_ref());
    checked.record(&mut lock);
    let text = lock.render();
    if fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
        return Ok(None);
    }
    let staged = fs::stage(&fs::real_path(path), None, [text.as_bytes()])
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(staged))
}

/// Renames every staged file over its target, all or nothing, after removing the temporaries a
/// killed run left in their folders.
pub fn commit(staged: Vec<fs::StagedFile>) -> anyhow::Result<()> {
    let folders: HashSet<&Path> = staged.iter().filter_map(fs::StagedFile::folder).collect();
    for folder in folders {
        fs::remove_stale_temporaries(folder);
    }
    fs::commit_all(staged).map_err(|error| match error {
        fs::CommitError::Changed { ref name } => {
            Problems::from(Problem::at(name, None, &error)).into()
        }
        other => anyhow::Error::new(other),
    })
}
