//! Tokens, credentials and the servers that hand them out or echo them (issue 27, items 5, 6
//! and 13), through the built binary: a hostile token service and registry (the fault proxy,
//! its misbehaviour chosen per repository) never make the plugin panic and are bounded; a token
//! service's answers are never logged; credentials go to a plain-HTTP token realm elsewhere only
//! where named insecure; a credential helper that hangs is stopped; an API server's refusal
//! never shows the credentials it echoes.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{assert_no_panic, docker_config_auths, pod};
use crate::support::faults::{Fault, FaultProxy, TOKEN};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};

fn show(run: &Run) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", run.stdout, run.stderr)
}

/// An answer as these bytes: `status` line, `headers` (each as sent, any bytes), and `body`
/// with its length; the connection is closed after it.
fn raw(status: &str, headers: &[&[u8]], body: &[u8]) -> Fault {
    let mut bytes = format!("HTTP/1.1 {status}\r\n").into_bytes();
    for header in headers {
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(body);
    Fault::Raw(bytes)
}

/// A JSON answer of the token service.
fn token_json(body: &str) -> Fault {
    Fault::Respond {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.into(),
    }
}

/// Where a case's fault sits.
enum At {
    /// The token service's answer for the case's repository.
    TokenService,
    /// Every answer to a request for the repository: its challenge, say.
    Repository,
    /// Every manifest HEAD of the repository.
    Head,
}

enum Expect {
    /// Pinned: the field does not matter.
    Pinned,
    /// Exit 2 with this in the error line.
    Refused(String),
    /// Exit 0 or 2; no panic either way.
    Either,
}

struct Case {
    repository: &'static str,
    at: At,
    fault: Fault,
    expect: Expect,
}

#[test]
fn no_registry_or_token_service_answer_field_makes_pin_panic() {
    let registry = TestRegistry::start(Kind::Http);
    let proxy = FaultProxy::start(&registry.host());
    proxy.require_token(None);
    let host = proxy.host();
    let service = |reason: &str| format!("the token service {host} of {host} {reason}");
    let no_header =
        service("answered with a token an HTTP header cannot carry (it holds control characters)");
    let no_token =
        service("answered with something other than a token (JSON with `token` or `access_token`)");
    let too_large = service("sent an answer larger than 1 MiB, which is no token");
    let not_a_url =
        |realm: &str| format!("the token service {realm:?} of {host} is not an http(s) URL");
    let challenge = |value: &[u8]| {
        let mut header = b"WWW-Authenticate: ".to_vec();
        header.extend_from_slice(value);
        raw("401 Unauthorized", &[&header], b"")
    };
    let head = |status: &str, header: &[u8]| raw(status, &[header], b"");
    let huge_token = format!(r#"{{"token":"{}"}}"#, "a".repeat(2 << 20));
    // A body with no length, read until the connection closes: bounded while it streams.
    let mut streamed = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"token\":\"".to_vec();
    streamed.extend(std::iter::repeat_n(b'b', 2 << 20));
    let realm = format!("http://{host}/token");
    use At::*;
    use Expect::*;
    let cases = vec![
        // The token service's JSON.
        Case {
            repository: "token-control",
            at: TokenService,
            fault: token_json(r#"{"token":"abc\u0001def"}"#),
            expect: Refused(no_header.clone()),
        },
        Case {
            repository: "token-newline",
            at: TokenService,
            fault: token_json(r#"{"token":"abc\ndef"}"#),
            expect: Refused(no_header.clone()),
        },
        Case {
            repository: "access-token-delete",
            at: TokenService,
            fault: token_json(r#"{"access_token":"abc\u007fdef"}"#),
            expect: Refused(no_header),
        },
        Case {
            repository: "token-invalid-utf8",
            at: TokenService,
            fault: raw(
                "200 OK",
                &[b"Content-Type: application/json"],
                b"{\"token\":\"\xff\xfe\"}",
            ),
            expect: Refused(no_token.clone()),
        },
        Case {
            repository: "token-number",
            at: TokenService,
            fault: token_json(r#"{"token":5}"#),
            expect: Refused(no_token.clone()),
        },
        Case {
            repository: "token-html",
            at: TokenService,
            fault: token_json("<html>portal</html>"),
            expect: Refused(no_token),
        },
        Case {
            repository: "token-huge",
            at: TokenService,
            fault: token_json(&huge_token),
            expect: Refused(too_large.clone()),
        },
        Case {
            repository: "token-streamed",
            at: TokenService,
            fault: Fault::Raw(streamed),
            expect: Refused(too_large),
        },
        Case {
            repository: "token-not-a-jwt",
            at: TokenService,
            fault: token_json(r#"{"token":"a.%%.c"}"#),
            expect: Either,
        },
        Case {
            repository: "expires-as-text",
            at: TokenService,
            fault: token_json(&format!(r#"{{"token":"{TOKEN}","expires_in":"soon"}}"#)),
            expect: Pinned,
        },
        Case {
            repository: "expires-negative",
            at: TokenService,
            fault: token_json(&format!(r#"{{"token":"{TOKEN}","expires_in":-300}}"#)),
            expect: Pinned,
        },
        Case {
            repository: "expires-huge",
            at: TokenService,
            fault: token_json(&format!(r#"{{"token":"{TOKEN}","expires_in":1e400}}"#)),
            expect: Either,
        },
        Case {
            repository: "expires-past-u64",
            at: TokenService,
            fault: token_json(&format!(
                r#"{{"token":"{TOKEN}","expires_in":99999999999999999999999}}"#
            )),
            expect: Either,
        },
        Case {
            repository: "token-refusal-control",
            at: TokenService,
            fault: raw("401 Unauthorized", &[b"X-Reason: \x01"], b""),
            expect: Either,
        },
        // The registry's challenge.
        Case {
            repository: "realm-control",
            at: Repository,
            fault: challenge(format!("Bearer realm=\"{realm}\x01\"").as_bytes()),
            expect: Either,
        },
        Case {
            repository: "realm-invalid-utf8",
            at: Repository,
            fault: challenge(&[b"Bearer realm=\"", realm.as_bytes(), b"\xff\""].concat()),
            expect: Either,
        },
        Case {
            repository: "realm-missing",
            at: Repository,
            fault: challenge(b"Bearer service=\"fault-proxy\""),
            expect: Either,
        },
        Case {
            repository: "realm-not-a-url",
            at: Repository,
            fault: challenge(b"Bearer realm=\"not a url\""),
            expect: Refused(not_a_url("not a url")),
        },
        Case {
            repository: "realm-file",
            at: Repository,
            fault: challenge(b"Bearer realm=\"file:///etc/passwd\""),
            expect: Refused(not_a_url("file:///etc/passwd")),
        },
        Case {
            repository: "realm-ftp",
            at: Repository,
            fault: challenge(b"Bearer realm=\"ftp://127.0.0.1/token\""),
            expect: Refused(not_a_url("ftp://127.0.0.1/token")),
        },
        Case {
            repository: "service-invalid-utf8",
            at: Repository,
            fault: challenge(
                &[
                    b"Bearer realm=\"",
                    realm.as_bytes(),
                    b"\",service=\"s\xff\"",
                ]
                .concat(),
            ),
            expect: Either,
        },
        Case {
            repository: "scope-control",
            at: Repository,
            fault: challenge(
                format!("Bearer realm=\"{realm}\",scope=\"repository:x:pull\x07\"").as_bytes(),
            ),
            expect: Either,
        },
        // Redirects.
        Case {
            repository: "location-control",
            at: Head,
            fault: head("307 Temporary Redirect", b"Location: /v2/x\x01"),
            expect: Either,
        },
        Case {
            repository: "location-invalid-utf8",
            at: Head,
            fault: head("307 Temporary Redirect", b"Location: /v2/\xff"),
            expect: Either,
        },
        Case {
            repository: "location-file",
            at: Head,
            fault: head("307 Temporary Redirect", b"Location: file:///etc/passwd"),
            expect: Either,
        },
        Case {
            repository: "location-not-a-url",
            at: Head,
            fault: head("307 Temporary Redirect", b"Location: http://[::1"),
            expect: Either,
        },
        // Retry-After.
        Case {
            repository: "retry-after-control",
            at: Head,
            fault: head("503 Service Unavailable", b"Retry-After: 1\x01"),
            expect: Either,
        },
        Case {
            repository: "retry-after-invalid-utf8",
            at: Head,
            fault: head("503 Service Unavailable", b"Retry-After: \xff"),
            expect: Either,
        },
        Case {
            repository: "retry-after-u64-max",
            at: Head,
            fault: head(
                "429 Too Many Requests",
                b"Retry-After: 18446744073709551615",
            ),
            expect: Either,
        },
        Case {
            repository: "retry-after-year-9999",
            at: Head,
            fault: head(
                "503 Service Unavailable",
                b"Retry-After: Fri, 31 Dec 9999 23:59:59 GMT",
            ),
            expect: Either,
        },
        // Content-Type and Docker-Content-Digest of a manifest answer.
        Case {
            repository: "content-type-invalid-utf8",
            at: Head,
            fault: head("200 OK", b"Content-Type: \xff"),
            expect: Either,
        },
        Case {
            repository: "content-type-control",
            at: Head,
            fault: head("200 OK", b"Content-Type: a\x01b"),
            expect: Either,
        },
        Case {
            repository: "digest-invalid-utf8",
            at: Head,
            fault: head("200 OK", b"Docker-Content-Digest: sha256:\xff"),
            expect: Either,
        },
        Case {
            repository: "digest-control",
            at: Head,
            fault: head("200 OK", b"Docker-Content-Digest: sha256:\x01"),
            expect: Either,
        },
    ];
    let pinned: Vec<(&str, &str)> = cases
        .iter()
        .filter(|case| matches!(case.expect, Pinned))
        .map(|case| (case.repository, "v1"))
        .collect();
    let digests: std::collections::HashMap<&str, String> = pinned
        .iter()
        .map(|(repository, _)| *repository)
        .zip(registry.push_many(&pinned, &[Platform::LINUX_AMD64]))
        .collect();
    for case in &cases {
        let repository = case.repository;
        match case.at {
            TokenService => proxy.token_service_for(repository, case.fault.clone()),
            Repository => proxy.always(None, &format!("/v2/{repository}/"), case.fault.clone()),
            Head => proxy.always(
                Some("HEAD"),
                &format!("/v2/{repository}/manifests/"),
                case.fault.clone(),
            ),
        }
    }
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let input = pod(&format!("{host}/{}:v1", case.repository));
                let host = host.clone();
                scope.spawn(move || {
                    Plugin::new([
                        "pin",
                        "-f",
                        "-",
                        "--insecure-registry",
                        &host,
                        "--registry-timeout",
                        "5",
                    ])
                    .stdin(&input)
                    .run()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (case, run) in cases.iter().zip(&runs) {
        let name = case.repository;
        assert_no_panic(run);
        match &case.expect {
            Pinned => {
                let digest = &digests[name];
                assert_eq!(run.code, 0, "{name}\n{}", show(run));
                assert_eq!(run.stdout, pod(&format!("{host}/{name}:v1@{digest}")));
            }
            Refused(reason) => {
                assert_eq!(run.code, 2, "{name}\n{}", show(run));
                assert_eq!(
                    run.stderr,
                    format!("error: -:4:12: {host}/{name}:v1: {reason}\n"),
                    "{name}"
                );
            }
            Either => assert!(
                [0, 2].contains(&run.code) && run.stderr.lines().count() <= 1,
                "{name}\n{}",
                show(run)
            ),
        }
    }
}

#[test]
fn what_a_token_service_echoes_never_shows_at_any_verbosity() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("echo-granted", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let (user, password) = ("robot", "echoed-password-5e1f");
    proxy.require_token(Some((user, password)));
    let host = proxy.host();
    // Refused, it echoes the credentials in its body and a header; granting the token, in
    // its body beside the token and in a header.
    proxy.token_service_for(
        "echo-refused",
        Fault::Echo {
            status: 401,
            headers: vec![
                ("Content-Type".into(), "text/plain".into()),
                ("X-Echo".into(), "{basic} {credential}".into()),
            ],
            body: "no such user {basic} ({authorization}, {credential})\n".into(),
        },
    );
    proxy.token_service_for(
        "echo-granted",
        Fault::Echo {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Echo".into(), "{basic} {credential}".into()),
                ("X-Issued".into(), TOKEN.into()),
            ],
            body: format!(
                r#"{{"token":"{TOKEN}","expires_in":300,"issued_to":"{{basic}}","for":"{{credential}}"}}"#
            ),
        },
    );
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);
    let basic = crate::support::faults::base64(format!("{user}:{password}").as_bytes());
    let secrets = [password, basic.as_str(), TOKEN];
    let mut runs = 0;
    for (repository, code) in [("echo-refused", 2), ("echo-granted", 0)] {
        let input = pod(&format!("{host}/{repository}:v1"));
        for verbosity in [&["-v=9"][..], &["-v=8"], &["-v=6"], &[]] {
            for rust_log in [None, Some("trace")] {
                let mut args = vec!["pin", "-f", "-", "--insecure-registry", &host];
                args.extend_from_slice(verbosity);
                let mut plugin = Plugin::new(args)
                    .env("DOCKER_CONFIG", config.path())
                    .stdin(&input);
                if let Some(rust_log) = rust_log {
                    plugin = plugin.env("RUST_LOG", rust_log);
                }
                let run = plugin.run().expect_code(code);
                runs += 1;
                for secret in secrets {
                    assert!(
                        !run.stdout.contains(secret) && !run.stderr.contains(secret),
                        "{repository} {verbosity:?} RUST_LOG={rust_log:?}: {secret} shows\n{}",
                        show(&run)
                    );
                }
                if code == 0 {
                    assert_eq!(run.stdout, pod(&format!("{host}/{repository}:v1@{digest}")));
                }
            }
        }
    }
    // Each run asked the token service with the credentials: they were there to echo.
    let asked = proxy.requests(Some("GET"), "/token?");
    assert!(
        asked.len() >= runs
            && asked
                .iter()
                .all(|seen| seen.authorization.as_deref() == Some(&format!("Basic {basic}"))),
        "{asked:?}"
    );
}

#[test]
fn credentials_go_to_a_plain_http_token_realm_on_another_host_only_where_named_insecure() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let (user, password) = ("robot", "realm-password-3b9d");
    // The registry wants a token from a realm on another loopback host.
    let elsewhere = FaultProxy::start_on("127.0.0.2", &registry.host());
    elsewhere.require_token(Some((user, password)));
    let proxy = FaultProxy::start(&registry.host());
    proxy.require_token(None);
    proxy.token_realm(&format!("{}/token", elsewhere.base_url()));
    let (host, realm_host) = (proxy.host(), elsewhere.host());
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);
    let input = pod(&format!("{host}/app/web:v1"));
    let pin = |insecure: &[&str]| {
        let mut args = vec!["pin", "-f", "-"];
        for insecure in insecure {
            args.extend(["--insecure-registry", insecure]);
        }
        Plugin::new(args)
            .env("DOCKER_CONFIG", config.path())
            .stdin(&input)
            .run()
    };

    let refused = pin(&[&host]).expect_code(2);
    assert_eq!(
        refused.stderr,
        format!(
            "error: -:4:12: {host}/app/web:v1: the token service of {host} is plain HTTP on another host, {realm_host}: the credentials are not sent there in clear (to send them, name it with --insecure-registry {realm_host})\n"
        )
    );
    assert_eq!(refused.stdout, "");
    assert!(
        elsewhere.seen().is_empty(),
        "nothing was sent to the realm: {:?}",
        elsewhere.seen()
    );

    // Named insecure, it gets them.
    let pinned = pin(&[&host, &realm_host]).expect_code(0);
    assert_eq!(pinned.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    let basic = crate::support::faults::base64(format!("{user}:{password}").as_bytes());
    let asked = elsewhere.requests(Some("GET"), "/token?");
    assert!(
        asked.len() == 1 && asked[0].authorization.as_deref() == Some(&format!("Basic {basic}")),
        "{asked:?}"
    );

    // A realm on the insecure registry's own host (another port) gets them too.
    let beside = FaultProxy::start_on("127.0.0.1", &registry.host());
    beside.require_token(Some((user, password)));
    proxy.token_realm(&format!("{}/token", beside.base_url()));
    let pinned = pin(&[&host]).expect_code(0);
    assert_eq!(pinned.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    assert_eq!(beside.requests(Some("GET"), "/token?").len(), 1);
}

/// Whether process `pid` is gone (or a zombie, which is dead: its parent did not reap it yet).
fn gone(pid: &str) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => true,
    }
}

#[test]
fn a_credential_helper_that_hangs_is_stopped_after_the_registry_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().display().to_string();
    // It starts a child of its own and waits on it for ever.
    let helper = dir.path().join("docker-credential-hang");
    fs::write(
        &helper,
        format!(
            "#!/bin/sh\necho $$ > {pids}/helper.pid\nsleep 600 &\necho $! > {pids}/sleep.pid\nwait\n"
        ),
    )
    .unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    // Nothing listens there: only the credential lookup, which comes first, is waited on.
    let host = "127.0.0.1:9";
    fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"credHelpers":{{"{host}":"hang"}}}}"#),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let plugin = Plugin::new([
        "pin",
        "-f",
        "-",
        "--registry-timeout",
        "1",
        "--insecure-registry",
        host,
    ])
    .env("DOCKER_CONFIG", dir.path())
    .env("PATH", path)
    .stdin(&pod(&format!("{host}/app:v1")));
    let started = Instant::now();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(plugin.run()));
    let run = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("pin hung on the credential helper");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let run = run.expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: -:4:12: {host}/app:v1: the credential helper docker-credential-hang for {host} did not answer within 1s (--registry-timeout), so it was stopped\n"
        )
    );
    for name in ["helper.pid", "sleep.pid"] {
        let pid = fs::read_to_string(dir.path().join(name)).unwrap();
        let pid = pid.trim();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(gone(pid), "{name} {pid} still runs");
    }
}

/// A kubeconfig for the API server at `server` (plain HTTP) with a bearer `token`.
fn token_kubeconfig(dir: &Path, server: &str, token: &str) -> String {
    let path = dir.join("kubeconfig");
    fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: echo\n  cluster:\n    server: {server}\nusers:\n- name: echo\n  user:\n    token: {token}\ncontexts:\n- name: echo\n  context:\n    cluster: echo\n    user: echo\ncurrent-context: echo\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn an_api_servers_refusal_never_shows_the_token_it_echoes() {
    let token = "api-token-0d7e4c9b";
    let dir = tempfile::tempdir().unwrap();
    // Fake API servers (nothing behind them) that refuse every request, echoing its
    // Authorization: in a body that is no Status, and in a Status's message and reason.
    let plain = FaultProxy::start("127.0.0.1:9");
    plain.always(
        None,
        "/",
        Fault::Echo {
            status: 403,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: "forbidden for {authorization} ({credential})\n".into(),
        },
    );
    let status = FaultProxy::start("127.0.0.1:9");
    status.always(
        None,
        "/",
        Fault::Echo {
            status: 401,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"token {credential} is not valid ({authorization})","reason":"Unauthorized {credential}","code":401}"#.into(),
        },
    );
    for (server, said) in [
        (
            &plain,
            "error: discovering the server's API resources: the API server answered 403 Forbidden\n",
        ),
        (
            &status,
            "error: discovering the server's API resources: token <redacted> is not valid (Bearer <redacted>)\n",
        ),
    ] {
        let kubeconfig = token_kubeconfig(dir.path(), &server.base_url(), token);
        for verbosity in [&[][..], &["-v=6"], &["-v=9"]] {
            for rust_log in [None, Some("trace")] {
                let mut args = vec!["history", "deployment/web", "--kubeconfig", &kubeconfig];
                args.extend_from_slice(verbosity);
                let mut plugin = Plugin::new(args);
                if let Some(rust_log) = rust_log {
                    plugin = plugin.env("RUST_LOG", rust_log);
                }
                let run = plugin.run().expect_code(2);
                assert!(
                    !run.stdout.contains(token) && !run.stderr.contains(token),
                    "{verbosity:?} RUST_LOG={rust_log:?}: the token shows\n{}",
                    show(&run)
                );
                if verbosity.is_empty() && rust_log.is_none() {
                    assert_eq!(run.stderr, said);
                } else {
                    assert!(run.stderr.ends_with(said), "{}", show(&run));
                }
            }
        }
        // The token was sent, so there was something to echo.
        assert!(
            server
                .seen()
                .iter()
                .all(|seen| seen.authorization.as_deref() == Some(&format!("Bearer {token}"))),
            "{:?}",
            server.seen()
        );
    }
}

/// A registry's refusal says its reason, from the spec's error envelope: a registry (or a proxy
/// in front of it) that echoes the Basic credentials it was sent there never gets the password
/// printed, at the default output or any `-v`.
#[test]
fn a_registrys_refusal_never_shows_the_password_it_echoes() {
    let (user, password) = ("deploy-bot", "echo-me-s3cret");
    let proxy = FaultProxy::start("127.0.0.1:9");
    let host = proxy.host();
    // No HEAD, so the manifest is asked with a GET; asked without credentials, it challenges
    // for Basic; asked with them, it refuses, quoting them.
    proxy.always(Some("HEAD"), "/manifests/", Fault::status(405));
    let echo = Fault::Echo {
        status: 400,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: r#"{"errors":[{"code":"NAME_INVALID","message":"no access for {basic} ({credential})"}]}"#
            .into(),
    };
    let challenge = Fault::Respond {
        status: 401,
        headers: vec![(
            "WWW-Authenticate".into(),
            r#"Basic realm="registry""#.into(),
        )],
        body: String::new(),
    };
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);
    let basic = crate::support::faults::base64(format!("{user}:{password}").as_bytes());
    for verbosity in [&[][..], &["-v=6"], &["-v=9"]] {
        proxy.script(
            Some("GET"),
            "/manifests/",
            [challenge.clone(), echo.clone(), echo.clone(), echo.clone()],
        );
        let mut args = vec!["pin", "-f", "-", "--insecure-registry", &host];
        args.extend_from_slice(verbosity);
        let run = Plugin::new(args)
            .env("DOCKER_CONFIG", config.path())
            .stdin(&pod(&format!("{host}/app/web:v1")))
            .run();
        assert_no_panic(&run);
        assert_eq!(run.code, 2, "{verbosity:?}\n{}", show(&run));
        assert!(
            run.stderr.contains("refused the request: no access for "),
            "{verbosity:?}\n{}",
            show(&run)
        );
        for secret in [password, basic.as_str()] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{verbosity:?} shows {secret}\n{}",
                show(&run)
            );
        }
    }
}
