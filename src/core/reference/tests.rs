//! The parser's own unit tests: error kinds and offsets, normalisation, accessors, messages,
//! and properties over generated and arbitrary input. The helpers here serve the ported upstream
//! tables in `upstream_tests.rs` too.

use super::*;
use proptest::prelude::*;

pub(super) fn sha256(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// Parses `input` and checks the four parts and the round trip.
#[track_caller]
pub(super) fn ok(input: &str, domain: &str, path: &str, tag: Option<&str>, digest: Option<&str>) {
    let r =
        ImageReference::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e} at {}", e.offset));
    assert_eq!(
        (r.domain(), r.path(), r.tag(), r.digest()),
        (domain, path, tag, digest),
        "{input:?}"
    );
    assert_eq!(r.to_string(), input);
}

#[track_caller]
pub(super) fn fails(input: &str) -> (ReferenceErrorKind, usize) {
    let e = ImageReference::parse(input).expect_err(input);
    assert_eq!(e.input, input);
    (e.kind, e.offset)
}

pub(super) const D: &str = "docker.io";

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
    assert_eq!(fails(&too_short), (InvalidDigest, too_short.len()));
    assert_eq!(fails("foo@sha256"), (InvalidDigest, at + 6));
    assert_eq!(fails("foo@1sha:x"), (InvalidDigest, at));
    assert_eq!(fails("foo@sha+:x"), (InvalidDigest, at + 4));
    let twice = format!("foo@{}@{}", sha256('a'), sha256('b'));
    assert_eq!(fails(&twice), (InvalidDigest, at + 71));
    let non_hex = format!("foo@sha256:{}g", "a".repeat(63));
    assert_eq!(fails(&non_hex), (InvalidDigest, at + 70));
}

#[test]
fn tag_errors() {
    assert_eq!(fails("nginx:"), (EmptyTag, 6));
    assert_eq!(fails(&format!("nginx:@{}", sha256('a'))), (EmptyTag, 6));
    assert_eq!(fails("nginx:~"), (InvalidTag, 6));
    assert_eq!(fails("nginx:.x"), (InvalidTag, 6));
    assert_eq!(fails("nginx:1.2~x"), (InvalidTag, 9));
    assert_eq!(fails("nginx:1:2"), (InvalidTag, 7));
    // A "/" after a ":" makes the ":" part of a host:port, as upstream reads it.
    ok("nginx:1/2", "nginx:1", "2", None, None);
    assert_eq!(fails("nginx:a/2"), (InvalidHost, 6));
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
    assert_eq!(fails("ngïnx"), (InvalidName, 2));
    assert_eq!(fails("quay.io/Org/app"), (Uppercase, 8));
    // Case is reported before syntax, as upstream does.
    assert_eq!(fails("quay.io/a$b/Org"), (Uppercase, 12));
    assert_eq!(fails("/nginx"), (InvalidName, 0));
    assert_eq!(fails("quay.io//nginx"), (InvalidName, 8));
    assert_eq!(fails("quay.io:/nginx"), (InvalidHost, 8));
    assert_eq!(fails("quay..io/nginx"), (InvalidHost, 5));
    assert_eq!(fails("[]/nginx"), (InvalidName, 0));
    assert_eq!(fails("[]:5000/nginx"), (InvalidHost, 1));
    assert_eq!(fails("[::1/nginx"), (InvalidHost, 4));
    // An uppercase first component is a host; when it cannot be one but would be a fine
    // namespace in lowercase, lowercase is the fix to suggest.
    assert_eq!(fails("My_Org/app"), (Uppercase, 0));
    assert_eq!(fails("My_Org-/app"), (InvalidHost, 2));
    // Upstream accepts this with an empty domain (its regexp falls back to reading
    // "foo.x_y" as a path component); a reference must name a registry here.
    assert_eq!(fails("foo.x_y/app"), (InvalidHost, 5));
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

/// Every kind of error says what is wrong and where: at which character of the input (counted
/// from 1), or at its end when something is missing there; an empty input has no character.
#[test]
fn error_messages() {
    let e = ImageReference::parse("nginx@sha256:abc").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid digest: sha256 needs 64 hex digits (at character 14 of the value)"
    );
    assert_eq!((e.offset, e.character), (13, 14));
    for (input, message) in [
        ("", "empty reference"),
        (
            "a b",
            "whitespace in reference (at character 2 of the value)",
        ),
        (
            "a$",
            r#"invalid repository name: unexpected "$" (at character 2 of the value)"#,
        ),
        (
            "A",
            "repository name must be lowercase (at character 1 of the value)",
        ),
        (
            &"a".repeat(300),
            "repository name is longer than 255 characters (at character 1 of the value)",
        ),
        (
            &"a".repeat(64),
            "cannot specify 64-byte hexadecimal strings (at character 1 of the value)",
        ),
        ("a:", "empty tag (at the end of the value)"),
        (
            &format!("a:{}", "t".repeat(129)),
            "tag is longer than 128 characters (at character 131 of the value)",
        ),
        (
            &format!("a@{}", sha256('A')),
            "invalid digest: hex digits must be lowercase (at character 10 of the value)",
        ),
        (
            &format!("a@md5:{}", "0".repeat(32)),
            "unsupported digest algorithm (at character 3 of the value)",
        ),
    ] {
        assert_eq!(
            ImageReference::parse(input).unwrap_err().to_string(),
            message
        );
    }
}

/// A character out of place is named, with the part of the reference it is in: a first
/// component that must be a registry host (it has a "." or a ":") and is not one is the host's
/// fault, not the reference's format. Positions count characters, not bytes.
#[test]
fn error_messages_name_the_part_and_the_character() {
    let d = sha256('a');
    for (input, message) in [
        (
            "exa_mple.com/bar",
            r#"invalid registry host "exa_mple.com": unexpected "_" (at character 4 of the value)"#,
        ),
        (
            "exa_mple.com/bar:1@sha256:abc",
            r#"invalid registry host "exa_mple.com": unexpected "_" (at character 4 of the value)"#,
        ),
        (
            "quay..io/nginx",
            r#"invalid registry host "quay..io": unexpected "." (at character 6 of the value)"#,
        ),
        (
            "quay.io:/nginx",
            r#"incomplete registry host "quay.io:" (at character 9 of the value)"#,
        ),
        (
            "https://github.com/docker/docker",
            r#"incomplete registry host "https:" (at character 7 of the value)"#,
        ),
        (
            "Nginx:1",
            "repository name must be lowercase (at character 1 of the value)",
        ),
        (
            "registry.example.com/Shop/Web:1.4",
            "repository name must be lowercase (at character 22 of the value)",
        ),
        (
            "ünï/Nginx",
            "repository name must be lowercase (at character 5 of the value)",
        ),
        (
            "aa/asdf$$^/aa",
            r#"invalid repository name: unexpected "$" (at character 8 of the value)"#,
        ),
        (
            "ngïnx:1",
            r#"invalid repository name: unexpected "ï" (at character 3 of the value)"#,
        ),
        (
            ":1.27",
            r#"invalid repository name: unexpected ":" (at character 1 of the value)"#,
        ),
        (
            "docker/",
            "incomplete repository name (at the end of the value)",
        ),
        (
            "nginx:1.2~x",
            r#"invalid tag: unexpected "~" (at character 10 of the value)"#,
        ),
        (
            "nginx:.x",
            r#"invalid tag: unexpected "." (at character 7 of the value)"#,
        ),
        (
            "nginx:1:2",
            r#"invalid tag: unexpected ":" (at character 8 of the value)"#,
        ),
        ("nginx:", "empty tag (at the end of the value)"),
        (
            &format!("nginx:@{d}"),
            "empty tag (at character 7 of the value)",
        ),
        (
            &format!("nginx:{}", "v".repeat(129)),
            "tag is longer than 128 characters (at character 135 of the value)",
        ),
        (
            "nginx@sha256:abc",
            "invalid digest: sha256 needs 64 hex digits (at character 14 of the value)",
        ),
        (
            &format!("nginx@sha256:{}g", "a".repeat(63)),
            r#"invalid digest: unexpected "g" (at character 77 of the value)"#,
        ),
        (
            &format!("nginx@{d}@{d}"),
            r#"invalid digest: unexpected "@" (at character 78 of the value)"#,
        ),
        (
            "nginx@sha256",
            "incomplete digest (at the end of the value)",
        ),
        (
            "nginx@md5:0123456789abcdef0123456789abcdef",
            "unsupported digest algorithm (at character 7 of the value)",
        ),
    ] {
        assert_eq!(
            ImageReference::parse(input).unwrap_err().to_string(),
            message,
            "{input:?}"
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
            prop_assert_eq!(e.character, s[..e.offset].chars().count() + 1);
            prop_assert!(!e.to_string().is_empty());
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
    prop::option::of(
        (host(), prop::option::of(any::<u16>())).prop_map(|(host, port)| match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }),
    )
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

/// A digest from a registry or a lock file (issue 27): only the grammar's, and a refusal shows
/// the text escaped and shortened.
#[test]
fn digests_from_answers_are_parsed() {
    let sha256 = format!("sha256:{}", "0a".repeat(32));
    let sha512 = format!("sha512:{}", "f".repeat(128));
    assert_eq!(Digest::parse(&sha256).unwrap().as_str(), sha256);
    assert_eq!(Digest::parse(&sha512).unwrap().to_string(), sha512);
    let refused = |value: &str| Digest::parse(value).unwrap_err().to_string();
    assert_eq!(
        refused(&format!(
            r#"{sha256}","securityContext":{{"privileged":true}}"#
        )),
        r#"invalid digest "sha256:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a\",\"securityContext\":{\"privileged\":true}": unexpected "\"" at character 72"#
    );
    assert_eq!(
        refused("sha256:1234"),
        r#"invalid digest "sha256:1234": sha256 needs 64 hex digits"#
    );
    assert_eq!(
        refused(&format!("md5:{}", "a".repeat(32))),
        format!(
            r#"invalid digest "md5:{}": unsupported algorithm"#,
            "a".repeat(32)
        )
    );
    assert_eq!(
        refused(&sha256.to_uppercase()),
        format!(
            r#"invalid digest "{}": unsupported algorithm"#,
            sha256.to_uppercase()
        )
    );
    assert_eq!(
        refused(&format!("sha256:{}", "A".repeat(64))),
        format!(
            r#"invalid digest "sha256:{}": hex digits must be lowercase"#,
            "A".repeat(64)
        )
    );
    assert_eq!(
        refused("sha256:\u{1b}[2J\r\n"),
        r#"invalid digest "sha256:\u{1b}[2J\r\n": unexpected "\u{1b}" at character 8"#
    );
    assert_eq!(refused(""), r#"invalid digest "": not algorithm:hex"#);
    let long = refused(&format!("sha256:{}", "g".repeat(10_000)));
    assert!(long.len() < 300 && long.contains("…"), "{long}");
}
