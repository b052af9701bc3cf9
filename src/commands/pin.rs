//! `kubectl immutable pin`: find every image, resolve each distinct tag once, splice the digests in.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use serde::Serialize;

use super::config::Config;
use super::{ExitStatus, Problems};
use crate::adapters::fs::{self, Source};
use crate::adapters::registry::{DigestSource, RegistryClient, RegistryError, RegistrySettings};
use crate::cli::{PinArgs, ReportFormat};
use crate::core::image_paths::ImagePath;
use crate::core::locate::{LocatedImage, locate_images};
use crate::core::lock::LockFile;
use crate::core::platform::Platform;
use crate::core::reference::ImageReference;
use crate::core::rewrite::{Replacement, splice};

/// `pin`'s flags resolved with the config file, before any I/O on manifests or registries.
#[derive(Debug)]
pub struct PinSettings {
    pub filenames: Vec<String>,
    pub recursive: bool,
    pub rules: Vec<ImagePath>,
    pub output: Output,
    pub verify: bool,
    pub digest_only: bool,
    pub platform: Option<Platform>,
    pub lock: Option<PathBuf>,
    pub offline: bool,
    pub registry: RegistrySettings,
    pub concurrency: usize,
    pub report: Option<(ReportFormat, Option<PathBuf>)>,
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Stdout,
    InPlace,
    Check,
}

impl PinSettings {
    pub fn resolve(args: PinArgs, quiet: bool) -> anyhow::Result<Self> {
        let config = Config::load(args.config.as_deref())?;
        let mut rules = config.image_paths;
        rules.extend(args.image_paths);
        let mut mirrors = config.registry_mirrors;
        mirrors.extend(args.registry_mirrors);
        let mut insecure_hosts = config.insecure_registries;
        insecure_hosts.extend(args.insecure_registries);
        let output = match (args.check, args.in_place) {
            (true, _) => Output::Check,
            (false, true) => Output::InPlace,
            (false, false) => Output::Stdout,
        };
        if output == Output::InPlace && args.filenames.iter().any(|f| f == "-") {
            anyhow::bail!("--in-place cannot rewrite stdin (-f -)");
        }
        Ok(PinSettings {
            filenames: args.filenames,
            recursive: args.recursive,
            rules,
            output,
            verify: args.verify,
            digest_only: args.digest_only,
            platform: args.platform,
            lock: args.lock,
            offline: args.offline,
            registry: RegistrySettings {
                mirrors,
                insecure_hosts,
                request_timeout: Duration::from_secs(args.timeout),
                ..RegistrySettings::default()
            },
            concurrency: usize::from(args.concurrency),
            report: args.report.map(|format| (format, args.report_file)),
            quiet,
        })
    }
}

pub fn run(args: PinArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let settings = PinSettings::resolve(args, quiet)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(pin(settings))
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
        match locate_images(&source.text, rules) {
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
                            located.value.escape_debug()
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

async fn pin(settings: PinSettings) -> anyhow::Result<ExitStatus> {
    let sources = fs::read_sources(&settings.filenames, settings.recursive)
        .map_err(|errors| Problems(errors.iter().map(ToString::to_string).collect()))?;
    let images = find_images(&sources, &settings.rules)?;

    if settings.output == Output::Check {
        return check(&sources, &images, settings.quiet);
    }

    let lock = match (&settings.lock, settings.offline) {
        (Some(path), true) => Some(read_lock(path, settings.platform.as_ref())?),
        _ => None,
    };
    let to_resolve: Vec<&ImageReference> = distinct(
        images
            .iter()
            .filter(|image| image.reference.digest().is_none() || settings.verify)
            .filter(|image| image.reference.tag_or_latest().is_some())
            .map(|image| &image.reference),
    );

    let client = RegistryClient::new(settings.registry.clone());
    let digests = match &lock {
        Some(lock) => resolve_all(&LockSource(lock), &to_resolve, &settings, "lock file").await,
        None => resolve_all(&client, &to_resolve, &settings, "registries").await,
    };
    report_failures(&sources, &images, &digests)?;

    let mut verify_problems = Vec::new();
    if settings.verify {
        verify(
            &client,
            &sources,
            &images,
            &digests,
            &settings,
            &mut verify_problems,
        )
        .await?;
    }

    let mut pinned = Vec::new();
    let mut replacements: Vec<Vec<Replacement>> = vec![Vec::new(); sources.len()];
    for image in images
        .iter()
        .filter(|image| image.reference.digest().is_none())
    {
        let digest = digests[&lock_key(&image.reference)]
            .as_ref()
            .expect("failures were reported");
        let value = image.reference.pinned(digest, settings.digest_only);
        replacements[image.source].push(Replacement::in_style(
            image.located.span.clone(),
            &value,
            image.located.style,
        ));
        pinned.push(ReportEntry {
            file: sources[image.source].name.clone(),
            line: image.located.line,
            original: image.located.value.clone(),
            pinned: value,
            digest: digest.clone(),
            platform: settings.platform.as_ref().map(ToString::to_string),
        });
    }

    if !verify_problems.is_empty() {
        let mut stderr = std::io::stderr().lock();
        for problem in &verify_problems {
            writeln!(stderr, "{problem}")?;
        }
        return Ok(ExitStatus::Found);
    }

    let outputs: Vec<Option<String>> = sources
        .iter()
        .zip(&replacements)
        .map(|(source, replacements)| {
            (!replacements.is_empty()).then(|| splice(&source.text, replacements))
        })
        .collect();
    let new_lock = match (&settings.lock, settings.offline) {
        (Some(path), false) => Some((path, locked(&digests, settings.platform.as_ref()))),
        _ => None,
    };
    write_outputs(&settings, &sources, &outputs, new_lock)?;
    if let Some((format, path)) = &settings.report {
        write_report(*format, path.as_deref(), &pinned)?;
    }
    if !settings.quiet {
        summarise(&sources, &images, &pinned, lock.is_some());
    }
    Ok(ExitStatus::Success)
}

/// `--check`: every image without a digest, as `file:line: image`; exit 1 when there is one.
fn check(sources: &[Source], images: &[FoundImage], quiet: bool) -> anyhow::Result<ExitStatus> {
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
    settings: &PinSettings,
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

/// Every reference that did not resolve, named at every place it is written.
fn report_failures(
    sources: &[Source],
    images: &[FoundImage],
    digests: &HashMap<String, Result<String, RegistryError>>,
) -> Result<(), Problems> {
    let problems: Vec<String> = images
        .iter()
        .filter_map(|image| {
            let error = digests.get(&lock_key(&image.reference))?.as_ref().err()?;
            Some(format!(
                "{}:{}:{}: {}: {error}",
                sources[image.source].name,
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
    sources: &[Source],
    images: &[FoundImage],
    digests: &HashMap<String, Result<String, RegistryError>>,
    settings: &PinSettings,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let written: Vec<&FoundImage> = images
        .iter()
        .filter(|image| image.reference.digest().is_some())
        .collect();
    let exists: HashMap<String, Result<bool, RegistryError>> =
        futures::stream::iter(written.iter().map(|image| async move {
            let reference = &image.reference;
            (reference.canonical(), client.digest_exists(reference).await)
        }))
        .buffer_unordered(settings.concurrency)
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
            digests.get(&lock_key(&image.reference)),
        ) && current != digest
        {
            problems.push(format!("{place}: the tag now points at {current}"));
        }
    }
    Ok(())
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
fn write_outputs(
    settings: &PinSettings,
    sources: &[Source],
    outputs: &[Option<String>],
    lock: Option<(&PathBuf, LockFile)>,
) -> anyhow::Result<()> {
    let mut staged = Vec::new();
    if let Some((path, lock)) = lock {
        let text = lock.render();
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            staged.push(
                fs::stage(path, text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
        }
    }
    match settings.output {
        Output::InPlace => {
            for (source, output) in sources.iter().zip(outputs) {
                if let (Some(path), Some(text)) = (&source.path, output) {
                    staged.push(
                        fs::stage(path, text.as_bytes())
                            .with_context(|| format!("cannot write {}", path.display()))?,
                    );
                }
            }
            fs::commit_all(staged).context("cannot replace a file")?;
        }
        Output::Stdout | Output::Check => {
            fs::commit_all(staged).context("cannot write the lock file")?;
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let texts = sources
                .iter()
                .zip(outputs)
                .map(|(source, output)| output.as_deref().unwrap_or(&source.text));
            write_concatenated(&mut stdout, texts)?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Sources one after another as one YAML stream: a `---` stands between two unless the next one
/// starts with its own, and a newline is added only where a source without one is followed by
/// another, so a single source comes out byte for byte.
fn write_concatenated<'a>(
    out: &mut impl Write,
    texts: impl Iterator<Item = &'a str>,
) -> std::io::Result<()> {
    let mut previous: Option<&str> = None;
    for text in texts {
        if let Some(previous) = previous {
            if !previous.is_empty() && !previous.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            if !text.starts_with("---") {
                out.write_all(b"---\n")?;
            }
        }
        out.write_all(text.as_bytes())?;
        previous = Some(text);
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct ReportEntry {
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
fn summarise(sources: &[Source], images: &[FoundImage], pinned: &[ReportEntry], offline: bool) {
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
        let mut out = Vec::new();
        write_concatenated(&mut out, ["a: 1", "---\nb: 2\n", "c: 3\n"].into_iter()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a: 1\n---\nb: 2\n---\nc: 3\n"
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
