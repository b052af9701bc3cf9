//! `kubectl immutable pin`: find every image, resolve each distinct tag once, splice the digests in.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use serde::Serialize;

use super::config::Config;
use super::{ExitStatus, Problems};
use crate::adapters::fs::{self, Source};
use crate::adapters::registry::{DigestSource, RegistryClient, RegistryError, RegistrySettings};
use crate::cli::{PinArgs, ReportFormat, ResolveArgs, SourceArgs};
use crate::core::image_paths::ImagePath;
use crate::core::locate::{LocateError, LocatedImage, locate_images};
use crate::core::lock::LockFile;
use crate::core::platform::Platform;
use crate::core::reference::ImageReference;
use crate::core::rewrite::{self, Replacement, splice};

/// `pin`'s flags resolved with the config file, before any I/O on manifests or registries.
/// How manifests are read and their images resolved, shared by `pin` and `apply`: flags merged
/// with the config file, before any I/O on manifests or registries.
#[derive(Debug)]
pub struct ResolveSettings {
    pub filenames: Vec<String>,
    pub recursive: bool,
    pub rules: Vec<ImagePath>,
    pub digest_only: bool,
    pub platform: Option<Platform>,
    pub lock: Option<PathBuf>,
    pub offline: bool,
    pub registry: RegistrySettings,
    pub concurrency: usize,
    /// Images (as written, or by name) that may stay unpinned when they cannot be resolved.
    pub allow_unpinned: Vec<String>,
    pub quiet: bool,
}

impl ResolveSettings {
    pub fn new(sources: SourceArgs, resolve: ResolveArgs, quiet: bool) -> anyhow::Result<Self> {
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
            quiet,
        })
    }
}

/// `pin`'s settings: how to resolve, and what to do with the result.
#[derive(Debug)]
pub struct PinSettings {
    pub resolve: ResolveSettings,
    pub output: Output,
    pub verify: bool,
    pub report: Option<(ReportFormat, Option<PathBuf>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    InPlace,
    Check,
}

impl PinSettings {
    pub fn new(args: PinArgs, quiet: bool) -> anyhow::Result<Self> {
        let output = match (args.check, args.in_place) {
            (true, _) => Output::Check,
            (false, true) => Output::InPlace,
            (false, false) => Output::Stdout,
        };
        if output == Output::InPlace && args.sources.filenames.iter().any(|f| f == "-") {
            anyhow::bail!("--in-place cannot rewrite stdin (-f -)");
        }
        let mut resolve = ResolveSettings::new(args.sources, args.resolve, quiet)?;
        resolve.digest_only = args.digest_only;
        Ok(PinSettings {
            resolve,
            output,
            verify: args.verify,
            report: args.report.map(|format| (format, args.report_file)),
        })
    }
}

pub fn run(args: PinArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let settings = PinSettings::new(args, quiet)?;
    super::runtime()?.block_on(pin(settings))
}

/// An image value found in a source, with its parsed reference.
struct FoundImage {
    source: usize,
    located: LocatedImage,
    reference: ImageReference,
}

/// Every image value of every source, or every problem found in them.
fn find_images(sources: &[Source], rules: &[ImagePath]) -> Result<Vec<FoundImage>, Problems> {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        match locate_in_parallel(&source.text, rules) {
            Ok(images) => {
                for located in images {
                    match ImageReference::parse(&located.value) {
                        Ok(reference) => found.push(FoundImage {
                            source: index,
                            located,
                            reference,
                        }),
                        Err(error) => problems.push(format!(
                            "{}:{}:{}: invalid image reference \"{}\": {error}",
                            source.name,
                            located.line,
                            located.column,
                            shortened(&located.value).escape_debug()
                        )),
                    }
                }
            }
            Err(error) => problems.push(format!("{}:{error}", source.name)),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(Problems(problems))
    }
}

/// A value as an error line shows it: whole up to 200 characters, else its start and `…`, so a
/// hostile 100 MB value does not become a 100 MB message.
fn shortened(value: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 200;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &value[..end]).into(),
        None => value.into(),
    }
}

/// Sources larger than this are split at document boundaries and located on every core.
const PARALLEL_THRESHOLD: usize = 4 << 20;

/// `locate_images` over a large stream on every core: YAML forbids a `---` line inside any
/// scalar, so each piece between such lines is a stream of whole documents; spans and lines are
/// shifted back into the whole. On an error the whole stream is located again, so the message is
/// exactly the one a single pass gives.
fn locate_in_parallel(text: &str, rules: &[ImagePath]) -> Result<Vec<LocatedImage>, LocateError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if text.len() < PARALLEL_THRESHOLD || threads < 2 {
        return locate_images(text, rules);
    }
    let mut starts = vec![0];
    for piece in 1..threads {
        let wanted = text.len() * piece / threads;
        if let Some(offset) = text[wanted..].find("\n---") {
            let start = wanted + offset + 1;
            let after = text.as_bytes().get(start + 3);
            if matches!(after, None | Some(b'\n' | b'\r' | b' ' | b'\t'))
                && start > *starts.last().expect("starts with 0")
            {
                starts.push(start);
            }
        }
    }
    starts.push(text.len());
    let pieces: Vec<(usize, &str)> = starts
        .windows(2)
        .map(|bounds| (bounds[0], &text[bounds[0]..bounds[1]]))
        .collect();
    let located: Vec<Result<Vec<LocatedImage>, LocateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|&(_, piece)| scope.spawn(move || locate_images(piece, rules)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("the locator does not panic"))
            .collect()
    });
    let mut images = Vec::new();
    for ((start, _), result) in pieces.iter().zip(located) {
        let Ok(found) = result else {
            return locate_images(text, rules);
        };
        let lines_before = text[..*start].bytes().filter(|&b| b == b'\n').count();
        images.extend(found.into_iter().map(|mut image| {
            image.span = image.span.start + start..image.span.end + start;
            image.line += lines_before;
            image
        }));
    }
    Ok(images)
}

/// The key a reference is resolved and locked under.
fn lock_key(reference: &ImageReference) -> String {
    let canonical = reference.canonical();
    match reference.digest() {
        // tag@digest: the tag is what gets resolved.
        Some(digest) => canonical
            .strip_suffix(&format!("@{digest}"))
            .unwrap_or(&canonical)
            .to_string(),
        None => canonical,
    }
}

/// Every source with its images found and parsed.
pub struct Found {
    pub sources: Vec<Source>,
    images: Vec<FoundImage>,
}

/// Reads every source and finds its images; every problem in them is reported.
pub fn read_and_find(settings: &ResolveSettings) -> Result<Found, Problems> {
    let sources = fs::read_sources(&settings.filenames, settings.recursive)
        .map_err(|errors| Problems(errors.iter().map(ToString::to_string).collect()))?;
    let images = find_images(&sources, &settings.rules)?;
    Ok(Found { sources, images })
}

/// The sources with every tag resolved, and the new values to splice in.
pub struct Resolution {
    pub found: Found,
    digests: HashMap<String, Result<String, RegistryError>>,
    /// Each source's new values, in position order (none where nothing changed).
    replacements: Vec<Vec<Replacement>>,
    /// Each source's new text where it changed, spliced on first use by [`Resolution::texts`].
    spliced: OnceLock<Vec<Option<String>>>,
    pub pinned: Vec<ReportEntry>,
    from_lock: bool,
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
    fn pieces(&self, index: usize) -> impl Iterator<Item = &str> + Clone {
        rewrite::pieces(&self.found.sources[index].text, &self.replacements[index])
    }
}

/// The lock file that `--offline` resolves from, read and checked against `--platform`.
fn offline_lock(settings: &ResolveSettings) -> anyhow::Result<Option<LockFile>> {
    match (&settings.lock, settings.offline) {
        (Some(path), true) => Ok(Some(read_lock(path, settings.platform.as_ref())?)),
        _ => Ok(None),
    }
}

/// Resolves every distinct tag once (from the lock file with `offline`, else from `client`'s
/// registries) and finds the new values. Every reference that does not resolve is reported, at
/// every place it is written, unless `allow_unpinned` names it.
pub async fn resolve(
    settings: &ResolveSettings,
    client: &RegistryClient,
    found: Found,
    include_pinned_tags: bool,
) -> anyhow::Result<Resolution> {
    match offline_lock(settings)? {
        Some(lock) => resolve_from(settings, &LockSource(&lock), found, include_pinned_tags).await,
        None => resolve_from(settings, client, found, include_pinned_tags).await,
    }
}

/// [`resolve`] from `source`: the lock file's digests with `--offline`, else a registry client.
async fn resolve_from(
    settings: &ResolveSettings,
    source: &impl DigestSource,
    found: Found,
    include_pinned_tags: bool,
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
            .filter(|image| image.reference.digest().is_none() || include_pinned_tags)
            .filter(|image| image.reference.tag_or_latest().is_some())
            .map(|image| &image.reference),
    );
    let digests = resolve_all(source, &to_resolve, settings, from).await;
    report_failures(&found, &digests, &settings.allow_unpinned)?;

    let mut pinned = Vec::new();
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); found.sources.len()];
    for image in found
        .images
        .iter()
        .filter(|image| image.reference.digest().is_none())
    {
        let Some(Ok(digest)) = digests.get(&lock_key(&image.reference)) else {
            continue;
        };
        let value = image.reference.pinned(digest, settings.digest_only);
        replacements[image.source].push(Replacement::in_style(
            image.located.span.clone(),
            &value,
            image.located.style,
        ));
        pinned.push(ReportEntry {
            file: found.sources[image.source].name.clone(),
            line: image.located.line,
            original: image.located.value.clone(),
            pinned: value,
            digest: digest.clone(),
            platform: settings.platform.as_ref().map(ToString::to_string),
        });
    }
    Ok(Resolution {
        found,
        digests,
        replacements,
        spliced: OnceLock::new(),
        pinned,
        from_lock: settings.offline,
    })
}

async fn pin(settings: PinSettings) -> anyhow::Result<ExitStatus> {
    let found = read_and_find(&settings.resolve)?;
    if settings.output == Output::Check {
        return check(&found, settings.resolve.quiet);
    }
    // Cheap to make: its HTTP clients, and the root certificates they load, are made when a
    // registry is first asked, so `--offline` never makes one.
    let client = RegistryClient::new(settings.resolve.registry.clone());
    let resolution = resolve(&settings.resolve, &client, found, settings.verify).await?;

    if settings.verify {
        let problems = verify(&client, &resolution, settings.resolve.concurrency).await;
        if !problems.is_empty() {
            let mut stderr = std::io::stderr().lock();
            for problem in &problems {
                writeln!(stderr, "{problem}")?;
            }
            return Ok(ExitStatus::Found);
        }
    }

    let new_lock = match (&settings.resolve.lock, settings.resolve.offline) {
        (Some(path), false) => Some((
            path,
            locked(&resolution.digests, settings.resolve.platform.as_ref()),
        )),
        _ => None,
    };
    write_outputs(settings.output, &resolution, new_lock)?;
    if let Some((format, path)) = &settings.report {
        write_report(*format, path.as_deref(), &resolution.pinned)?;
    }
    if !settings.resolve.quiet {
        summarise(&resolution);
    }
    Ok(ExitStatus::Success)
}

/// `--check`: every image without a digest, as `file:line: image`; exit 1 when there is one.
fn check(found: &Found, quiet: bool) -> anyhow::Result<ExitStatus> {
    let Found { sources, images } = found;
    let mut stdout = std::io::stdout().lock();
    let unpinned: Vec<&FoundImage> = images
        .iter()
        .filter(|image| image.reference.digest().is_none())
        .collect();
    for image in &unpinned {
        writeln!(
            stdout,
            "{}:{}: {}",
            sources[image.source].name, image.located.line, image.located.value
        )?;
    }
    if !quiet {
        eprintln!(
            "{} of {} images are not pinned",
            unpinned.len(),
            images.len()
        );
    }
    Ok(if unpinned.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}

fn distinct<'a>(references: impl Iterator<Item = &'a ImageReference>) -> Vec<&'a ImageReference> {
    let mut seen = HashMap::new();
    for reference in references {
        seen.entry(lock_key(reference)).or_insert(reference);
    }
    let mut distinct: Vec<_> = seen.into_values().collect();
    distinct.sort_by_key(|reference| lock_key(reference));
    distinct
}

/// Digests from a lock file read with `--offline`.
struct LockSource<'a>(&'a LockFile);

impl DigestSource for LockSource<'_> {
    async fn digest(
        &self,
        reference: &ImageReference,
        _platform: Option<&Platform>,
    ) -> Result<String, RegistryError> {
        self.0
            .images
            .get(&lock_key(reference))
            .cloned()
            .ok_or(RegistryError::NotLocked)
    }
}

fn read_lock(path: &Path, platform: Option<&Platform>) -> anyhow::Result<LockFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read lock file {}", path.display()))?;
    let lock = LockFile::parse(&text).with_context(|| path.display().to_string())?;
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

/// Resolves every distinct reference once, `concurrency` at a time, with a progress bar on a
/// terminal.
async fn resolve_all(
    source: &impl DigestSource,
    references: &[&ImageReference],
    settings: &ResolveSettings,
    from: &str,
) -> HashMap<String, Result<String, RegistryError>> {
    let progress = if settings.quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(references.len() as u64).with_style(
            indicatif::ProgressStyle::with_template("{spinner} resolving {pos}/{len} from {msg}")
                .expect("a valid template"),
        )
    };
    progress.set_message(from.to_string());
    let platform = settings.platform.as_ref();
    let results = futures::stream::iter(references.iter().map(|reference| {
        let progress = &progress;
        async move {
            let digest = source.digest(reference, platform).await;
            progress.inc(1);
            (lock_key(reference), digest)
        }
    }))
    .buffer_unordered(settings.concurrency)
    .collect::<HashMap<_, _>>()
    .await;
    progress.finish_and_clear();
    results
}

/// Every reference that did not resolve, named at every place it is written, unless it is
/// allowed to stay unpinned (named as written or by name).
fn report_failures(
    found: &Found,
    digests: &HashMap<String, Result<String, RegistryError>>,
    allow_unpinned: &[String],
) -> Result<(), Problems> {
    let allowed = |image: &FoundImage| {
        allow_unpinned
            .iter()
            .any(|a| *a == image.located.value || *a == image.reference.written_name())
    };
    let problems: Vec<String> = found
        .images
        .iter()
        .filter(|image| !allowed(image))
        .filter_map(|image| {
            let error = digests.get(&lock_key(&image.reference))?.as_ref().err()?;
            Some(format!(
                "{}:{}:{}: {}: {error}",
                found.sources[image.source].name,
                image.located.line,
                image.located.column,
                image.located.value
            ))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// `--verify`: every digest written must exist, and a tag written beside it must still point at it.
async fn verify(
    client: &RegistryClient,
    resolution: &Resolution,
    concurrency: usize,
) -> Vec<String> {
    let Found { sources, images } = &resolution.found;
    let mut problems = Vec::new();
    let written: Vec<&FoundImage> = images
        .iter()
        .filter(|image| image.reference.digest().is_some())
        .collect();
    let exists: HashMap<String, Result<bool, RegistryError>> =
        futures::stream::iter(written.iter().map(|image| async move {
            let reference = &image.reference;
            (reference.canonical(), client.digest_exists(reference).await)
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for image in written {
        let place = format!(
            "{}:{}: {}",
            sources[image.source].name, image.located.line, image.located.value
        );
        let digest = image.reference.digest().expect("filtered on digest");
        match &exists[&image.reference.canonical()] {
            Err(error) => problems.push(format!("{place}: {error}")),
            Ok(false) => problems.push(format!("{place}: the digest does not exist")),
            Ok(true) => {}
        }
        if let (Some(_), Some(Ok(current))) = (
            image.reference.tag(),
            resolution.digests.get(&lock_key(&image.reference)),
        ) && current != digest
        {
            problems.push(format!("{place}: the tag now points at {current}"));
        }
    }
    problems
}

fn locked(
    digests: &HashMap<String, Result<String, RegistryError>>,
    platform: Option<&Platform>,
) -> LockFile {
    let mut lock = LockFile::new(platform.map(ToString::to_string));
    for (key, digest) in digests {
        if let Ok(digest) = digest {
            lock.images.insert(key.clone(), digest.clone());
        }
    }
    lock
}

/// Writes every changed file (in place) or all sources (stdout), and the lock file. In place,
/// everything is staged before anything is renamed, so a failure leaves every file as it was.
/// Pinned text is written from the source's own bytes and the new values, never copied whole.
fn write_outputs(
    output: Output,
    resolution: &Resolution,
    lock: Option<(&PathBuf, LockFile)>,
) -> anyhow::Result<()> {
    let mut staged = Vec::new();
    if let Some((path, lock)) = lock {
        let text = lock.render();
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            staged.push(
                fs::stage(path, [text.as_bytes()])
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
        }
    }
    match output {
        Output::InPlace => {
            for (index, source) in resolution.found.sources.iter().enumerate() {
                if let Some(path) = &source.path
                    && !resolution.replacements[index].is_empty()
                {
                    let pieces = resolution.pieces(index).map(str::as_bytes);
                    staged.push(
                        fs::stage(path, pieces)
                            .with_context(|| format!("cannot write {}", path.display()))?,
                    );
                }
            }
            fs::commit_all(staged).context("cannot replace a file")?;
        }
        Output::Stdout | Output::Check => {
            fs::commit_all(staged).context("cannot write the lock file")?;
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let sources = resolution.found.sources.len();
            write_concatenated(&mut stdout, (0..sources).map(|i| resolution.pieces(i)))?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Sources one after another as one YAML stream, each given as the non-empty pieces it is made
/// of: a `---` stands between two unless the next one starts with its own, and a newline is added
/// only where a source without one is followed by another, so a single source comes out byte for
/// byte.
fn write_concatenated<'a, P>(
    out: &mut impl Write,
    sources: impl Iterator<Item = P>,
) -> std::io::Result<()>
where
    P: Iterator<Item = &'a str> + Clone,
{
    // Whether there was a source before, and whether it ended without a newline.
    let mut previous: Option<bool> = None;
    for pieces in sources {
        if let Some(unterminated) = previous {
            if unterminated {
                out.write_all(b"\n")?;
            }
            let start = pieces.clone().flat_map(str::bytes).take(3);
            if !start.eq(*b"---") {
                out.write_all(b"---\n")?;
            }
        }
        let mut last = "";
        for piece in pieces {
            out.write_all(piece.as_bytes())?;
            last = piece;
        }
        previous = Some(!last.is_empty() && !last.ends_with('\n'));
    }
    Ok(())
}

/// One image value pinned: where it is, what it was, what it became.
#[derive(Debug, Serialize)]
pub struct ReportEntry {
    file: String,
    line: usize,
    original: String,
    pinned: String,
    digest: String,
    platform: Option<String>,
}

fn write_report(
    format: ReportFormat,
    path: Option<&Path>,
    entries: &[ReportEntry],
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

/// One line on stderr: what was pinned, what already was, and from which registries (as
/// written, whatever mirror served them).
fn summarise(resolution: &Resolution) {
    let Found { sources, images } = &resolution.found;
    let (pinned, offline) = (&resolution.pinned, resolution.from_lock);
    let already = images.len() - pinned.len();
    let distinct = distinct(
        images
            .iter()
            .filter(|image| image.reference.digest().is_none())
            .map(|image| &image.reference),
    );
    let mut per_registry: BTreeMap<String, usize> = BTreeMap::new();
    for reference in &distinct {
        *per_registry
            .entry(reference.domain().to_string())
            .or_default() += 1;
    }
    let from = if offline {
        "the lock file".to_string()
    } else {
        per_registry
            .iter()
            .map(|(host, count)| format!("{host} {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let files = sources.len();
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
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenates_sources_as_one_stream() {
        let concatenated = |sources: &[&[&str]]| {
            let mut out = Vec::new();
            write_concatenated(
                &mut out,
                sources.iter().map(|pieces| pieces.iter().copied()),
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            concatenated(&[&["a: 1"], &["---\nb: 2\n"], &["c: 3\n"]]),
            "a: 1\n---\nb: 2\n---\nc: 3\n"
        );
        // The same across pieces: a `---` split over two, a newline ending one, an empty source.
        assert_eq!(
            concatenated(&[
                &["a: ", "1"],
                &["-", "--", "\nb: 2\n"],
                &[],
                &["c: 3", "\n"]
            ]),
            "a: 1\n---\nb: 2\n---\n---\nc: 3\n"
        );
        assert_eq!(concatenated(&[&["x: 1", "\n"]]), "x: 1\n");
    }

    #[test]
    fn locating_in_parallel_finds_what_one_pass_finds() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/corpus/argo-cd-install.yaml");
        let one = std::fs::read_to_string(corpus).unwrap();
        let text = format!("{one}---\n{one}---\n{one}");
        assert!(text.len() > PARALLEL_THRESHOLD);
        let rules = crate::core::image_paths::builtin_image_paths();
        let parallel = locate_in_parallel(&text, &rules).unwrap();
        assert_eq!(
            parallel.len(),
            3 * locate_images(&one, &rules).unwrap().len()
        );
        assert_eq!(parallel, locate_images(&text, &rules).unwrap());
        let broken = format!("{text}\n---\nkind: [\n");
        assert_eq!(
            locate_in_parallel(&broken, &rules).unwrap_err(),
            locate_images(&broken, &rules).unwrap_err()
        );
    }

    #[test]
    fn locks_the_tag_of_a_tag_and_digest_reference() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let reference = ImageReference::parse(&format!("nginx:1.27@{digest}")).unwrap();
        assert_eq!(lock_key(&reference), "docker.io/library/nginx:1.27");
        let bare = ImageReference::parse("quay.io/a/b").unwrap();
        assert_eq!(lock_key(&bare), "quay.io/a/b:latest");
    }
}
