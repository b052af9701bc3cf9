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
pub fn read_sources(arguments: &[String], recursive: bool) -> Result<Vec<Source>, Vec<InputError>> {
    read_sources_with(arguments, recursive, false)
}

/// [`read_sources`]; with `docker`, a directory's Dockerfiles and Compose files too (by name:
/// [`SourceKind::of_name`]).
pub fn read_sources_with(
    arguments: &[String],
    recursive: bool,
    docker: bool,
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
            // Links are followed as kubectl does; walkdir detects loops and reports them.
            let walk = walkdir::WalkDir::new(path)
                .follow_links(true)
                .max_depth(depth)
                .sort_by_file_name();
            for entry in walk {
                match entry {
                    Ok(entry)
                        if entry.file_type().is_file()
                            && (is_manifest(entry.path())
                                || (docker && is_docker_file(entry.path()))) =>
                    {
                        read_file(entry.path(), &mut sources, &mut errors)
                    }
                    Ok(_) => {}
                    Err(source) => errors.push(InputError::Walk {
                        name: source
                            .path()
                            .map_or_else(|| argument.clone(), |p| p.display().to_string()),
                        source,
                    }),
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

/// A file written to a temporary sibling, renamed over the target only by [`commit_all`].
pub struct StagedFile {
    temporary: tempfile::NamedTempFile,
    target: PathBuf,
}

/// The file `path` names, its symbolic links followed (a link's own path where the link is
/// dangling or the path does not exist yet: writing there creates it).
pub fn real_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Writes `pieces`, one after another, next to `target` with the target's permissions, without
/// touching the target. `target` is a real file's path ([`real_path`]): a symbolic link would
/// be replaced by the file.
pub fn stage<'a>(
    target: &Path,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> io::Result<StagedFile> {
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".kubectl-immutable-")
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
    })
}

/// Renames every staged file over its target. Staging all first means a failure while writing
/// leaves every target as it was; a rename within one directory is atomic.
pub fn commit_all(staged: Vec<StagedFile>) -> io::Result<()> {
    for file in staged {
        file.temporary
            .persist(&file.target)
            .map_err(|error| error.error)?;
    }
    Ok(())
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
        let errors = read_sources(&arguments, true).unwrap_err();
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
