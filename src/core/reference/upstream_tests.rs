//! The test tables of distribution/reference (reference_test.go, normalize_test.go,
//! regexp_test.go) and go-digest (digest_test.go), ported as unit tests with the expectations of
//! `ParseNormalizedNamed`.

use super::tests::{D, fails, ok, sha256};
use super::*;

fn sha512(c: char) -> String {
    format!("sha512:{}", c.to_string().repeat(128))
}

#[track_caller]
fn kind(input: &str) -> ReferenceErrorKind {
    fails(input).0
}

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
    assert_eq!(fails(":justtag"), (InvalidName, 0));
    assert_eq!(fails(&format!("@{f64}")), (InvalidName, 0));
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
    assert_eq!(fails("aa/asdf$$^/aa"), (InvalidName, 7));
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
    assert_eq!(fails("[2001:db8::1]"), (InvalidName, 0));
    assert_eq!(fails("[2001:db8::1]:5000"), (InvalidName, 0));
    assert_eq!(fails("[2001:db8::1]:tag"), (InvalidName, 0));
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
    assert_eq!(fails("[fe80::1%eth0]:5000/repo"), (InvalidHost, 8));
    assert_eq!(fails("[fe80::1%@invalidzone]:5000/repo"), (InvalidHost, 8));
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
    assert_eq!(kind(":justtag"), InvalidName);
    assert_eq!(kind(&format!("@{}", sha256('f'))), InvalidName);
    assert_eq!(kind("aa/asdf$$^/aa"), InvalidName);
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
        ("https://github.com/docker/docker", InvalidHost),
        ("docker/Docker", Uppercase),
        ("-docker", InvalidName),
        ("-docker/docker", InvalidName),
        ("-docker.io/docker/docker", InvalidHost),
        ("docker///docker", InvalidName),
        ("docker.io/docker/Docker", Uppercase),
        ("docker.io/docker///docker", InvalidName),
        ("[fc00::1]", InvalidName),
        ("[fc00::1]:5000", InvalidName),
        ("fc00::1:5000/debian", InvalidHost),
        ("[fe80::1%eth0]:5000/debian", InvalidHost),
        ("[2001:db8:3:4::192.0.2.33]:5000/debian", InvalidHost),
        (
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            HexName,
        ),
        ("docker-/docker", InvalidName),
        ("-docker-/docker", InvalidName),
        ("____/____", InvalidName),
        ("_docker/_docker", InvalidName),
        ("dock..er/docker", InvalidHost),
        ("dock_.er/docker", InvalidHost),
        ("dock-.er/docker", InvalidHost),
        ("docker/", InvalidName),
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

    assert_eq!(kind("-foo"), InvalidName);
    assert_eq!(kind("busybox:-foo"), InvalidTag);

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
    assert_eq!(fails(&format!("{r}/myapp:invalid~tag")), (InvalidTag, 31));
    assert_eq!(fails("bad_hostname.com:8080/myapp:tag"), (InvalidHost, 3));
    // "localhost" without a "/" is a name, and 8080 its tag.
    let local = format!("localhost:8080@{d}");
    ok(&local, D, "library/localhost", Some("8080"), Some(d));
    let local = format!("localhost:8080/name@{d}");
    ok(&local, "localhost:8080", "name", None, Some(d));
    assert_eq!(kind(&format!("localhost:http/name@{d}")), InvalidHost);
    ok(
        &format!("localhost@{d}"),
        D,
        "library/localhost",
        None,
        Some(d),
    );
    assert_eq!(fails(&format!("{r}/myapp@bad")), (InvalidDigest, 27));
    assert_eq!(fails(&format!("{r}/myapp@2bad")), (InvalidDigest, 24));

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
