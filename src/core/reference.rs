//! Container image references, `[domain/]path[:tag][@digest]`, parsed and normalised as Docker
//! and containerd do (github.com/distribution/reference v0.6 `ParseNormalizedNamed`, with the
//! digest checks of go-digest v1).
//!
//! A hand-written single pass over the bytes rather than the upstream regular expressions: it
//! runs once per image value of possibly large inputs, needs no regex engine, and can say at
//! which byte the first problem is.

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ReferenceError {
    pub input: String,
    pub kind: ReferenceErrorKind,
    /// Byte offset of the problem in `input` (may equal its length when something is missing).
    pub offset: usize,
}

/// What is wrong with an input; the messages follow upstream's where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceErrorKind {
    #[error("empty reference")]
    Empty,
    #[error("whitespace in reference")]
    Whitespace,
    #[error("invalid reference format")]
    InvalidFormat,
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
    let name_end = scan_path(b, remote_start).map_err(|at| (InvalidFormat, at))?;
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
        return Err((InvalidFormat, pos));
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
            _ => (InvalidFormat, at),
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
        Some(b'.' | b'-') => Err((InvalidFormat, start)),
        _ if end == start => Err((InvalidFormat, start)),
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
        return Err((InvalidFormat, hex_start + p));
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
        None if hex.len() < MIN_HEX_DIGITS => Err((InvalidFormat, d.len())),
        None => Err((UnsupportedDigest, 0)),
    }
}

/// Scans `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*` and returns the offset of the
/// ":" that must follow.
fn scan_algorithm(d: &[u8]) -> Result<usize, Fail> {
    let mut i = 0;
    loop {
        if !d.get(i).is_some_and(u8::is_ascii_alphabetic) {
            return Err((InvalidFormat, i));
        }
        i += 1;
        while d.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        match d.get(i) {
            Some(b'-' | b'_' | b'+' | b'.') => i += 1,
            Some(b':') => return Ok(i),
            _ => return Err((InvalidFormat, i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sha256(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn sha512(c: char) -> String {
        format!("sha512:{}", c.to_string().repeat(128))
    }

    /// Parses `input` and checks the four parts and the round trip.
    #[track_caller]
    fn ok(input: &str, domain: &str, path: &str, tag: Option<&str>, digest: Option<&str>) {
        let r = ImageReference::parse(input)
            .unwrap_or_else(|e| panic!("{input:?}: {e} at {}", e.offset));
        assert_eq!(
            (r.domain(), r.path(), r.tag(), r.digest()),
            (domain, path, tag, digest),
            "{input:?}"
        );
        assert_eq!(r.to_string(), input);
    }

    #[track_caller]
    fn fails(input: &str) -> (ReferenceErrorKind, usize) {
        let e = ImageReference::parse(input).expect_err(input);
        assert_eq!(e.input, input);
        (e.kind, e.offset)
    }

    #[track_caller]
    fn kind(input: &str) -> ReferenceErrorKind {
        fails(input).0
    }

    const D: &str = "docker.io";

    /// Ported from distribution/reference reference_test.go `TestReferenceParse`. Upstream runs
    /// these through the non-normalising `Parse`; the expectations here are the normalised
    /// ones (`ParseNormalizedNamed`), so a name without a domain lands on docker.io.
    #[test]
    fn reference_test_parse() {
        let f64 = sha256('f');
        ok("test_com", D, "library/test_com", None, None);
        ok("test.com:tag", D, "library/test.com", Some("tag"), None);
        ok("test.com:5000", D, "library/test.com", Some("5000"), None);
        ok("test.com/repo:tag", "test.com", "repo", Some("tag"), None);
        ok("test:5000/repo", "test:5000", "repo", None, None);
        ok("test:5000/repo:tag", "test:5000", "repo", Some("tag"), None);
        ok(
            &format!("test:5000/repo@{f64}"),
            "test:5000",
            "repo",
            None,
            Some(&f64),
        );
        ok(
            &format!("test:5000/repo:tag@{f64}"),
            "test:5000",
            "repo",
            Some("tag"),
            Some(&f64),
        );
        assert_eq!(fails(""), (Empty, 0));
        assert_eq!(fails(":justtag"), (InvalidFormat, 0));
        assert_eq!(fails(&format!("@{f64}")), (InvalidFormat, 0));
        let short = format!("repo@sha256:{}", "f".repeat(34));
        let sha256_len = DigestLength {
            algorithm: "sha256",
            digits: 64,
        };
        assert_eq!(fails(&short), (sha256_len, 12));
        let unknown = format!("validname@invaliddigest:{}", "f".repeat(64));
        assert_eq!(fails(&unknown), (UnsupportedDigest, 10));
        assert_eq!(fails("Uppercase:tag"), (Uppercase, 0));
        assert_eq!(fails("test:5000/Uppercase/lowercase:tag"), (Uppercase, 10));
        ok(
            "lowercase:Uppercase",
            D,
            "library/lowercase",
            Some("Uppercase"),
            None,
        );
        // "domain" has no "." so it is a docker.io namespace: a 263-character path.
        let long = format!("domain/{}:tag", "a".repeat(256));
        assert_eq!(fails(&long), (NameTooLong, 0));
        let max = format!("{}a", "a/".repeat(127));
        ok(
            &format!("{max}:tag-puts-this-over-max"),
            D,
            &max,
            Some("tag-puts-this-over-max"),
            None,
        );
        assert_eq!(fails("aa/asdf$$^/aa"), (InvalidFormat, 7));
        ok(
            "sub-dom1.foo.com/bar/baz/quux",
            "sub-dom1.foo.com",
            "bar/baz/quux",
            None,
            None,
        );
        ok(
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "sub-dom1.foo.com",
            "bar/baz/quux",
            Some("some-long-tag"),
            None,
        );
        ok(
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "b.gcr.io",
            "test.example.com/my-app",
            Some("test.example.com"),
            None,
        );
        // ☃.com and 🐳.com in punycode
        ok(
            "xn--n3h.com/myimage:xn--n3h.com",
            "xn--n3h.com",
            "myimage",
            Some("xn--n3h.com"),
            None,
        );
        let f128 = sha512('f');
        ok(
            &format!("xn--7o8h.com/myimage:xn--7o8h.com@{f128}"),
            "xn--7o8h.com",
            "myimage",
            Some("xn--7o8h.com"),
            Some(&f128),
        );
        ok(
            "foo_bar.com:8080",
            D,
            "library/foo_bar.com",
            Some("8080"),
            None,
        );
        ok(
            "foo/foo_bar.com:8080",
            D,
            "foo/foo_bar.com",
            Some("8080"),
            None,
        );
        ok("192.168.1.1", D, "library/192.168.1.1", None, None);
        ok(
            "192.168.1.1:tag",
            D,
            "library/192.168.1.1",
            Some("tag"),
            None,
        );
        ok(
            "192.168.1.1:5000",
            D,
            "library/192.168.1.1",
            Some("5000"),
            None,
        );
        ok("192.168.1.1/repo", "192.168.1.1", "repo", None, None);
        ok(
            "192.168.1.1:5000/repo",
            "192.168.1.1:5000",
            "repo",
            None,
            None,
        );
        ok(
            "192.168.1.1:5000/repo:5050",
            "192.168.1.1:5000",
            "repo",
            Some("5050"),
            None,
        );
        assert_eq!(fails("[2001:db8::1]"), (InvalidFormat, 0));
        assert_eq!(fails("[2001:db8::1]:5000"), (InvalidFormat, 0));
        assert_eq!(fails("[2001:db8::1]:tag"), (InvalidFormat, 0));
        ok("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None);
        ok(
            "[2001:db8:1:2:3:4:5:6]/repo:tag",
            "[2001:db8:1:2:3:4:5:6]",
            "repo",
            Some("tag"),
            None,
        );
        ok(
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000",
            "repo",
            None,
            None,
        );
        ok(
            "[2001:db8::1]:5000/repo:tag",
            "[2001:db8::1]:5000",
            "repo",
            Some("tag"),
            None,
        );
        ok(
            &format!("[2001:db8::1]:5000/repo@{f64}"),
            "[2001:db8::1]:5000",
            "repo",
            None,
            Some(&f64),
        );
        ok(
            &format!("[2001:db8::1]:5000/repo:tag@{f64}"),
            "[2001:db8::1]:5000",
            "repo",
            Some("tag"),
            Some(&f64),
        );
        ok(
            "[2001:db8::]:5000/repo",
            "[2001:db8::]:5000",
            "repo",
            None,
            None,
        );
        ok("[::1]:5000/repo", "[::1]:5000", "repo", None, None);
        assert_eq!(fails("[fe80::1%eth0]:5000/repo"), (InvalidFormat, 8));
        assert_eq!(
            fails("[fe80::1%@invalidzone]:5000/repo"),
            (InvalidFormat, 8)
        );
        // v0.6 bounds the path only: 255 characters after a domain are fine, 256 are not.
        let a255 = "a".repeat(255);
        ok(
            &format!("example.com/{a255}:tag"),
            "example.com",
            &a255,
            Some("tag"),
            None,
        );
        assert_eq!(fails(&format!("example.com/{a255}a")), (NameTooLong, 12));
    }

    /// Ported from reference_test.go `TestWithNameFailure`, `TestDomainAndPath`,
    /// `TestSerialization` and `TestParseNamed` (the latter as canonical forms).
    #[test]
    fn reference_test_names() {
        assert_eq!(kind(":justtag"), InvalidFormat);
        assert_eq!(kind(&format!("@{}", sha256('f'))), InvalidFormat);
        assert_eq!(kind("aa/asdf$$^/aa"), InvalidFormat);
        assert_eq!(kind(&format!("{}a:tag", "a/".repeat(128))), NameTooLong);

        ok("test.com/foo", "test.com", "foo", None, None);
        ok("test_com/foo", D, "test_com/foo", None, None);
        ok("test:8080/foo", "test:8080", "foo", None, None);
        ok("test.com:8080/foo", "test.com:8080", "foo", None, None);
        ok("test-com:8080/foo", "test-com:8080", "foo", None, None);
        ok(
            "xn--n3h.com:18080/foo",
            "xn--n3h.com:18080",
            "foo",
            None,
            None,
        );

        ok(
            "example.com:8000/named",
            "example.com:8000",
            "named",
            None,
            None,
        );
        ok(
            "example.com:8000/named:tagged",
            "example.com:8000",
            "named",
            Some("tagged"),
            None,
        );
        let d = "sha256:1234567890098765432112345667890098765432112345667890098765432112";
        ok(
            &format!("other.com/named@{d}"),
            "other.com",
            "named",
            None,
            Some(d),
        );

        for (input, canonical) in [
            ("test.com/foo", "test.com/foo:latest"),
            ("test:8080/foo", "test:8080/foo:latest"),
            ("test_com/foo", "docker.io/test_com/foo:latest"),
            ("test.com", "docker.io/library/test.com:latest"),
            ("foo", "docker.io/library/foo:latest"),
            ("library/foo", "docker.io/library/foo:latest"),
            ("docker.io/library/foo", "docker.io/library/foo:latest"),
            ("docker.io/foo", "docker.io/library/foo:latest"),
        ] {
            let r = ImageReference::parse(input).unwrap();
            assert_eq!(r.canonical(), canonical, "{input}");
        }
    }

    /// Ported from normalize_test.go `TestValidateReferenceName` and `TestValidateRemoteName`.
    #[test]
    fn normalize_test_validate_names() {
        for valid in [
            "docker/docker",
            "library/debian",
            "debian",
            "docker.io/docker/docker",
            "docker.io/library/debian",
            "docker.io/debian",
            "index.docker.io/docker/docker",
            "index.docker.io/library/debian",
            "index.docker.io/debian",
            "127.0.0.1:5000/docker/docker",
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000/debian",
            "192.168.0.1",
            "192.168.0.1:80",
            "192.168.0.1:8/debian",
            "192.168.0.2:25000/debian",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "[fc00::1]:5000/docker",
            "[fc00::1]:5000/docker/docker",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            // valid with a domain: that removes the ambiguity with an image ID
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "Docker/docker",
            "DOCKER/docker",
            "docker-rules/docker",
            "docker---rules/docker",
            "doc/docker",
            "d/docker",
            "jess/t",
            "dock__er/docker",
        ] {
            if let Err(e) = ImageReference::parse(valid) {
                panic!("{valid:?}: {e} at {}", e.offset);
            }
        }
        for (invalid, expected) in [
            ("https://github.com/docker/docker", InvalidFormat),
            ("docker/Docker", Uppercase),
            ("-docker", InvalidFormat),
            ("-docker/docker", InvalidFormat),
            ("-docker.io/docker/docker", InvalidFormat),
            ("docker///docker", InvalidFormat),
            ("docker.io/docker/Docker", Uppercase),
            ("docker.io/docker///docker", InvalidFormat),
            ("[fc00::1]", InvalidFormat),
            ("[fc00::1]:5000", InvalidFormat),
            ("fc00::1:5000/debian", InvalidFormat),
            ("[fe80::1%eth0]:5000/debian", InvalidFormat),
            ("[2001:db8:3:4::192.0.2.33]:5000/debian", InvalidFormat),
            (
                "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
                HexName,
            ),
            ("docker-/docker", InvalidFormat),
            ("-docker-/docker", InvalidFormat),
            ("____/____", InvalidFormat),
            ("_docker/_docker", InvalidFormat),
            ("dock..er/docker", InvalidFormat),
            ("dock_.er/docker", InvalidFormat),
            ("dock-.er/docker", InvalidFormat),
            ("docker/", InvalidFormat),
            (
                "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
                NameTooLong,
            ),
        ] {
            assert_eq!(kind(invalid), expected, "{invalid:?}");
        }
    }

    /// Ported from normalize_test.go `TestParseRepositoryInfo`: the familiar, full and
    /// ambiguous spellings all normalise to the same domain and path.
    #[test]
    fn normalize_test_repository_info() {
        for (path, spellings, domain) in [
            (
                "fooo/bar",
                &["fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar"][..],
                D,
            ),
            (
                "library/ubuntu",
                &["ubuntu", "docker.io/library/ubuntu", "library/ubuntu"],
                D,
            ),
            (
                "nonlibrary/ubuntu",
                &["nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu"],
                D,
            ),
            (
                "other/library",
                &["other/library", "docker.io/other/library"],
                D,
            ),
            (
                "private/moonbase",
                &["127.0.0.1:8000/private/moonbase"],
                "127.0.0.1:8000",
            ),
            (
                "privatebase",
                &["127.0.0.1:8000/privatebase"],
                "127.0.0.1:8000",
            ),
            (
                "private/moonbase",
                &["example.com/private/moonbase"],
                "example.com",
            ),
            ("privatebase", &["example.com/privatebase"], "example.com"),
            (
                "private/moonbase",
                &["example.com:8000/private/moonbase"],
                "example.com:8000",
            ),
            (
                "privatebasee",
                &["example.com:8000/privatebasee"],
                "example.com:8000",
            ),
            (
                "library/ubuntu-12.04-base",
                &[
                    "ubuntu-12.04-base",
                    "docker.io/library/ubuntu-12.04-base",
                    "index.docker.io/library/ubuntu-12.04-base",
                ],
                D,
            ),
            (
                "library/foo",
                &["foo", "docker.io/library/foo", "docker.io/foo"],
                D,
            ),
            (
                "library/foo/bar",
                &["library/foo/bar", "docker.io/library/foo/bar"],
                D,
            ),
            (
                "store/foo/bar",
                &["store/foo/bar", "docker.io/store/foo/bar"],
                D,
            ),
            ("bar", &["Foo/bar"], "Foo"),
            ("bar", &["FOO/bar"], "FOO"),
        ] {
            for &spelling in spellings {
                ok(spelling, domain, path, None, None);
                let r = ImageReference::parse(spelling).unwrap();
                assert_eq!(r.name(), format!("{domain}/{path}"));
                assert_eq!(r.written_name(), spelling);
            }
        }
    }

    /// Ported from normalize_test.go `TestParseReferenceWithTagAndDigest`,
    /// `TestInvalidReferenceComponents`, `TestParseAnyReference` (its named cases) and
    /// `TestNormalizedSplitHostname`.
    #[test]
    fn normalize_test_references() {
        let d = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let short = format!("busybox:latest@{d}");
        let r = ImageReference::parse(&short).unwrap();
        assert_eq!(r.canonical(), format!("docker.io/library/{short}"));
        assert_eq!((r.tag(), r.digest()), (Some("latest"), Some(d)));

        assert_eq!(kind("-foo"), InvalidFormat);
        assert_eq!(kind("busybox:-foo"), InvalidFormat);

        let d = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
        for (input, name, tag, digest) in [
            ("redis", "docker.io/library/redis", None, None),
            (
                "redis:latest",
                "docker.io/library/redis",
                Some("latest"),
                None,
            ),
            (
                "docker.io/library/redis:latest",
                "docker.io/library/redis",
                Some("latest"),
                None,
            ),
            (
                &format!("redis@{d}"),
                "docker.io/library/redis",
                None,
                Some(d),
            ),
            (
                &format!("docker.io/library/redis@{d}"),
                "docker.io/library/redis",
                None,
                Some(d),
            ),
            ("dmcgowan/myapp", "docker.io/dmcgowan/myapp", None, None),
            (
                "dmcgowan/myapp:latest",
                "docker.io/dmcgowan/myapp",
                Some("latest"),
                None,
            ),
            (
                "docker.io/mcgowan/myapp:latest",
                "docker.io/mcgowan/myapp",
                Some("latest"),
                None,
            ),
            (
                &format!("dmcgowan/myapp@{d}"),
                "docker.io/dmcgowan/myapp",
                None,
                Some(d),
            ),
            (
                &format!("docker.io/dmcgowan/myapp@{d}"),
                "docker.io/dmcgowan/myapp",
                None,
                Some(d),
            ),
            (
                "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
                "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
                None,
                None,
            ),
            ("dbcc1", "docker.io/library/dbcc1", None, None),
            // `ParseAnyReference` reads this one as a bare digest; as a name it is the
            // docker.io repository "sha256" with a 64-character tag.
            (
                d,
                "docker.io/library/sha256",
                Some(&d["sha256:".len()..]),
                None,
            ),
        ] {
            let r = ImageReference::parse(input).unwrap();
            assert_eq!((r.name(), r.tag(), r.digest()), (name.into(), tag, digest));
        }
        // `ParseAnyReference` reads this one as an image ID; as a name it is refused.
        assert_eq!(fails(&d["sha256:".len()..]), (HexName, 0));

        for (input, domain, path) in [
            ("test.com/foo", "test.com", "foo"),
            ("test_com/foo", D, "test_com/foo"),
            ("docker/migrator", D, "docker/migrator"),
            ("test.com:8080/foo", "test.com:8080", "foo"),
            ("test-com:8080/foo", "test-com:8080", "foo"),
            ("foo", D, "library/foo"),
            ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
            ("docker.io/foo", D, "library/foo"),
            ("docker.io/library/foo", D, "library/foo"),
            ("docker.io/library/foo/bar", D, "library/foo/bar"),
        ] {
            ok(input, domain, path, None, None);
        }
    }

    /// Ported from regexp_test.go `TestDomainRegexp`.
    #[test]
    fn regexp_test_domain() {
        for (input, valid) in [
            ("test.com", true),
            ("test.com:10304", true),
            ("test.com:http", false),
            ("localhost", true),
            ("localhost:8080", true),
            ("a", true),
            ("a.b", true),
            ("ab.cd.com", true),
            ("a-b.com", true),
            ("-ab.com", false),
            ("ab-.com", false),
            ("ab.c-om", true),
            ("ab.-com", false),
            ("ab.com-", false),
            ("0101.com", true),
            ("001a.com", true),
            ("b.gbc.io:443", true),
            ("b.gbc.io", true),
            ("xn--n3h.com", true),
            ("Asdf.com", true),
            ("192.168.1.1:75050", true),
            ("192.168.1.1:750050", true),
            ("[fd00:1:2::3]:75050", true),
            ("[fd00:1:2::3]75050", false),
            ("[fd00:1:2::3]::75050", false),
            ("[fd00:1:2::3%eth0]:75050", false),
            ("[fd00123123123]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
            ("fd00:1:2::3:75050", false),
        ] {
            assert_eq!(scan_domain(input.as_bytes()).is_ok(), valid, "{input:?}");
            // The same verdict through the whole parser, where it is a domain before a path.
            let as_domain = format!("{input}/foo");
            let parsed = ImageReference::parse(&as_domain);
            assert_eq!(parsed.is_ok(), valid, "{as_domain:?}");
        }
        // A lone label without ".", ":" or uppercase is a namespace, not a domain.
        ok("a/foo", D, "a/foo", None, None);
    }

    /// Ported from regexp_test.go `TestFullNameRegexp`. Upstream splits with its unanchored
    /// name regexp; here the normalised domain and path are expected instead.
    #[test]
    fn regexp_test_full_name() {
        for (input, split) in [
            ("", None),
            ("short", Some((D, "library/short"))),
            ("simple/name", Some((D, "simple/name"))),
            ("library/ubuntu", Some((D, "library/ubuntu"))),
            ("docker/stevvooe/app", Some((D, "docker/stevvooe/app"))),
            (
                "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
                Some((D, "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb")),
            ),
            ("aa/aa/bb/bb/bb", Some((D, "aa/aa/bb/bb/bb"))),
            ("a/a/a/a", Some((D, "a/a/a/a"))),
            ("a/a/a/a/", None),
            ("a//a/a", None),
            ("a", Some((D, "library/a"))),
            ("a/aa", Some((D, "a/aa"))),
            ("a/aa/a", Some((D, "a/aa/a"))),
            ("foo.com", Some((D, "library/foo.com"))),
            ("foo.com/", None),
            ("foo.com:8080/bar", Some(("foo.com:8080", "bar"))),
            ("foo.com:http/bar", None),
            ("foo.com/bar", Some(("foo.com", "bar"))),
            ("foo.com/bar/baz", Some(("foo.com", "bar/baz"))),
            ("localhost:8080/bar", Some(("localhost:8080", "bar"))),
            (
                "sub-dom1.foo.com/bar/baz/quux",
                Some(("sub-dom1.foo.com", "bar/baz/quux")),
            ),
            ("blog.foo.com/bar/baz", Some(("blog.foo.com", "bar/baz"))),
            ("a^a", None),
            ("aa/asdf$$^/aa", None),
            ("asdf$$^/aa", None),
            ("aa-a/a", Some((D, "aa-a/a"))),
            ("a-/a/a/a", None),
            ("foo.com/a-/a/a", None),
            ("-foo/bar", None),
            ("foo/bar-", None),
            ("foo-/bar", None),
            ("foo/-bar", None),
            ("_foo/bar", None),
            ("foo_bar", Some((D, "library/foo_bar"))),
            ("foo_bar.com", Some((D, "library/foo_bar.com"))),
            ("foo_bar.com:8080/app", None),
            ("foo.com/foo_bar", Some(("foo.com", "foo_bar"))),
            ("____/____", None),
            ("_docker/_docker", None),
            ("docker_/docker_", None),
            (
                "b.gcr.io/test.example.com/my-app",
                Some(("b.gcr.io", "test.example.com/my-app")),
            ),
            ("xn--n3h.com/myimage", Some(("xn--n3h.com", "myimage"))),
            ("xn--7o8h.com/myimage", Some(("xn--7o8h.com", "myimage"))),
            (
                "example.com/xn--7o8h.com/myimage",
                Some(("example.com", "xn--7o8h.com/myimage")),
            ),
            (
                "example.com/some_separator__underscore/myimage",
                Some(("example.com", "some_separator__underscore/myimage")),
            ),
            ("example.com/__underscore/myimage", None),
            ("example.com/..dots/myimage", None),
            ("example.com/.dots/myimage", None),
            ("example.com/nodouble..dots/myimage", None),
            ("docker./docker", None),
            (".docker/docker", None),
            ("docker-/docker", None),
            ("-docker/docker", None),
            ("do..cker/docker", None),
            ("do__cker:8080/docker", None),
            ("do__cker/docker", Some((D, "do__cker/docker"))),
            (
                "registry.io/foo/project--id.module--name.ver---sion--name",
                Some((
                    "registry.io",
                    "foo/project--id.module--name.ver---sion--name",
                )),
            ),
            ("Asdf.com/foo/bar", Some(("Asdf.com", "foo/bar"))),
            ("Foo/FarB", None),
        ] {
            match split {
                Some((domain, path)) => ok(input, domain, path, None, None),
                None => {
                    ImageReference::parse(input).expect_err(input);
                }
            }
        }
        // Upstream's name regexp also matches "foo_bar.com:8080" only as a name with a
        // tag, which is what it is here.
        ok(
            "foo_bar.com:8080",
            D,
            "library/foo_bar.com",
            Some("8080"),
            None,
        );
        // Upstream splits off "a" as a domain; normalised, "a" is a namespace and the
        // 257-character path is too long.
        let many = format!("{}a", "a/".repeat(128));
        assert_eq!(fails(&many), (NameTooLong, 0));
        assert_eq!(fails("Foo/FarB"), (Uppercase, 4));
    }

    /// Ported from regexp_test.go `TestReferenceRegexp` and `TestIdentifierRegexp`.
    #[test]
    fn regexp_test_reference_and_identifier() {
        let d = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912";
        let r = "registry.com:8080";
        ok(&format!("{r}/myapp:tag"), r, "myapp", Some("tag"), None);
        ok(&format!("{r}/myapp@{d}"), r, "myapp", None, Some(d));
        ok(
            &format!("{r}/myapp:tag2@{d}"),
            r,
            "myapp",
            Some("tag2"),
            Some(d),
        );
        // Upstream: no match (fewer than 32 hex digits); here: the clearer length error.
        let sha256_len = DigestLength {
            algorithm: "sha256",
            digits: 64,
        };
        assert_eq!(kind(&format!("{r}/myapp@sha256:badbadbadbad")), sha256_len);
        assert_eq!(
            fails(&format!("{r}/myapp:invalid~tag")),
            (InvalidFormat, 31)
        );
        assert_eq!(fails("bad_hostname.com:8080/myapp:tag"), (InvalidFormat, 3));
        // "localhost" without a "/" is a name, and 8080 its tag.
        let local = format!("localhost:8080@{d}");
        ok(&local, D, "library/localhost", Some("8080"), Some(d));
        let local = format!("localhost:8080/name@{d}");
        ok(&local, "localhost:8080", "name", None, Some(d));
        assert_eq!(kind(&format!("localhost:http/name@{d}")), InvalidFormat);
        ok(
            &format!("localhost@{d}"),
            D,
            "library/localhost",
            None,
            Some(d),
        );
        assert_eq!(fails(&format!("{r}/myapp@bad")), (InvalidFormat, 27));
        assert_eq!(fails(&format!("{r}/myapp@2bad")), (InvalidFormat, 24));

        let id = "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821";
        assert_eq!(fails(id), (HexName, 0));
        let upper_id = "7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C";
        assert_eq!(fails(upper_id), (Uppercase, 1));
        let short_id = "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf";
        ok(short_id, D, &format!("library/{short_id}"), None, None);
        let long_id = "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482";
        ok(long_id, D, &format!("library/{long_id}"), None, None);
        // Only the whole input is checked, as upstream does: with a tag it is a plain name.
        ok(
            &format!("{id}:1"),
            D,
            &format!("library/{id}"),
            Some("1"),
            None,
        );
    }

    /// Ported from go-digest digest_test.go `TestParseDigest` (cases for the algorithms
    /// go-digest v1 registers; blake3 came later and is not accepted).
    #[test]
    fn go_digest_parse() {
        for (input, valid) in [
            (
                "sha256:e58fcf7418d4390dec8e8fb69d88c06ec07039d651fedd3aa72af9972e7d046b",
                true,
            ),
            (
                "sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d",
                true,
            ),
            ("", false),
            ("     ", false),
            ("sha256:", false),
            (
                "sha256:                                                                ",
                false,
            ),
            (":", false),
            ("d41d8cd98f00b204e9800998ecf8427e", false),
            ("sha256:d41d8cd98f00b204e9800m98ecf8427e", false),
            ("sha256:abcdef0123456789", false),
            (
                "sha512:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                false,
            ),
            (
                "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
                false,
            ),
            ("foo:d41d8cd98f00b204e9800998ecf8427e", false),
            (
                "sha384__foo+bar:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d",
                false,
            ),
            (
                "sha384.foo+bar:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d",
                false,
            ),
            (
                "sha256+b64:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
                false,
            ),
            (
                "sha256:E58FCF7418D4390DEC8E8FB69D88C06EC07039D651FEDD3AA72AF9972E7D046B",
                false,
            ),
        ] {
            assert_eq!(is_valid_digest(input), valid, "{input:?}");
        }
        assert!(is_valid_digest(&sha512('0')));
        assert!(!is_valid_digest(&format!("{}0", sha256('0'))));
    }

    #[test]
    fn digest_errors() {
        let hex = "a".repeat(64);
        let at = "foo@".len();
        let sha384_len = DigestLength {
            algorithm: "sha384",
            digits: 96,
        };
        assert_eq!(fails(&format!("foo@sha384:{hex}")), (sha384_len, at + 7));
        let upper = format!("foo@sha256:{}B{}", "a".repeat(10), "a".repeat(53));
        assert_eq!(fails(&upper), (DigestUppercase, at + 7 + 10));
        let unknown = format!("foo@md5+x.y-z_w:{hex}");
        assert_eq!(fails(&unknown), (UnsupportedDigest, at));
        // Unknown algorithms still need the grammar's 32 hex digits.
        let too_short = format!("foo@md5:{}", "a".repeat(31));
        assert_eq!(fails(&too_short), (InvalidFormat, too_short.len()));
        assert_eq!(fails("foo@sha256"), (InvalidFormat, at + 6));
        assert_eq!(fails("foo@1sha:x"), (InvalidFormat, at));
        assert_eq!(fails("foo@sha+:x"), (InvalidFormat, at + 4));
        let twice = format!("foo@{}@{}", sha256('a'), sha256('b'));
        assert_eq!(fails(&twice), (InvalidFormat, at + 71));
        let non_hex = format!("foo@sha256:{}g", "a".repeat(63));
        assert_eq!(fails(&non_hex), (InvalidFormat, at + 70));
    }

    #[test]
    fn tag_errors() {
        assert_eq!(fails("nginx:"), (EmptyTag, 6));
        assert_eq!(fails(&format!("nginx:@{}", sha256('a'))), (EmptyTag, 6));
        assert_eq!(fails("nginx:~"), (InvalidFormat, 6));
        assert_eq!(fails("nginx:.x"), (InvalidFormat, 6));
        assert_eq!(fails("nginx:1.2~x"), (InvalidFormat, 9));
        assert_eq!(fails("nginx:1:2"), (InvalidFormat, 7));
        // A "/" after a ":" makes the ":" part of a host:port, as upstream reads it.
        ok("nginx:1/2", "nginx:1", "2", None, None);
        assert_eq!(fails("nginx:a/2"), (InvalidFormat, 6));
        let max = format!("_{}", "a.-B9".repeat(127 / 5)) + "xx";
        assert_eq!(max.len(), 128);
        ok(
            &format!("nginx:{max}"),
            D,
            "library/nginx",
            Some(&max),
            None,
        );
        assert_eq!(fails(&format!("nginx:{max}x")), (TagTooLong, 6 + 128));
    }

    #[test]
    fn name_errors_and_offsets() {
        assert_eq!(fails("nginx "), (Whitespace, 5));
        assert_eq!(fails(" nginx"), (Whitespace, 0));
        assert_eq!(fails("ngi\u{a0}nx"), (Whitespace, 3));
        assert_eq!(fails("nginx:1.0\n"), (Whitespace, 9));
        assert_eq!(fails("ngïnx"), (InvalidFormat, 2));
        assert_eq!(fails("quay.io/Org/app"), (Uppercase, 8));
        // Case is reported before syntax, as upstream does.
        assert_eq!(fails("quay.io/a$b/Org"), (Uppercase, 12));
        assert_eq!(fails("/nginx"), (InvalidFormat, 0));
        assert_eq!(fails("quay.io//nginx"), (InvalidFormat, 8));
        assert_eq!(fails("quay.io:/nginx"), (InvalidFormat, 8));
        assert_eq!(fails("quay..io/nginx"), (InvalidFormat, 5));
        assert_eq!(fails("[]/nginx"), (InvalidFormat, 0));
        assert_eq!(fails("[]:5000/nginx"), (InvalidFormat, 1));
        assert_eq!(fails("[::1/nginx"), (InvalidFormat, 4));
        // An uppercase first component is a host; when it cannot be one but would be a fine
        // namespace in lowercase, lowercase is the fix to suggest.
        assert_eq!(fails("My_Org/app"), (Uppercase, 0));
        assert_eq!(fails("My_Org-/app"), (InvalidFormat, 2));
        // Upstream accepts this with an empty domain (its regexp falls back to reading
        // "foo.x_y" as a path component); a reference must name a registry here.
        assert_eq!(fails("foo.x_y/app"), (InvalidFormat, 5));
    }

    #[test]
    fn normalisation() {
        ok("index.docker.io/nginx", D, "library/nginx", None, None);
        ok(
            "index.docker.io:443/nginx",
            "index.docker.io:443",
            "nginx",
            None,
            None,
        );
        ok("docker.io:443/nginx", "docker.io:443", "nginx", None, None);
        ok("localhost/nginx", "localhost", "nginx", None, None);
        ok("localhost:5000/a/b", "localhost:5000", "a/b", None, None);
        ok("quay.io/nginx", "quay.io", "nginx", None, None);
        ok("[fc00::1]:5000/foo", "[fc00::1]:5000", "foo", None, None);
        ok("[FC00::A]/foo", "[FC00::A]", "foo", None, None);
        ok("Registry/foo", "Registry", "foo", None, None);
        // docker.io + "library/" + 247 characters is exactly the limit.
        ok(
            &"a".repeat(247),
            D,
            &format!("library/{}", "a".repeat(247)),
            None,
            None,
        );
        assert_eq!(fails(&"a".repeat(248)), (NameTooLong, 0));
    }

    #[test]
    fn accessors() {
        let d = sha256('c');
        let r: ImageReference = format!("nginx:1.25@{d}").parse().unwrap();
        assert_eq!(r.written_name(), "nginx");
        assert_eq!(r.name(), "docker.io/library/nginx");
        assert_eq!(r.canonical(), format!("docker.io/library/nginx:1.25@{d}"));
        assert_eq!(r.tag_or_latest(), Some("1.25"));
        assert_eq!(r.pinned("sha256:new", false), "nginx:1.25@sha256:new");
        assert_eq!(r.pinned("sha256:new", true), "nginx@sha256:new");

        let r = ImageReference::parse("index.docker.io/nginx").unwrap();
        assert_eq!(r.written_name(), "index.docker.io/nginx");
        assert_eq!(r.canonical(), "docker.io/library/nginx:latest");
        assert_eq!((r.tag(), r.tag_or_latest()), (None, Some("latest")));
        assert_eq!(
            r.pinned("sha256:new", false),
            "index.docker.io/nginx:latest@sha256:new"
        );
        assert_eq!(
            r.pinned("sha256:new", true),
            "index.docker.io/nginx@sha256:new"
        );

        let r = ImageReference::parse(&format!("quay.io/a/b@{d}")).unwrap();
        assert_eq!(r.canonical(), format!("quay.io/a/b@{d}"));
        assert_eq!(r.tag_or_latest(), None);
        assert_eq!(r.pinned("sha256:new", false), "quay.io/a/b@sha256:new");

        let r = ImageReference::parse("[::1]:5000/app:v1").unwrap();
        assert_eq!(r.domain(), "[::1]:5000");
        assert_eq!(r.to_string(), "[::1]:5000/app:v1");
        assert_eq!(r.canonical(), "[::1]:5000/app:v1");

        // Equality is on the text as written.
        let a = ImageReference::parse("nginx").unwrap();
        let b = ImageReference::parse("docker.io/library/nginx").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.canonical(), b.canonical());
    }

    #[test]
    fn error_messages() {
        let e = ImageReference::parse("nginx@sha256:abc").unwrap_err();
        assert_eq!(e.to_string(), "invalid digest: sha256 needs 64 hex digits");
        assert_eq!(e.offset, 13);
        for (input, message) in [
            ("", "empty reference"),
            ("a b", "whitespace in reference"),
            ("a$", "invalid reference format"),
            ("A", "repository name must be lowercase"),
            (
                &"a".repeat(300),
                "repository name is longer than 255 characters",
            ),
            (
                &"a".repeat(64),
                "cannot specify 64-byte hexadecimal strings",
            ),
            ("a:", "empty tag"),
            (
                &format!("a:{}", "t".repeat(129)),
                "tag is longer than 128 characters",
            ),
            (
                &format!("a@{}", sha256('A')),
                "invalid digest: hex digits must be lowercase",
            ),
            (
                &format!("a@md5:{}", "0".repeat(32)),
                "unsupported digest algorithm",
            ),
        ] {
            assert_eq!(
                ImageReference::parse(input).unwrap_err().to_string(),
                message
            );
        }
    }

    /// Every string of up to four characters from an alphabet of the grammar's delimiters and
    /// edge characters: no panic, and the invariants of [`check_total`] hold.
    #[test]
    fn short_strings_exhaustively() {
        let alphabet = ['a', 'A', '0', '.', '_', '-', ':', '/', '@', '[', ']', 'é'];
        let mut word = String::new();
        fn walk(alphabet: &[char], word: &mut String, depth: usize) {
            check_total(word).unwrap();
            if depth == 4 {
                return;
            }
            for &c in alphabet {
                word.push(c);
                walk(alphabet, word, depth + 1);
                word.pop();
            }
        }
        walk(&alphabet, &mut word, 0);
    }

    /// The invariants for any input: a valid one round-trips and its canonical form parses to
    /// the same reference; an error points inside the input at a character boundary.
    fn check_total(s: &str) -> Result<(), TestCaseError> {
        match ImageReference::parse(s) {
            Ok(r) => {
                prop_assert_eq!(r.to_string(), s);
                let c = ImageReference::parse(&r.canonical())
                    .map_err(|e| TestCaseError::fail(format!("{}: {e}", r.canonical())))?;
                prop_assert_eq!(c.canonical(), r.canonical());
            }
            Err(e) => {
                prop_assert!(e.offset <= s.len() && s.is_char_boundary(e.offset), "{e:?}");
            }
        }
        Ok(())
    }

    /// Port of upstream `splitDockerDomain` as a straightforward string model, to check the
    /// scanner's domain and path against.
    fn model_split(name: &str) -> (String, String) {
        let (domain, remote) = match name.split_once('/') {
            None => return (D.into(), format!("library/{name}")),
            Some(("index.docker.io", remote)) => (D, remote),
            Some((first, remote))
                if first == "localhost"
                    || first.contains(['.', ':'])
                    || first.to_lowercase() != first =>
            {
                (first, remote)
            }
            Some(_) => (D, name),
        };
        let remote = if domain == D && !remote.contains('/') {
            format!("library/{remote}")
        } else {
            remote.to_owned()
        };
        (domain.to_owned(), remote)
    }

    const COMPONENT: &str = "[a-z0-9]{1,6}(([._]|__|-{1,3})[a-z0-9]{1,6}){0,3}";
    /// A first component that cannot be mistaken for a domain.
    const NAMESPACE: &str = "[a-z0-9]{1,6}((_|__|-{1,3})[a-z0-9]{1,6}){0,3}";
    const LABEL: &str = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?";

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("docker.io".to_owned()),
            Just("index.docker.io".to_owned()),
            Just("localhost".to_owned()),
            prop::collection::vec(LABEL, 2..5).prop_map(|labels| labels.join(".")),
            "[A-Z][a-zA-Z0-9]{0,5}",
            any::<[u8; 4]>().prop_map(|o| format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
            (any::<[u16; 8]>(), any::<bool>()).prop_map(|(segments, compressed)| {
                let address = std::net::Ipv6Addr::from(segments).to_string();
                // Display may write IPv4-mapped addresses with dots, which the grammar lacks.
                if compressed && !address.contains('.') {
                    format!("[{address}]")
                } else {
                    let hex: Vec<String> = segments.iter().map(|s| format!("{s:X}")).collect();
                    format!("[{}]", hex.join(":"))
                }
            }),
        ]
    }

    fn domain() -> impl Strategy<Value = Option<String>> {
        prop::option::of((host(), prop::option::of(any::<u16>())).prop_map(
            |(host, port)| match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            },
        ))
    }

    fn path(has_domain: bool) -> impl Strategy<Value = String> {
        (COMPONENT, NAMESPACE, prop::collection::vec(COMPONENT, 0..4)).prop_map(
            move |(single, namespace, rest)| {
                let first = if has_domain || rest.is_empty() {
                    single
                } else {
                    namespace
                };
                std::iter::once(first)
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join("/")
            },
        )
    }

    fn digest() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-f]{64}".prop_map(|hex| format!("sha256:{hex}")),
            "[0-9a-f]{96}".prop_map(|hex| format!("sha384:{hex}")),
            "[0-9a-f]{128}".prop_map(|hex| format!("sha512:{hex}")),
        ]
    }

    /// A valid reference from the grammar: (input, written name, tag, digest).
    fn reference() -> impl Strategy<Value = (String, String, Option<String>, Option<String>)> {
        domain()
            .prop_flat_map(|domain| {
                let has_domain = domain.is_some();
                (
                    Just(domain),
                    path(has_domain),
                    prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"),
                    prop::option::of(digest()),
                )
            })
            .prop_map(|(domain, path, tag, digest)| {
                let name = match domain {
                    Some(domain) => format!("{domain}/{path}"),
                    None => path,
                };
                let mut input = name.clone();
                if let Some(tag) = &tag {
                    input = format!("{input}:{tag}");
                }
                if let Some(digest) = &digest {
                    input = format!("{input}@{digest}");
                }
                (input, name, tag, digest)
            })
    }

    proptest! {
        #[test]
        fn generated_references_parse((input, name, tag, digest) in reference()) {
            let r = ImageReference::parse(&input)
                .map_err(|e| TestCaseError::fail(format!("{input:?}: {e} at {}", e.offset)))?;
            prop_assert_eq!(r.to_string(), input.as_str());
            prop_assert_eq!(r.written_name(), name.as_str());
            let (domain, path) = model_split(&name);
            prop_assert_eq!(r.domain(), domain);
            prop_assert_eq!(r.path(), path);
            prop_assert_eq!(r.tag(), tag.as_deref());
            prop_assert_eq!(r.digest(), digest.as_deref());

            let c = ImageReference::parse(&r.canonical())
                .map_err(|e| TestCaseError::fail(format!("{}: {e}", r.canonical())))?;
            prop_assert_eq!(
                (c.domain(), c.path(), c.tag_or_latest(), c.digest()),
                (r.domain(), r.path(), r.tag_or_latest(), r.digest())
            );
            prop_assert_eq!(c.canonical(), r.canonical());

            let new = sha256('e');
            for digest_only in [false, true] {
                let p = ImageReference::parse(&r.pinned(&new, digest_only)).unwrap();
                prop_assert_eq!(p.written_name(), r.written_name());
                prop_assert_eq!(p.digest(), Some(new.as_str()));
                let tag = if digest_only { None } else { r.tag_or_latest() };
                prop_assert_eq!(p.tag(), tag);
            }
        }

        /// One byte of a valid reference replaced, inserted or removed: near misses reach
        /// the deep error paths that random strings rarely do.
        #[test]
        fn mutated_references_never_panic(
            (input, ..) in reference(),
            at in any::<prop::sample::Index>(),
            edit in 0..3u8,
            c in prop::sample::select(&['/', ':', '@', '.', '_', '-', '[', ']', 'A', 'é', ' '][..]),
        ) {
            let mut s = input;
            let i = at.index(s.len() + 1);
            match edit {
                0 if i < s.len() => { s.remove(i); }
                1 if i < s.len() => { s.replace_range(i..i + 1, &c.to_string()); }
                _ => s.insert(i, c),
            }
            check_total(&s)?;
        }

        #[test]
        fn arbitrary_strings_never_panic(s in any::<String>()) {
            check_total(&s)?;
        }

        #[test]
        fn grammar_alphabet_strings_never_panic(s in "[a-zA-Z0-9:/@._\\[\\]%~ -]{0,40}") {
            check_total(&s)?;
        }
    }
}
