//! Finding every image of a set of sources and resolving each distinct tag once, from the
//! registries or from a lock file: what `pin`, `apply` and `diff -f` share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context as _;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use serde::Serialize;

use super::Reporter;
use super::sources;
use crate::adapters::fs::{self, Links, Source};
use crate::adapters::registry::{DigestSource, RegistryError, RegistrySettings};
use crate::core::image_paths::ImagePath;
use crate::core::locate::{LocatedImage, locate_in_parallel};
use crate::core::lock::{LockFile, lock_key};
use crate::core::platform::Platform;
use crate::core::problem::{Position, Problem, Problems};
use crate::core::reference::{Digest, ImageReference, shortened};
use crate::core::rewrite::{self, Replacement, splice};
use crate::core::source_kind::SourceKind;
use crate::core::{compose, dockerfile};

/// How manifests are read and their images resolved: flags merged with the config file.
#[derive(Debug)]
pub struct ResolveSettings {
    pub filenames: Vec<String>,
    pub recursive: bool,
    /// Where a directory's symbolic links may lead.
    pub links: Links,
    pub rules: Vec<ImagePath>,
    pub digest_only: bool,
    pub platform: Option<Platform>,
    pub lock: Option<PathBuf>,
    pub offline: bool,
    pub registry: RegistrySettings,
    /// Images (as written, or by name) that may stay unpinned when they cannot be resolved.
    pub allow_unpinned: Vec<String>,
    /// `pin` reads Dockerfiles and Compose files too; `None` reads manifests only.
    pub docker: Option<DockerSettings>,
}

/// How `pin` reads Dockerfiles and Compose files.
#[derive(Debug, Clone, Copy, Default)]
pub struct DockerSettings {
    /// `--kind`: every source is of this kind, whatever its name.
    pub kind: Option<SourceKind>,
    /// `--pin-syntax`: a Dockerfile's `# syntax=` frontend image is pinned too.
    pub pin_syntax: bool,
}

/// What becomes of images already written as `tag@digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinnedTags {
    /// Left as written, their tags not asked about.
    Leave,
    /// Their tags resolved too, for `--verify` to compare; nothing rewritten.
    Resolve,
    /// Their tags resolved, and the digest rewritten where the tag now points elsewhere.
    Refresh,
}

/// An image value found in a source, with its parsed reference.
pub struct FoundImage {
    pub source: usize,
    pub located: LocatedImage,
    pub reference: ImageReference,
}

impl FoundImage {
    /// Where the value is written, for messages.
    pub fn problem(&self, sources: &[Source], message: impl std::fmt::Display) -> Problem {
        Problem::at(
            &sources[self.source].name,
            Some(Position::at(self.located.line, self.located.column)),
            message,
        )
    }
}

/// `FILE:LINE: message` for an image, as `--check` and `--verify` list them.
pub fn line_problem(
    sources: &[Source],
    image: &FoundImage,
    message: impl std::fmt::Display,
) -> Problem {
    Problem::at(
        &sources[image.source].name,
        Some(Position::line(image.located.line)),
        message,
    )
}

/// Every source with its images found and parsed.
pub struct Found {
    pub sources: Vec<Source>,
    pub images: Vec<FoundImage>,
    /// Empty single image fields (`spec.image: ""` of a Prometheus): not set, so the operator
    /// uses its default; left as they are.
    pub unset: usize,
    /// References that cannot be pinned where they are written (interpolated, an ARG without a
    /// default), each located: left as they are, an error under `--check`.
    pub unpinnable: Vec<Problem>,
}

impl Found {
    /// The images written without a digest.
    pub fn unpinned(&self) -> impl Iterator<Item = &FoundImage> {
        self.images
            .iter()
            .filter(|image| image.reference.digest().is_none())
    }
}

/// Reads every source and finds its images; every problem in them is reported.
pub fn read_and_find(settings: &ResolveSettings) -> Result<Found, Problems> {
    let sources = sources::read_with(
        &settings.filenames,
        settings.recursive,
        settings.docker.is_some(),
        settings.links,
    )?;
    let (images, unset, unpinnable) = find_images(&sources, settings)?;
    Ok(Found {
        sources,
        images,
        unset,
        unpinnable,
    })
}

/// What kind of source `source` is: `--kind`, else its file name's; manifests where `pin` does
/// not read Docker's files.
fn source_kind(source: &Source, docker: Option<&DockerSettings>) -> SourceKind {
    let Some(docker) = docker else {
        return SourceKind::Kubernetes;
    };
    docker.kind.unwrap_or_else(|| {
        source
            .path
            .as_ref()
            .and_then(|path| path.file_name())
            .and_then(|name| name.to_str())
            .map_or(SourceKind::Kubernetes, SourceKind::of_name)
    })
}

/// The image values of `source` and the problems of its kind's own, and the located references
/// that cannot be pinned.
fn locate_source(source: &Source, settings: &ResolveSettings) -> Located {
    let name = &source.name;
    match source_kind(source, settings.docker.as_ref()) {
        SourceKind::Kubernetes => {
            let (images, problems) = locate_in_parallel(&source.text, &settings.rules);
            let problems = problems.iter().map(|e| Problem::located(name, e)).collect();
            (images, problems, Vec::new())
        }
        SourceKind::Dockerfile => {
            let pin_syntax = settings.docker.is_some_and(|d| d.pin_syntax);
            let scan = dockerfile::scan(&source.text, pin_syntax);
            let located = |findings: &[dockerfile::Finding]| {
                findings.iter().map(|f| Problem::located(name, f)).collect()
            };
            (
                scan.images,
                located(&scan.errors),
                located(&scan.unpinnable),
            )
        }
        SourceKind::Compose => {
            let extended = extended_files(source, &settings.filenames);
            let scan = compose::scan(&source.text, &extended);
            let problems = scan
                .errors
                .iter()
                .map(|e| Problem::located(name, e))
                .collect();
            let interpolated = scan
                .interpolated
                .iter()
                .map(|image| (image, "interpolated by Compose; not pinnable"));
            let others = scan
                .unpinnable
                .iter()
                .map(|(image, why)| (image, why.as_str()));
            let mut unpinnable: Vec<Problem> = interpolated
                .chain(others)
                .map(|(image, why)| {
                    Problem::at(
                        name,
                        Some(Position::at(image.line, image.column)),
                        format_args!("{}: {why}", image.value),
                    )
                })
                .collect();
            unpinnable.sort_by_key(|problem| problem.position.map(|p| (p.line, p.column)));
            (scan.images, problems, unpinnable)
        }
    }
}

/// [`locate_source`] of every source, many small sources spread over every core (a large one
/// uses every core by itself).
fn locate_sources(sources: &[Source], settings: &ResolveSettings) -> Vec<Located> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || sources.len() < 2 {
        return sources.iter().map(|s| locate_source(s, settings)).collect();
    }
    let chunk = sources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|source| locate_source(source, settings))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("the locator does not panic"))
            .collect()
    })
}

/// A source's image values, its problems, and the references that cannot be pinned.
type Located = (Vec<LocatedImage>, Vec<Problem>, Vec<Problem>);

/// Each file a Compose file's services extend (`extends: {file: …}`), by the name written
/// there, read beside the Compose file: its text, or why it is refused; one that does not exist
/// is left out. Only regular files inside the project's tree are read ([`project_roots`]).
fn extended_files(source: &Source, filenames: &[String]) -> compose::Extended {
    let dir = source
        .path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    let roots = project_roots(source, filenames);
    compose::extended_files(&source.text)
        .into_iter()
        .filter_map(|file| {
            let read = fs::read_referenced(&dir.join(&file), &roots).transpose()?;
            Some((file, read))
        })
        .collect()
}

/// The trees a Compose file's `extends` may read from: the current directory (the checkout a
/// CI job runs in), and the directory named by `-f` that the file was found in, or else the
/// Compose file's own directory (Compose's project directory). As kustomize's load restrictor
/// keeps a kustomization's files under its root, so that a pull request cannot make a CI run
/// read `/dev/zero`, a FIFO, or a file outside the checkout through a link or `../`; docker
/// compose itself reads any path.
fn project_roots<'a>(source: &'a Source, filenames: &'a [String]) -> Vec<&'a Path> {
    let Some(path) = source.path.as_deref() else {
        return vec![Path::new(".")];
    };
    let named = filenames
        .iter()
        .map(Path::new)
        .find(|dir| path.starts_with(dir) && dir.is_dir());
    let own = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    vec![Path::new("."), named.unwrap_or(own)]
}

/// Every image value of every source, how many single image fields are empty, and the
/// references that cannot be pinned; or every problem found in them.
type Images = (Vec<FoundImage>, usize, Vec<Problem>);

fn find_images(sources: &[Source], settings: &ResolveSettings) -> Result<Images, Problems> {
    let mut found = Vec::new();
    let mut unset = 0;
    let mut problems = Vec::new();
    let mut unpinnable = Vec::new();
    for (index, (source, located)) in sources
        .iter()
        .zip(locate_sources(sources, settings))
        .enumerate()
    {
        let (images, mut in_source, not_pinnable) = located;
        unpinnable.extend(not_pinnable);
        for located in images {
            if located.single_field && located.value.is_empty() {
                unset += 1;
                continue;
            }
            match ImageReference::parse(&located.value) {
                Ok(reference) => found.push(FoundImage {
                    source: index,
                    located,
                    reference,
                }),
                Err(error) => in_source.push(Problem::at(
                    &source.name,
                    Some(Position::at(located.line, located.column)),
                    format!(
                        "invalid image reference \"{}\": {error}",
                        shortened(&located.value).escape_debug()
                    ),
                )),
            }
        }
        in_source.sort_by_key(|problem| problem.position.map(|p| (p.line, p.column)));
        problems.extend(in_source);
    }
    Problems::or(problems, (found, unset, unpinnable))
}

/// The sources with every tag resolved, and the new values to splice in.
pub struct Resolution {
    pub found: Found,
    pub digests: HashMap<String, Result<Digest, RegistryError>>,
    /// Each source's new values, in position order (none where nothing changed).
    pub replacements: Vec<Vec<Replacement>>,
    /// Each source's new text where it changed, spliced on first use by [`Resolution::texts`].
    spliced: OnceLock<Vec<Option<String>>>,
    pub pinned: Vec<PinnedImage>,
    /// `tag@digest` values whose digest `--refresh` rewrote.
    pub refreshed: Vec<PinnedImage>,
    pub from_lock: bool,
}

/// One image value pinned: where it is, what it was, what it became.
#[derive(Debug, Serialize)]
pub struct PinnedImage {
    pub file: String,
    pub line: usize,
    pub original: String,
    pub pinned: String,
    pub digest: String,
    /// The digest written before, for a `tag@digest` that `--refresh` moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_digest: Option<String>,
    pub platform: Option<String>,
}

impl Resolution {
    /// Each source's text after pinning, spliced into new strings (once) where it changed.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let spliced = self.spliced.get_or_init(|| {
            self.found
                .sources
                .iter()
                .zip(&self.replacements)
                .map(|(source, new)| (!new.is_empty()).then(|| splice(&source.text, new)))
                .collect()
        });
        self.found
            .sources
            .iter()
            .zip(spliced)
            .map(|(source, output)| output.as_deref().unwrap_or(&source.text))
    }

    /// Source `index`'s text after pinning as the slices it is made of (its own text between the
    /// new values, and the new values), for writing without a copy of the source.
    pub fn pieces(&self, index: usize) -> impl Iterator<Item = &str> + Clone {
        rewrite::pieces(&self.found.sources[index].text, &self.replacements[index])
    }

    /// The lock file of what was resolved.
    pub fn lock(&self, platform: Option<&Platform>) -> LockFile {
        let mut lock = LockFile::new(platform.map(ToString::to_string));
        for (key, digest) in &self.digests {
            if let Ok(digest) = digest {
                lock.images.insert(key.clone(), digest.clone());
            }
        }
        lock
    }
}

/// Called with each reference the moment its digest resolves, and that digest.
pub type OnResolved<'a> = &'a (dyn Fn(&ImageReference, &str) + Sync);

/// Resolves every distinct tag once (from the lock file with `offline`, else from `registry`)
/// and finds the new values. Every reference that does not resolve is reported, at every place
/// it is written, unless `allow_unpinned` names it. `pinned_tags` says what becomes of
/// `tag@digest` values. `on_resolved` hears of each digest resolved, as it resolves.
pub async fn resolve(
    settings: &ResolveSettings,
    registry: &impl DigestSource,
    found: Found,
    pinned_tags: PinnedTags,
    reporter: &dyn Reporter,
    on_resolved: OnResolved<'_>,
) -> anyhow::Result<Resolution> {
    match offline_lock(settings)? {
        Some(lock) => {
            let source = LockSource(&lock);
            resolve_from(settings, &source, found, pinned_tags, reporter, on_resolved).await
        }
        None => {
            resolve_from(
                settings,
                registry,
                found,
                pinned_tags,
                reporter,
                on_resolved,
            )
            .await
        }
    }
}

/// The lock file that `--offline` resolves from, read and checked against `--platform`.
pub fn offline_lock(settings: &ResolveSettings) -> anyhow::Result<Option<LockFile>> {
    match (&settings.lock, settings.offline) {
        (Some(path), true) => Ok(Some(read_lock(path, settings.platform.as_ref())?)),
        _ => Ok(None),
    }
}

/// [`resolve`] from `source`: the lock file's digests with `--offline`, else a registry client.
async fn resolve_from(
    settings: &ResolveSettings,
    source: &impl DigestSource,
    found: Found,
    pinned_tags: PinnedTags,
    reporter: &dyn Reporter,
    on_resolved: OnResolved<'_>,
) -> anyhow::Result<Resolution> {
    let from = if settings.offline {
        "lock file"
    } else {
        "registries"
    };
    let to_resolve: Vec<&ImageReference> = distinct(
        found
            .images
            .iter()
            .filter(|image| image.reference.digest().is_none() || pinned_tags != PinnedTags::Leave)
            .filter(|image| image.reference.tag_or_latest().is_some())
            .map(|image| &image.reference),
    );
    let digests = resolve_all(source, &to_resolve, settings, from, reporter, on_resolved).await;
    report_failures(&found, &digests, &settings.allow_unpinned)?;

    let mut pinned = Vec::new();
    let mut refreshed = Vec::new();
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); found.sources.len()];
    let platform = settings.platform.as_ref().map(ToString::to_string);
    for image in &found.images {
        let Some(Ok(digest)) = digests.get(&lock_key(&image.reference)) else {
            continue;
        };
        let (value, old_digest) = match image.reference.digest() {
            None => (
                image
                    .located
                    .pinned(&image.reference, digest, settings.digest_only),
                None,
            ),
            // Only the digest of a `tag@digest` moves; `name@digest` has no tag to follow.
            Some(old)
                if pinned_tags == PinnedTags::Refresh
                    && image.reference.tag().is_some()
                    && old != digest.as_str() =>
            {
                let Some(value) = image.located.refreshed(old, digest) else {
                    continue;
                };
                (value, Some(old.to_string()))
            }
            Some(_) => continue,
        };
        replacements[image.source].push(Replacement::pin(
            image.located.span.clone(),
            &value,
            image.located.style,
            digest,
            image.located.written.as_deref(),
        )?);
        let entry = PinnedImage {
            file: found.sources[image.source].name.clone(),
            line: image.located.line,
            original: image.located.value.clone(),
            pinned: value,
            digest: digest.to_string(),
            old_digest,
            platform: platform.clone(),
        };
        if entry.old_digest.is_some() {
            refreshed.push(entry);
        } else {
            pinned.push(entry);
        }
    }
    Ok(Resolution {
        found,
        digests,
        replacements,
        spliced: OnceLock::new(),
        pinned,
        refreshed,
        from_lock: settings.offline,
    })
}

/// Each reference once, by the key it is resolved and locked under, in key order.
pub fn distinct<'a>(
    references: impl Iterator<Item = &'a ImageReference>,
) -> Vec<&'a ImageReference> {
    let mut seen = HashMap::new();
    for reference in references {
        seen.entry(lock_key(reference)).or_insert(reference);
    }
    let mut distinct: Vec<_> = seen.into_values().collect();
    distinct.sort_by_key(|reference| lock_key(reference));
    distinct
}

/// Digests from a lock file read with `--offline`.
pub struct LockSource<'a>(pub &'a LockFile);

impl DigestSource for LockSource<'_> {
    async fn digest(
        &self,
        reference: &ImageReference,
        _platform: Option<&Platform>,
    ) -> Result<Digest, RegistryError> {
        self.0
            .images
            .get(&lock_key(reference))
            .cloned()
            .ok_or(RegistryError::NotLocked)
    }
}

fn read_lock(path: &Path, platform: Option<&Platform>) -> anyhow::Result<LockFile> {
    let lock = read_lock_file(path)?;
    let wanted = platform.map(ToString::to_string);
    if lock.platform != wanted {
        anyhow::bail!(
            "{} was made for {}, not for {}",
            path.display(),
            lock.platform.as_deref().unwrap_or("no --platform"),
            wanted.as_deref().unwrap_or("no --platform")
        );
    }
    Ok(lock)
}

/// The lock file at `path`, read (at most [`fs::INPUT_LIMIT`], as every input) and parsed.
pub fn read_lock_file(path: &Path) -> anyhow::Result<LockFile> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read lock file {}", path.display()))?;
    LockFile::parse(&text).map_err(|error| {
        Problems::from(Problem::located(&path.display().to_string(), &error)).into()
    })
}

/// Resolves every distinct reference once, all at once: the registry client bounds what each
/// host gets in flight (HTTP/1.1 connections; over HTTP/2, the server's stream limit).
async fn resolve_all(
    source: &impl DigestSource,
    references: &[&ImageReference],
    settings: &ResolveSettings,
    from: &str,
    reporter: &dyn Reporter,
    on_resolved: OnResolved<'_>,
) -> HashMap<String, Result<Digest, RegistryError>> {
    reporter.resolving(references.len(), from);
    let platform = settings.platform.as_ref();
    let results = references
        .iter()
        .map(|reference| async move {
            let digest = source.digest(reference, platform).await;
            if let Ok(digest) = &digest {
                on_resolved(reference, digest);
            }
            reporter.resolved_one();
            (lock_key(reference), digest)
        })
        .collect::<FuturesUnordered<_>>()
        .collect::<HashMap<_, _>>()
        .await;
    reporter.resolved_all();
    results
}

/// Every reference that did not resolve, named at every place it is written, unless it is
/// allowed to stay unpinned (named as written or by name).
fn report_failures(
    found: &Found,
    digests: &HashMap<String, Result<Digest, RegistryError>>,
    allow_unpinned: &[String],
) -> Result<(), Problems> {
    let allowed = |image: &FoundImage| {
        allow_unpinned
            .iter()
            .any(|a| *a == image.located.value || *a == image.reference.written_name())
    };
    let problems: Vec<Problem> = found
        .images
        .iter()
        .filter(|image| !allowed(image))
        .filter_map(|image| {
            let error = digests.get(&lock_key(&image.reference))?.as_ref().err()?;
            Some(image.problem(
                &found.sources,
                format_args!("{}: {error}", image.located.value),
            ))
        })
        .collect();
    Problems::or(problems, ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_file_is_read_up_to_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("immutable.lock");
        // Sparse: no disk used, and the read stops at the limit.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(fs::INPUT_LIMIT + 1).unwrap();
        let error = format!("{:#}", read_lock_file(&path).unwrap_err());
        assert_eq!(
            error,
            format!(
                "cannot read lock file {}: larger than 256 MiB, the most an input may hold",
                path.display()
            )
        );
        file.set_len(0).unwrap();
        std::fs::write(&path, "{\"version\": 1, \"images\": {}}").unwrap();
        assert!(read_lock_file(&path).unwrap().images.is_empty());
    }
}
