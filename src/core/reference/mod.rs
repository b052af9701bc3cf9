//! Container image references, `[domain/]path[:tag][@digest]`, parsed and normalised as Docker
//! and containerd do (github.com/distribution/reference v0.6 `ParseNormalizedNamed`, with the
//! digest checks of go-digest v1).
//!
//! A hand-written single pass over the bytes rather than the upstream regular expressions: it
//! runs once per image value of possibly large inputs, needs no regex engine, and can say which
//! part of the reference is wrong and at which character.

use std::fmt;
use std::str::FromStr;

use ReferenceErrorKind::*;

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
/// Upstream's `RepositoryNameTotalLengthMax`. Since v0.6 it bounds the path only, not the
/// domain (distribution/reference#9), so a long registry host does not shorten the path.
const MAX_PATH_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;
/// The algorithms go-digest registers, with the number of lowercase hex digits each needs.
const ALGORITHMS: [(&str, usize); 3] = [("sha256", 64), ("sha384", 96), ("sha512", 128)];
/// The reference grammar wants at least 128 bits of hex even for algorithms it does not know.
const MIN_HEX_DIGITS: usize = 32;

/// A parsed, normalised image reference that remembers how it was written.
///
/// Equality and hashing are on the text as written; compare [`ImageReference::canonical`] to
/// ask whether two references name the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageReference {
    input: String,
    /// Normalised `domain/path`.
    name: String,
    domain_len: usize,
    /// End of the name in `input`.
    name_end: usize,
    /// Byte range of the tag in `input`.
    tag: Option<(usize, usize)>,
    /// Start of the digest in `input`; it runs to the end.
    digest: Option<usize>,
}

/// Why an input is not an image reference, and where.
///
/// Its message says what is wrong, naming the offending character where there is one, and at
/// which character of the input: `invalid registry host "exa_mple.com": unexpected "_" (at
/// character 4 of the value)`, `repository name must be lowercase (at character 1 of the
/// value)`, `empty tag (at the end of the value)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError {
    pub input: String,
    pub kind: ReferenceErrorKind,
    /// Byte offset of the problem in `input` (may equal its length when something is missing).
    pub offset: usize,
    /// The same place in characters, counted from 1 as columns are: the offending character,
    /// or one past the last when something is missing at the end.
    pub character: usize,
}

impl std::error::Error for ReferenceError {}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A malformed part ends where the host does (at the first "/") or with the input.
        let end = match self.kind {
            InvalidHost => self.input.find('/').unwrap_or(self.input.len()),
            _ => self.input.len(),
        };
        let found = self
            .input
            .get(self.offset..end)
            .and_then(|rest| rest.chars().next());
        let part = match self.kind {
            InvalidHost => {
                let host = &self.input[..end];
                Some(format!("registry host \"{}\"", host.escape_debug()))
            }
            InvalidName => Some("repository name".to_owned()),
            InvalidTag => Some("tag".to_owned()),
            InvalidDigest => Some("digest".to_owned()),
            _ => None,
        };
        match (part, found) {
            (Some(part), Some(c)) => {
                write!(f, "invalid {part}: unexpected \"{}\"", c.escape_debug())?
            }
            (Some(part), None) => write!(f, "incomplete {part}")?,
            (None, _) => write!(f, "{}", self.kind)?,
        }
        match self.kind {
            Empty => Ok(()),
            _ if self.offset >= self.input.len() => f.write_str(" (at the end of the value)"),
            _ => write!(f, " (at character {} of the value)", self.character),
        }
    }
}

/// What is wrong with an input; the messages follow upstream's where it has one. Upstream says
/// "invalid reference format" for any character out of place; here the part it is in is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceErrorKind {
    #[error("empty reference")]
    Empty,
    #[error("whitespace in reference")]
    Whitespace,
    /// A first component that must be a registry host (it has a ".", a ":" or an uppercase
    /// letter) but is not one.
    #[error("invalid registry host")]
    InvalidHost,
    #[error("invalid repository name")]
    InvalidName,
    #[error("invalid tag")]
    InvalidTag,
    #[error("invalid digest")]
    InvalidDigest,
    #[error("repository name must be lowercase")]
    Uppercase,
    #[error("repository name is longer than 255 characters")]
    NameTooLong,
    #[error("cannot specify 64-byte hexadecimal strings")]
    HexName,
    #[error("empty tag")]
    EmptyTag,
    #[error("tag is longer than 128 characters")]
    TagTooLong,
    #[error("invalid digest: {algorithm} needs {digits} hex digits")]
    DigestLength {
        algorithm: &'static str,
        digits: usize,
    },
    #[error("invalid digest: hex digits must be lowercase")]
    DigestUppercase,
    #[error("unsupported digest algorithm")]
    UnsupportedDigest,
}

/// A problem and its byte offset, before the input is attached.
type Fail = (ReferenceErrorKind, usize);

impl ImageReference {
    /// Parses and normalises `input` as upstream `ParseNormalizedNamed` does.
    pub fn parse(input: &str) -> Result<ImageReference, ReferenceError> {
        scan(input).map_err(|(kind, offset)| ReferenceError {
            input: input.to_owned(),
            kind,
            offset,
            character: input[..offset].chars().count() + 1,
        })
    }

    /// Normalised registry `host[:port]`, e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`.
    pub fn domain(&self) -> &str {
        &self.name[..self.domain_len]
    }

    /// Normalised repository path, e.g. `library/nginx`.
    pub fn path(&self) -> &str {
        &self.name[self.domain_len + 1..]
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.map(|(start, end)| &self.input[start..end])
    }

    /// The digest as written, e.g. `sha256:<hex>`.
    pub fn digest(&self) -> Option<&str> {
        self.digest.map(|start| &self.input[start..])
    }

    /// The name exactly as written (the input up to the tag or digest), e.g. `nginx`.
    pub fn written_name(&self) -> &str {
        &self.input[..self.name_end]
    }

    /// `domain/path`, e.g. `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// Fully normalised form with `:latest` added when neither tag nor digest was given, e.g.
    /// `docker.io/library/nginx:latest`; the key in lock files.
    pub fn canonical(&self) -> String {
        let mut out = self.name.clone();
        if let Some(tag) = self.tag_or_latest() {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = self.digest() {
            out.push('@');
            out.push_str(digest);
        }
        out
    }

    /// The tag to resolve: the tag, `latest` when there is neither tag nor digest, `None` when
    /// only a digest was given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (self.tag(), self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some(DEFAULT_TAG),
            (None, Some(_)) => None,
        }
    }

    /// The value to write back after pinning to `digest`, keeping the name as written:
    /// `<written_name>:<tag or latest>@<digest>`, or `<written_name>@<digest>` when
    /// `digest_only` or when the reference had a digest and no tag (inventing a tag then would
    /// claim something the user never wrote).
    pub fn pinned(&self, digest: &str, digest_only: bool) -> String {
        let mut out = String::from(self.written_name());
        if !digest_only && let Some(tag) = self.tag_or_latest() {
            out.push(':');
            out.push_str(tag);
        }
        out.push('@');
        out.push_str(digest);
        out
    }
}

impl fmt::Display for ImageReference {
    /// The input as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.input)
    }
}

impl FromStr for ImageReference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageReference::parse(s)
    }
}

/// Whether `s` is a digest go-digest accepts: sha256, sha384 or sha512 with exactly 64, 96 or
/// 128 lowercase hex digits.
pub fn is_valid_digest(s: &str) -> bool {
    check_digest(s.as_bytes()).is_ok()
}

/// A content digest in the grammar go-digest accepts (sha256, sha384 or sha512 with exactly
/// 64, 96 or 128 lowercase hex digits), checked when made. What a registry answers or a lock
/// file holds becomes one of these before it is used, so no other text can be written after
/// an `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "String")]
pub struct Digest(String);

/// Why a text is not a [`Digest`]: `invalid digest "sha256:1234": sha256 needs 64 hex digits`.
/// The text is shown escaped and shortened: it comes from a registry or a file, and may hold
/// anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestError {
    value: String,
    kind: ReferenceErrorKind,
    offset: usize,
}

impl std::error::Error for DigestError {}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid digest \"{}\": ",
            shortened(&self.value).escape_debug()
        )?;
        match (self.kind, self.value[self.offset..].chars().next()) {
            (DigestLength { algorithm, digits }, _) => {
                write!(f, "{algorithm} needs {digits} hex digits")
            }
            (DigestUppercase, _) => f.write_str("hex digits must be lowercase"),
            (UnsupportedDigest, _) => f.write_str("unsupported algorithm"),
            (_, Some(c)) => write!(
                f,
                "unexpected \"{}\" at character {}",
                c.escape_debug(),
                self.value[..self.offset].chars().count() + 1
            ),
            (_, None) => f.write_str("not algorithm:hex"),
        }
    }
}

impl Digest {
    pub fn parse(value: &str) -> Result<Digest, DigestError> {
        match check_digest(value.as_bytes()) {
            Ok(()) => Ok(Digest(value.to_owned())),
            Err((kind, offset)) => Err(DigestError {
                value: value.to_owned(),
                kind,
                offset,
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Digest {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parsed as the string is read, so that a JSON reader's error says where the string ends
/// (the line and column of the lock file's bad entry).
impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Digest;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a digest, algorithm:hex")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Digest, E> {
                Digest::parse(value).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> String {
        digest.0
    }
}

/// A value as an error line shows it: whole up to 200 characters, else its start and `…`, so a
/// hostile 100 MB value (in an input, or in a registry's answer) does not become a 100 MB
/// message.
pub fn shortened(value: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 200;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &value[..end]).into(),
        None => value.into(),
    }
}

fn scan(input: &str) -> Result<ImageReference, Fail> {
    let b = input.as_bytes();
    if b.is_empty() {
        return Err((Empty, 0));
    }
    // The grammar has no whitespace at all; naming it beats "invalid format" for a stray space
    // or newline copied along with a value.
    if let Some((at, _)) = input.char_indices().find(|(_, c)| c.is_whitespace()) {
        return Err((Whitespace, at));
    }
    // Upstream refuses these because they are indistinguishable from image IDs.
    if b.len() == 64 && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return Err((HexName, 0));
    }

    let (domain, remote_start) = split_domain(input)?;
    // Upstream checks case before syntax, so "docker/Docker" is told what is wrong with it.
    let remote_end = b[remote_start..]
        .iter()
        .position(|&c| c == b':' || c == b'@')
        .map_or(b.len(), |p| remote_start + p);
    if let Some(p) = b[remote_start..remote_end]
        .iter()
        .position(u8::is_ascii_uppercase)
    {
        return Err((Uppercase, remote_start + p));
    }
    let name_end = scan_path(b, remote_start).map_err(|at| (InvalidName, at))?;
    let remote = &input[remote_start..name_end];
    let library = domain == DEFAULT_DOMAIN && !remote.contains('/');
    let prefix_len = if library {
        OFFICIAL_REPO_PREFIX.len()
    } else {
        0
    };
    let path_len = prefix_len + remote.len();
    if path_len > MAX_PATH_LEN {
        return Err((NameTooLong, remote_start));
    }

    let mut pos = name_end;
    let tag = if b.get(pos) == Some(&b':') {
        let start = pos + 1;
        pos = scan_tag(b, start)?;
        Some((start, pos))
    } else {
        None
    };
    let digest = if b.get(pos) == Some(&b'@') {
        let start = pos + 1;
        check_digest(&b[start..]).map_err(|(kind, at)| (kind, start + at))?;
        pos = b.len();
        Some(start)
    } else {
        None
    };
    if pos != b.len() {
        // Name and tag end at the first byte they cannot hold.
        return Err((
            if tag.is_some() {
                InvalidTag
            } else {
                InvalidName
            },
            pos,
        ));
    }

    let mut name = String::with_capacity(domain.len() + 1 + path_len);
    name.push_str(domain);
    name.push('/');
    if library {
        name.push_str(OFFICIAL_REPO_PREFIX);
    }
    name.push_str(remote);
    Ok(ImageReference {
        input: input.to_owned(),
        name,
        domain_len: domain.len(),
        name_end,
        tag,
        digest,
    })
}

/// Port of upstream `splitDockerDomain`: the normalised domain and where the remote name
/// starts. The first component is a domain only if a "/" follows it and it looks like a host.
fn split_domain(input: &str) -> Result<(&str, usize), Fail> {
    let Some(slash) = input.find('/') else {
        return Ok((DEFAULT_DOMAIN, 0));
    };
    let first = &input[..slash];
    // Namespaces are lowercase, so an uppercase first component can only be a host.
    let upper = first.bytes().position(|c| c.is_ascii_uppercase());
    if !(first == "localhost" || first.contains(['.', ':']) || upper.is_some()) {
        return Ok((DEFAULT_DOMAIN, 0));
    }
    if let Err(at) = scan_domain(first.as_bytes()) {
        // Not a host either; if it would be a namespace once lowercased, that is the fix to
        // suggest (upstream says the same, from retrying its regexp on the lowercased input).
        let lowered = first.to_ascii_lowercase();
        return Err(match upper {
            Some(p) if scan_path(lowered.as_bytes(), 0) == Ok(lowered.len()) => (Uppercase, p),
            _ => (InvalidHost, at),
        });
    }
    let domain = if first == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        first
    };
    Ok((domain, slash + 1))
}

/// Checks `host[:port]`: dot-joined `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` labels (IPv4
/// included) or a bracketed IPv6 address, then optional digits. `Err` holds the bad offset.
fn scan_domain(b: &[u8]) -> Result<(), usize> {
    let mut i;
    if b.first() == Some(&b'[') {
        // Upstream takes any run of hex digits and colons: no zone ids, no embedded IPv4.
        i = 1;
        while b
            .get(i)
            .is_some_and(|&c| c.is_ascii_hexdigit() || c == b':')
        {
            i += 1;
        }
        if i == 1 || b.get(i) != Some(&b']') {
            return Err(i);
        }
        i += 1;
    } else {
        i = 0;
        loop {
            let start = i;
            while b
                .get(i)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-')
            {
                i += 1;
            }
            if i == start || b[start] == b'-' {
                return Err(start);
            }
            if b[i - 1] == b'-' {
                return Err(i - 1);
            }
            if b.get(i) != Some(&b'.') {
                break;
            }
            i += 1;
        }
    }
    if b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(i);
        }
    }
    if i == b.len() { Ok(()) } else { Err(i) }
}

/// Scans "/"-joined path components from `i`: `[a-z0-9]+` runs joined by ".", "_", "__" or
/// dashes. Returns where the path ends, or the offset where a run was expected.
fn scan_path(b: &[u8], mut i: usize) -> Result<usize, usize> {
    loop {
        let start = i;
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            i += 1;
        }
        if i == start {
            return Err(i);
        }
        // Every separator, "/" included, must be followed by another run.
        match b.get(i) {
            Some(b'/' | b'.') => i += 1,
            Some(b'_') => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            Some(b'-') => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return Ok(i),
        }
    }
}

/// Scans a tag `[\w][\w.-]{0,127}` starting at `start`; returns where it ends.
fn scan_tag(b: &[u8], start: usize) -> Result<usize, Fail> {
    let is_tag_byte = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    let end = b[start..]
        .iter()
        .position(|c| !is_tag_byte(c))
        .map_or(b.len(), |p| start + p);
    match b.get(start) {
        // Nothing usable after ":": "nginx:" and "nginx:@sha256:..." lack a tag, anything
        // else is a bad character.
        None | Some(b'@') => Err((EmptyTag, start)),
        Some(b'.' | b'-') => Err((InvalidTag, start)),
        _ if end == start => Err((InvalidTag, start)),
        _ if end - start > MAX_TAG_LEN => Err((TagTooLong, start + MAX_TAG_LEN)),
        _ => Ok(end),
    }
}

/// Checks a whole digest `algorithm:hex`, offsets relative to `d`.
fn check_digest(d: &[u8]) -> Result<(), Fail> {
    let colon = scan_algorithm(d)?;
    let hex_start = colon + 1;
    let hex = &d[hex_start..];
    if let Some(p) = hex.iter().position(|c| !c.is_ascii_hexdigit()) {
        return Err((InvalidDigest, hex_start + p));
    }
    let algorithm = &d[..colon];
    match ALGORITHMS
        .iter()
        .find(|(name, _)| name.as_bytes() == algorithm)
    {
        // A wrong length is reported as such even below the grammar's 32 digits (where
        // upstream just says "invalid reference format"): the clearer message for a pasted,
        // truncated digest.
        Some(&(algorithm, digits)) if hex.len() != digits => {
            Err((DigestLength { algorithm, digits }, hex_start))
        }
        Some(_) => match hex.iter().position(u8::is_ascii_uppercase) {
            Some(p) => Err((DigestUppercase, hex_start + p)),
            None => Ok(()),
        },
        None if hex.len() < MIN_HEX_DIGITS => Err((InvalidDigest, d.len())),
        None => Err((UnsupportedDigest, 0)),
    }
}

/// Scans `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*` and returns the offset of the
/// ":" that must follow.
fn scan_algorithm(d: &[u8]) -> Result<usize, Fail> {
    let mut i = 0;
    loop {
        if !d.get(i).is_some_and(u8::is_ascii_alphabetic) {
            return Err((InvalidDigest, i));
        }
        i += 1;
        while d.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        match d.get(i) {
            Some(b'-' | b'_' | b'+' | b'.') => i += 1,
            Some(b':') => return Ok(i),
            _ => return Err((InvalidDigest, i)),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod upstream_tests;
