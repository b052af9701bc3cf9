//! `pin`'s workflow: check, verify, or resolve and write (in place, with the lock file, all or
//! nothing). Writing to stdout and the summary are the command's.

use std::collections::HashMap;

use anyhow::Context as _;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use super::Reporter;
use super::resolve::{
    FoundImage, PinnedTags, Resolution, ResolveSettings, line_problem, read_and_find,
};
use super::signatures::{Checked, refused_problems, resolve_and_check};
use crate::adapters::fs;
use crate::adapters::registry::{RegistryClient, RegistryError};
use crate::core::findings::{Finding, FindingKind};
use crate::core::lock::lock_key;
use crate::core::problem::Problem;
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
        return Ok(PinOutcome::Checked {
            unpinned,
            images: found.images.len(),
            unset: found.unset,
            unpinnable: found.unpinnable,
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
            problems.extend(refused.into_iter().map(|refused| {
                let image = &resolution.found.images[refused.image];
                let message = format!("{}: {}", image.located.value, refused.message);
                finding(
                    FindingKind::UnverifiedSignature,
                    line_problem(&resolution.found.sources, image, message),
                    image,
                )
            }));
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

/// A finding of `kind` at `image`, printed in text as `problem`.
fn finding(kind: FindingKind, problem: Problem, image: &FoundImage) -> Finding {
    Finding {
        kind,
        problem,
        column: image.located.column,
        image: image.located.value.clone(),
    }
}

/// Writes the lock file (unless offline) and, in place, every changed file: everything is
/// staged before anything is renamed, so a failure leaves every file as it was. Pinned text is
/// written from the source's own bytes and the new values, never copied whole.
fn write_files(
    settings: &PinSettings,
    resolution: &Resolution,
    checked: &Checked,
) -> anyhow::Result<()> {
    let mut staged = Vec::new();
    if let (Some(path), false) = (&settings.resolve.lock, settings.resolve.offline) {
        let mut lock = resolution.lock(settings.resolve.platform.as_ref());
        checked.record(&mut lock);
        let text = lock.render();
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            staged.push(
                fs::stage(&fs::real_path(path), [text.as_bytes()])
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
        }
    }
    if settings.output == Output::InPlace {
        // Through symbolic links, so a base shared by links is pinned and the links stay; a
        // file reached by two paths is written once.
        let mut written = std::collections::HashSet::new();
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
                    fs::stage(&real, pieces)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                );
            }
        }
        fs::commit_all(staged).context("cannot replace a file")?;
    } else {
        fs::commit_all(staged).context("cannot write the lock file")?;
    }
    Ok(())
}
