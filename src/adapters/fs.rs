//! Reading manifest sources (files, directories, stdin) and writing files atomically.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::core::problem::{Located, Position};
use crate::core::source_kind::SourceKind;

/// One input: a file or stdin, with its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// How messages name it: the path as given or found, or `-` for stdin.
    pub name: String,
    /// `None` for stdin.
    pub path: Option<PathBuf>,
    pub text: String,
}

/// Why an input could not be read; which input is [`InputError::name`], where in it
/// [`Located::position`].
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{source}")]
    Io { name: String, source: io::Error },
    /// `line` and `column` (1-based, in characters as the YAML errors count them) of the first
    /// byte that is not UTF-8.
    #[error("not UTF-8 text: byte 0x{byte:02x} (a binary file, or text in another encoding?)")]
    NotText {
        name: String,
        line: usize,
        column: usize,
        byte: u8,
    },
    /// A directory that cannot be walked: an entry that cannot be read, a link loop.
    #[error("{}", walk_message(.source))]
    Walk {
        name: String,
        source: walkdir::Error,
    },
    #[error("a symbolic link to {}, which does not exist", .target.display())]
    DanglingLink {
        name: String,
        target: PathBuf,
        source: io::Error,
    },
    /// A link in a directory named by `-f` that leads out of it: what a repository's link
    /// would make the tool print or rewrite (`~/.docker/config.json`), refused as
    /// `kubectl kustomize` refuses it.
    #[error(
        "a symbolic link to {}, outside {tree}: refused (--follow-links-outside follows it)",
        .target.display()
    )]
    LinkOutside {
        name: String,
        target: PathBuf,
        tree: String,
    },
    #[error("larger than {} MiB, the most an input may hold", INPUT_LIMIT >> 20)]
    TooLarge { name: String },
}

impl InputError {
    /// The input as messages name it: its path, or `-`.
    pub fn name(&self) -> &str {
        match self {
            InputError::Io { name, .. }
            | InputError::NotText { name, .. }
            | InputError::Walk { name, .. }
            | InputError::DanglingLink { name, .. }
            | InputError::LinkOutside { name, .. }
            | InputError::TooLarge { name } => name,
        }
    }
}

impl Located for InputError {
    fn position(&self) -> Option<Position> {
        match self {
            InputError::NotText { line, column, .. } => Some(Position::at(*line, *column)),
            _ => None,
        }
    }
}

const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Where the symbolic links inside a directory named by `-f` may lead. A link named by `-f`
/// itself is always followed: the user named it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Links {
    /// Only to files and directories inside that directory; any other is an error.
    #[default]
    InsideTree,
    /// Anywhere (`--follow-links-outside`).
    Anywhere,
}

/// The most any input (a file, stdin, a FIFO, a file a Compose file extends) may hold: more
/// than twice the largest rendered release seen, so reading stays bounded whatever is named
/// (`/dev/zero`, an endless pipe).
pub const INPUT_LIMIT: u64 = 256 << 20;

/// Everything `reader` holds, up to [`INPUT_LIMIT`].
fn read_bounded(name: &str, reader: impl Read) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(INPUT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            name: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > INPUT_LIMIT {
        return Err(InputError::TooLarge {
            name: name.to_string(),
        });
    }
    Ok(bytes)
}

/// Reads every `-f` argument as kubectl does: a file, a directory's `*.yaml`/`*.yml`/`*.json`
/// (recursively with `recursive`), or `-` for stdin. Directory entries come in name order.
/// Every unreadable input is reported, not only the first.
pub fn read_sources(
    arguments: &[String],
    recursive: bool,
    links: Links,
) -> Result<Vec<Source>, Vec<InputError>> {
    read_sources_with(arguments, recursive, false, links)
}

/// [`read_sources`]; with `docker`, a directory's Dockerfiles and Compose files too (by name:
/// [`SourceKind::of_name`]).
pub fn read_sources_with(
    arguments: &[String],
    recursive: bool,
    docker: bool,
    links: Links,
) -> Result<Vec<Source>, Vec<InputError>> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for argument in arguments {
        if argument == "-" {
            match read_bounded("-", io::stdin().lock()).and_then(|bytes| text("-", bytes)) {
                Ok(text) => sources.push(Source {
                    name: "-".into(),
                    path: None,
                    text,
                }),
                Err(error) => errors.push(error),
            }
            continue;
        }
        let path = Path::new(argument);
        if path.is_dir() {
            let depth = if recursive { usize::MAX } else { 1 };
            let wanted = |path: &Path| is_manifest(path) || (docker && is_docker_file(path));
            // The tree as the links inside it are judged: its real path, a link named by -f
            // followed.
            let tree = match links {
                Links::InsideTree => match fs::canonicalize(path) {
                    Ok(tree) => Some(tree),
                    Err(source) => {
                        errors.push(InputError::Io {
                            name: argument.clone(),
                            source,
                        });
                        continue;
                    }
                },
                Links::Anywhere => None,
            };
            // Links are followed as kubectl does; walkdir detects loops and reports them.
            let mut walk = walkdir::WalkDir::new(path)
                .follow_links(true)
                .max_depth(depth)
                .sort_by_file_name()
                .into_iter();
            while let Some(entry) = walk.next() {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(source) => {
                        errors.push(InputError::Walk {
                            name: source
                                .path()
                                .map_or_else(|| argument.clone(), |p| p.display().to_string()),
                            source,
                        });
                        continue;
                    }
                };
                let is_file = entry.file_type().is_file();
                // A directory is walked into below the depth limit; a file read if wanted.
                let used = if is_file {
                    wanted(entry.path())
                } else {
                    entry.file_type().is_dir() && entry.depth() < depth
                };
                if !used {
                    continue;
                }
                if let Some(tree) = &tree
                    && let Some(target) = link_outside(&entry, tree)
                {
                    errors.push(InputError::LinkOutside {
                        name: entry.path().display().to_string(),
                        target,
                        tree: argument.clone(),
                    });
                    if !is_file {
                        walk.skip_current_dir();
                    }
                    continue;
                }
                if is_file {
                    read_file(entry.path(), &mut sources, &mut errors);
                }
            }
        } else {
            read_file(path, &mut sources, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

/// Where `entry` really is, if it is a symbolic link (or a chain of them, `..` and all) that
/// leads out of `tree` (a real path). Entries under a followed link are judged by their own
/// real path too, so a link to a directory inside that holds a link out is caught.
fn link_outside(entry: &walkdir::DirEntry, tree: &Path) -> Option<PathBuf> {
    if entry.depth() == 0 || !entry.path_is_symlink() {
        return None;
    }
    // A link that cannot be resolved was reported by the walk.
    let target = fs::canonicalize(entry.path()).ok()?;
    (!target.starts_with(tree)).then_some(target)
}

fn walk_message(error: &walkdir::Error) -> String {
    if let Some(ancestor) = error.loop_ancestor() {
        return format!("symbolic link loop back to {}", ancestor.display());
    }
    error
        .io_error()
        .map_or_else(|| error.to_string(), |io| io.to_string())
}

pub fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e))
}

fn is_docker_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(SourceKind::is_docker_name)
}

fn read_file(path: &Path, sources: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    let name = path.display().to_string();
    match fs::File::open(path) {
        Ok(file) => match read_bounded(&name, file).and_then(|bytes| text(&name, bytes)) {
            Ok(text) => sources.push(Source {
                name,
                path: Some(path.to_path_buf()),
                text,
            }),
            Err(error) => errors.push(error),
        },
        Err(source) => errors.push(match fs::read_link(path) {
            Ok(target) if source.kind() == io::ErrorKind::NotFound => InputError::DanglingLink {
                name,
                target,
                source,
            },
            _ => InputError::Io { name, source },
        }),
    }
}

/// Where a file an input refers to may be, as messages say it.
const OUTSIDE: &str =
    "the tree pin reads (the current directory, and the directory named by -f or the file's own)";

/// [`std::fs::read_to_string`] within [`INPUT_LIMIT`]: for the files flags and the config name
/// (a lock file, a policy, a key), which a repository holds as it holds the inputs.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    let name = path.display().to_string();
    let bytes = read_bounded(&name, fs::File::open(path)?).map_err(|error| match error {
        InputError::Io { source, .. } => source,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    })?;
    String::from_utf8(bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

/// The text of `path`, a file an input refers to (a Compose file's `extends: {file: …}`):
/// `Ok(None)` where it does not exist; why it is refused (`is …`, to follow the name) where it
/// is outside every one of `roots` once its links are followed, is not a regular file (a FIFO
/// would hang the read, `/dev/zero` never ends), holds more than [`INPUT_LIMIT`] bytes or is not
/// UTF-8 text.
pub fn read_referenced(path: &Path, roots: &[&Path]) -> Result<Option<String>, String> {
    let cannot = |error: io::Error| format!("cannot be read: {error}");
    let real = match fs::canonicalize(path) {
        Ok(real) => real,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(cannot(error)),
    };
    let inside = |root: &&Path| fs::canonicalize(root).is_ok_and(|root| real.starts_with(root));
    if !roots.iter().any(inside) {
        return Err(format!("is outside {OUTSIDE}"));
    }
    // Checked before opening: opening a FIFO waits for a writer. The file is checked again
    // once open, in case it was replaced in between.
    let regular = |metadata: io::Result<fs::Metadata>| metadata.is_ok_and(|m| m.is_file());
    let not_regular = || "is not a regular file".to_string();
    if !regular(fs::metadata(&real)) {
        return Err(not_regular());
    }
    let file = fs::File::open(&real).map_err(cannot)?;
    if !regular(file.metadata()) {
        return Err(not_regular());
    }
    let name = real.display().to_string();
    read_bounded(&name, file)
        .and_then(|bytes| text(&name, bytes))
        .map(Some)
        .map_err(|error| match error {
            InputError::Io { source, .. } => cannot(source),
            other => format!("is {other}"),
        })
}

/// The bytes of the input `name` as text, or where the first byte that is not UTF-8 is.
pub fn text(name: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        let bad = error.utf8_error().valid_up_to();
        let line_start = bytes[..bad]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |newline| newline + 1);
        // Everything before `bad` is UTF-8: it counts in characters.
        let column = std::str::from_utf8(&bytes[line_start..bad])
            .map_or(bad - line_start, |prefix| prefix.chars().count())
            + 1;
        InputError::NotText {
            name: name.to_string(),
            line: bytes[..bad].iter().filter(|&&b| b == b'\n').count() + 1,
            column,
            byte: bytes[bad],
        }
    })
}

/// The name of every temporary file this tool writes: this prefix, then tempfile's six random
/// letters and digits.
const TEMPORARY_PREFIX: &str = ".kubectl-immutable-";
const TEMPORARY_RANDOM: usize = 6;

/// How old a temporary of this tool must be before a later run removes it: older than any run
/// still renaming, so only one that was killed left it.
const STALE_TEMPORARY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// A file written to a temporary sibling, renamed over the target only by [`commit_all`].
pub struct StagedFile<'a> {
    temporary: tempfile::NamedTempFile,
    target: PathBuf,
    /// What the target held when it was read: it is replaced only if it still does.
    read: Option<&'a [u8]>,
}

impl StagedFile<'_> {
    /// The folder it is written in: the one whose stale temporaries [`remove_stale_temporaries`]
    /// removes.
    pub fn folder(&self) -> Option<&Path> {
        self.temporary.path().parent()
    }
}

/// Why staged files were not all renamed over their targets.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// A file changed by someone else since it was read (a line added while the run waited on
    /// the network): replacing it would lose that change.
    #[error("changed since it was read; nothing was replaced (run again)")]
    Changed { name: String },
    #[error("cannot replace {name}: {source}")]
    Io { name: String, source: io::Error },
}

/// The file `path` names, its symbolic links followed (a link's own path where the link is
/// dangling or the path does not exist yet: writing there creates it).
pub fn real_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `a` and `b` name one file: the same file where both exist (device and inode, so
/// hard links and links of any kind count), else the same real path (the folder's real path
/// and the name, for a file not written yet).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    if let (Ok(a), Ok(b)) = (fs::metadata(a), fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt as _;
        return (a.dev(), a.ino()) == (b.dev(), b.ino());
    }
    planned_path(a) == planned_path(b)
}

/// `path` with its folder's links resolved: the real path of a file that may not exist yet.
fn planned_path(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => real_path(folder(parent)).join(name),
        _ => path.to_path_buf(),
    }
}

/// The folder a file of `parent` is in: `.` for a bare name.
fn folder(parent: &Path) -> &Path {
    if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    }
}

/// The folder a file at `path` would be written in, if it is not an existing folder (a
/// missing one, or a file): checked before anything is written.
pub fn missing_folder(path: &Path) -> Option<&Path> {
    let parent = folder(path.parent().unwrap_or(Path::new(".")));
    (!parent.is_dir()).then_some(parent)
}

/// Writes `pieces`, one after another, next to `target` with the target's permissions, without
/// touching the target. `target` is a real file's path ([`real_path`]): a symbolic link would
/// be replaced by the file. With `read`, what the target held when it was read: [`commit_all`]
/// replaces it only if it still holds that.
pub fn stage<'a, 'p>(
    target: &Path,
    read: Option<&'a [u8]>,
    pieces: impl IntoIterator<Item = &'p [u8]>,
) -> io::Result<StagedFile<'a>> {
    let directory = folder(target.parent().unwrap_or(Path::new(".")));
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .rand_bytes(TEMPORARY_RANDOM)
        .tempfile_in(directory)?;
    // Pieces alternate long runs of the source with short new values: the buffer gathers the
    // short ones, the long ones go straight through.
    let mut writer = io::BufWriter::with_capacity(1 << 16, temporary.as_file_mut());
    for piece in pieces {
        writer.write_all(piece)?;
    }
    writer
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    temporary.as_file().sync_all()?;
    if let Ok(metadata) = fs::metadata(target) {
        fs::set_permissions(temporary.path(), metadata.permissions())?;
    }
    Ok(StagedFile {
        temporary,
        target: target.to_path_buf(),
        read,
    })
}

/// Removes from `directory` the temporaries a killed run of this tool left: files named
/// exactly as [`stage`] names them, older than [`STALE_TEMPORARY`]. Whatever cannot be removed
/// is left; nothing else is touched.
pub fn remove_stale_temporaries(directory: &Path) {
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_ours = name.to_str().is_some_and(|name| {
            name.strip_prefix(TEMPORARY_PREFIX).is_some_and(|random| {
                random.len() == TEMPORARY_RANDOM
                    && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
            })
        });
        // The entry's own type and age: a link is not followed.
        let stale = entry.metadata().is_ok_and(|metadata| {
            metadata.file_type().is_file()
                && metadata
                    .modified()
                    .ok()
                    .and_then(|modified| modified.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMPORARY)
        });
        if is_ours && stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Renames every staged file over its target. Staging all first means a failure while writing
/// leaves every target as it was; a rename within one directory is atomic. A target that no
/// longer holds what was read is an error before any is renamed: all or nothing.
pub fn commit_all(staged: Vec<StagedFile>) -> Result<(), CommitError> {
    for file in &staged {
        if let Some(read) = file.read
            && !holds(&file.target, read)
        {
            return Err(CommitError::Changed {
                name: file.target.display().to_string(),
            });
        }
    }
    for file in staged {
        let name = file.target.display().to_string();
        file.temporary
            .persist(&file.target)
            .map_err(|error| CommitError::Io {
                name,
                source: error.error,
            })?;
    }
    Ok(())
}

/// Whether the file at `path` holds exactly `expected`; at most one byte more than it is read.
fn holds(path: &Path, expected: &[u8]) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut actual = Vec::with_capacity(expected.len() + 1);
    file.take(expected.len() as u64 + 1)
        .read_to_end(&mut actual)
        .is_ok_and(|_| actual == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_utf8_is_named_at_its_first_bad_byte() {
        assert_eq!(
            text("a.yaml", b"kind: Pod\n".to_vec()).unwrap(),
            "kind: Pod\n"
        );
        let error = text("a.yaml", b"kind: Pod\nname: \xc3\xa9t\xe9\n".to_vec()).unwrap_err();
        assert_eq!(
            crate::core::problem::Problem::located(error.name(), &error).to_string(),
            "a.yaml:2:9: not UTF-8 text: byte 0xe9 (a binary file, or text in another encoding?)"
        );
        let error = text("-", b"\xff".to_vec()).unwrap_err();
        assert_eq!(
            crate::core::problem::Problem::located(error.name(), &error).to_string(),
            "-:1:1: not UTF-8 text: byte 0xff (a binary file, or text in another encoding?)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_inputs_keep_the_io_error_under_their_message() {
        let dir = tempfile::tempdir().unwrap();
        let dangling = dir.path().join("app.yaml");
        std::os::unix::fs::symlink("gone.yaml", &dangling).unwrap();
        let looped = dir.path().join("looped");
        std::fs::create_dir(&looped).unwrap();
        std::os::unix::fs::symlink(&looped, looped.join("loop")).unwrap();
        let arguments = [dangling, looped.clone()].map(|path| path.display().to_string());
        let errors = read_sources(&arguments, true, Links::InsideTree).unwrap_err();
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "a symbolic link to gone.yaml, which does not exist".to_string(),
                format!("symbolic link loop back to {}", looped.display()),
            ]
        );
        for error in &errors {
            let cause = std::error::Error::source(error).expect("a cause");
            assert!(
                cause.is::<io::Error>() || cause.is::<walkdir::Error>(),
                "{cause:?}"
            );
        }
    }
}
