//! Distribution: `--version`, help that teaches, the committed completion scripts and man pages,
//! kubectl's plugin completion through the real `kubectl`, the release archive and the krew
//! manifest checked the way krew checks one.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, CommandFactory};
use kubectl_immutable::cli::Cli;
use kubectl_immutable::commands::complete::{self, Completions, Sources, directive};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::cluster::cluster;
use crate::support::plugin::Plugin;

const REFRESH: &str = "cargo run --quiet -- __generate .";
pub(crate) const HELPER: &str = "kubectl_complete-immutable";

pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn plugin_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubectl-immutable"))
}

// --- version -------------------------------------------------------------------------------

#[test]
fn version_names_the_commit_it_was_built_from() {
    let run = Plugin::new(["--version"]).run().expect_code(0);
    let prefix = format!("kubectl-immutable {} ", env!("CARGO_PKG_VERSION"));
    let in_git = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--show-toplevel",
        ])
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && Path::new(String::from_utf8_lossy(&out.stdout).trim())
                    .canonicalize()
                    .ok()
                    == repo().canonicalize().ok()
        });
    if !in_git {
        // Built from a tarball: the version alone, nothing made up.
        assert_eq!(
            run.stdout,
            format!("kubectl-immutable {}\n", env!("CARGO_PKG_VERSION"))
        );
        return;
    }
    let commit = run
        .stdout
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("not `{prefix}(COMMIT)`: {:?}", run.stdout));
    assert!(
        commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{commit}"
    );
    let known = Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "cat-file", "-e"])
        .arg(format!("{commit}^{{commit}}"))
        .status()
        .unwrap();
    assert!(known.success(), "{commit} is no commit of this repository");
}

// --- help ----------------------------------------------------------------------------------

/// Every command (the top level included) shows at least two example command lines and its
/// exit codes under `--help`.
#[test]
fn every_command_help_has_examples_and_exit_codes() {
    let root = Cli::command();
    let mut commands: Vec<Vec<String>> = vec![vec![]];
    commands.extend(
        root.get_subcommands()
            .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
            .map(|sub| vec![sub.get_name().to_string()]),
    );
    let mut problems = Vec::new();
    for path in commands {
        let mut args = path.clone();
        args.push("--help".into());
        let help = Plugin::new(&args).run().expect_code(0).stdout;
        let name = format!("kubectl immutable {}", path.join(" "));
        let examples = help
            .split_once("Examples:\n")
            .map(|(_, after)| {
                after
                    .lines()
                    .take_while(|line| !line.starts_with("Exit codes"))
                    .filter(|line| {
                        let text = line.trim_start();
                        line.starts_with("  ") && !text.is_empty() && !text.starts_with('#')
                    })
                    .count()
            })
            .unwrap_or(0);
        if examples < 2 {
            problems.push(format!(
                "{name}: {examples} example command line(s) under --help"
            ));
        }
        let codes = help
            .split_once("Exit codes")
            .map(|(_, after)| after)
            .unwrap_or_default();
        for code in ["0", "2"] {
            if !codes
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{code} ")))
            {
                problems.push(format!(
                    "{name}: exit code {code} not explained under --help"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn pin_help_groups_its_flags() {
    let help = Plugin::new(["pin", "--help"]).run().expect_code(0).stdout;
    for heading in ["Input:", "Output:", "Mode:", "Registry:"] {
        assert!(
            help.lines().any(|line| line == heading),
            "{heading}\n{help}"
        );
    }
}

// --- generated files -----------------------------------------------------------------------

pub(crate) fn files_in(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn committed_completion_scripts_and_man_pages_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    Plugin::new([OsString::from("__generate"), fresh.path().into()])
        .run()
        .expect_code(0);
    let mut problems = Vec::new();
    for folder in ["completions", "man"] {
        let generated = files_in(&fresh.path().join(folder));
        assert!(
            !generated.is_empty(),
            "__generate wrote nothing into {folder}/"
        );
        let committed = files_in(&repo().join(folder));
        for name in &generated {
            let new = fs::read(fresh.path().join(folder).join(name)).unwrap();
            match fs::read(repo().join(folder).join(name)) {
                Err(_) => problems.push(format!("{folder}/{name} is missing")),
                Ok(old) if old != new => problems.push(format!("{folder}/{name} is stale")),
                Ok(_) => {}
            }
        }
        for name in committed.difference(&generated) {
            if !(folder == "completions" && name == HELPER) {
                problems.push(format!("{folder}/{name} is no longer generated"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nrefresh them with `{REFRESH}` and commit the result",
        problems.join("\n")
    );
    let pages = files_in(&repo().join("man"));
    for page in ["kubectl-immutable.1", "kubectl-immutable-pin.1"] {
        assert!(pages.contains(page), "{page} in {pages:?}");
    }
}

#[test]
fn completion_command_prints_the_committed_scripts() {
    for (shell, file) in [
        ("bash", "kubectl-immutable.bash"),
        ("zsh", "_kubectl-immutable"),
        ("fish", "kubectl-immutable.fish"),
        ("powershell", "_kubectl-immutable.ps1"),
        ("elvish", "kubectl-immutable.elv"),
    ] {
        let run = Plugin::new(["completion", shell]).run().expect_code(0);
        let committed = fs::read_to_string(repo().join("completions").join(file)).unwrap();
        assert!(
            run.stdout == committed,
            "`completion {shell}` differs from completions/{file}; refresh with `{REFRESH}`"
        );
    }
    let run = Plugin::new(["completion", "tcsh"]).run().expect_code(2);
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
}

/// The bash script, sourced into a real bash, completes subcommands, their flags and values.
#[test]
fn bash_script_completes_subcommands_flags_and_values() {
    let script = repo().join("completions/kubectl-immutable.bash");
    let complete = |words: &[&str]| -> Vec<String> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}'; COMP_WORDS=(kubectl-immutable {}); COMP_CWORD={}; \
             _kubectl__immutable kubectl-immutable '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" "),
            words.len(),
            words.last().unwrap(),
            if words.len() > 1 {
                words[words.len() - 2]
            } else {
                "kubectl-immutable"
            },
        );
        let out = Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(complete(&["pi"]), ["pin"]);
    assert_eq!(complete(&["pin", "--fil"]), ["--filename"]);
    assert!(complete(&["pin", "--"]).contains(&"--check".to_string()));
    assert_eq!(complete(&["pin", "--report", ""]), ["json"]);
    assert!(complete(&["completion", ""]).contains(&"powershell".to_string()));
}

// --- kubectl's plugin completion -----------------------------------------------------------

/// What `kubectl __complete` answered: the candidates' values and the directive.
fn parse_protocol(stdout: &str) -> (Vec<String>, u32) {
    let lines: Vec<&str> = stdout.lines().filter(|line| !line.is_empty()).collect();
    let (last, candidates) = lines.split_last().expect("at least the directive line");
    let directive = last
        .strip_prefix(':')
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no :directive last: {stdout:?}"));
    let values = candidates
        .iter()
        .map(|line| line.split('\t').next().unwrap().to_string())
        .collect();
    (values, directive)
}

/// A PATH with only the plugin and its completion helper ahead of the system's, as krew (or
/// `cargo install` plus a copy of the helper) leaves them.
struct KubectlWithPlugin {
    dir: tempfile::TempDir,
    kubeconfig: Option<PathBuf>,
}

impl KubectlWithPlugin {
    fn new() -> KubectlWithPlugin {
        let dir = tempfile::tempdir().unwrap();
        fs::copy(plugin_binary(), dir.path().join("kubectl-immutable")).unwrap();
        let helper = dir.path().join(HELPER);
        fs::copy(repo().join("completions").join(HELPER), &helper).unwrap();
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
        KubectlWithPlugin {
            dir,
            kubeconfig: None,
        }
    }

    fn complete(&self, words: &[&str]) -> (Vec<String>, u32) {
        let mut path = OsString::from(self.dir.path());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut command = Command::new("kubectl");
        command
            .arg("__complete")
            .arg("immutable")
            .args(words)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        if let Some(kubeconfig) = &self.kubeconfig {
            command.env("KUBECONFIG", kubeconfig);
        }
        let out = command.output().expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl __complete immutable {words:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(HELPER),
            "kubectl did not call the helper: {stderr}"
        );
        parse_protocol(&stdout)
    }
}

#[test]
fn kubectl_completes_the_plugin_through_the_helper() {
    let kubectl = KubectlWithPlugin::new();

    let (values, directive) = kubectl.complete(&["pi"]);
    assert_eq!(values, ["pin"]);
    assert_eq!(directive, directive::NO_FILE_COMP);

    let (values, _) = kubectl.complete(&[""]);
    for command in ["pin", "completion"] {
        assert!(values.contains(&command.to_string()), "{values:?}");
    }
    assert!(!values.iter().any(|v| v.starts_with("__")), "{values:?}");

    let (values, directive) = kubectl.complete(&["pin", "--"]);
    for flag in [
        "--filename",
        "--recursive",
        "--in-place",
        "--check",
        "--lock",
        "--help",
    ] {
        assert!(values.contains(&flag.to_string()), "{flag} in {values:?}");
    }
    assert!(values.iter().all(|v| v.starts_with("--")), "{values:?}");
    assert_eq!(directive, directive::NO_FILE_COMP);

    // A flag already given and not repeatable is not offered again; -f is repeatable.
    let (values, _) = kubectl.complete(&["pin", "--check", "-f", "a.yaml", "--"]);
    assert!(!values.contains(&"--check".to_string()), "{values:?}");
    assert!(values.contains(&"--filename".to_string()), "{values:?}");

    // -f: the shell completes manifest files (and directories), as kubectl does for its own -f.
    for words in [
        &["pin", "-f", ""][..],
        &["pin", "--filename", "k8s/"],
        &["pin", "-R", "-f", ""],
    ] {
        let (values, directive) = kubectl.complete(words);
        assert_eq!(values, ["yaml", "yml", "json"], "{words:?}");
        assert_eq!(directive, directive::FILTER_FILE_EXT, "{words:?}");
    }
    // A path flag: the shell's own file completion.
    let (values, directive) = kubectl.complete(&["pin", "-f", "a.yaml", "--lock", ""]);
    assert!(values.is_empty(), "{values:?}");
    assert_eq!(directive, directive::DEFAULT);

    // Possible values, from the command tree.
    let (values, directive) = kubectl.complete(&["pin", "--report", ""]);
    assert_eq!(
        (values, directive),
        (vec!["json".to_string()], directive::NO_FILE_COMP)
    );
    let (values, _) = kubectl.complete(&["completion", "b"]);
    assert_eq!(values, ["bash"]);
    let (values, _) = kubectl.complete(&["pin", "--platform=linux/arm"]);
    assert!(
        values.contains(&"--platform=linux/arm64".to_string()),
        "{values:?}"
    );
    assert!(
        values.iter().all(|v| v.starts_with("--platform=linux/arm")),
        "{values:?}"
    );

    // The required flag when nothing else fits.
    let (values, _) = kubectl.complete(&["pin", ""]);
    assert_eq!(values, ["--filename"]);
}

/// The whole path a user's TAB takes: bash (with bash-completion, as .ci/run installs it)
/// runs kubectl's own completion script, which asks `kubectl __complete`, which runs the helper.
#[test]
fn bash_completes_kubectl_immutable_through_kubectl() {
    let kubectl = KubectlWithPlugin::new();
    let manifests = kubectl.dir.path().join("work");
    fs::create_dir_all(manifests.join("k8s")).unwrap();
    fs::write(manifests.join("deploy.yaml"), "kind: Pod\n").unwrap();
    fs::write(manifests.join("notes.txt"), "").unwrap();
    let program = r#"
source /usr/share/bash-completion/bash_completion || exit 3
source <(kubectl completion bash)
try() {
  COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"
  [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_TYPE=9; COMPREPLY=()
  __start_kubectl kubectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
  printf '%s=%s
' "$1" "$(printf '%s,' "${COMPREPLY[@]}")"
}
try "kubectl immutable pi"
try "kubectl immutable pin --fil"
try "kubectl immutable pin -f "
try "kubectl immutable completion z"
"#;
    let mut path = OsString::from(kubectl.dir.path());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-c", program])
        .env_clear()
        .env("PATH", path)
        .env("HOME", kubectl.dir.path())
        .current_dir(&manifests)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash-completion missing? {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let answers: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        answers,
        [
            "kubectl immutable pi=pin,",
            "kubectl immutable pin --fil=--filename,",
            // .yaml files and directories, not notes.txt
            "kubectl immutable pin -f =deploy.yaml,k8s,",
            "kubectl immutable completion z=zsh,",
        ],
        "{stdout}"
    );
}

fn kubeconfig(contexts: &[(&str, &str)], current: &str) -> String {
    let mut text =
        String::from("apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n");
    for (name, namespace) in contexts {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: c-{name}\n    user: u\n    namespace: {namespace}\n"
        ));
    }
    text.push_str(&format!("current-context: {current}\n"));
    text
}

/// A command shaped like kubectl's: the completion is generic over the tree, so this works for
/// whichever arguments declare these kinds.
fn kubectl_like() -> clap::Command {
    use complete::CompleteAs;
    let kube_flags = [
        Arg::new("context").long("context").add(CompleteAs::Context),
        Arg::new("namespace")
            .short('n')
            .long("namespace")
            .add(CompleteAs::Namespace),
    ];
    clap::Command::new("kubectl-immutable")
        .subcommand(
            clap::Command::new("rollout")
                .arg(Arg::new("workload").add(CompleteAs::Workload))
                .args(kube_flags.clone()),
        )
        .subcommand(
            clap::Command::new("compare")
                .arg(Arg::new("old").add(CompleteAs::WorkloadOrPath))
                .args(kube_flags),
        )
        .subcommand(
            clap::Command::new("apply")
                .arg(
                    Arg::new("filename")
                        .short('f')
                        .long("filename")
                        .action(ArgAction::Append)
                        .add(CompleteAs::Manifests),
                )
                .arg(Arg::new("context").long("context").add(CompleteAs::Context))
                .arg(
                    Arg::new("namespace")
                        .short('n')
                        .long("namespace")
                        .add(CompleteAs::Namespace),
                )
                .arg(
                    Arg::new("kubeconfig")
                        .long("kubeconfig")
                        .value_parser(clap::value_parser!(PathBuf))
                        .add(CompleteAs::Kubeconfig),
                ),
        )
}

fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn contexts_come_from_every_kubeconfig_file_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    let other = dir.path().join("other");
    fs::write(
        &first,
        kubeconfig(&[("prod", "shop"), ("staging", "shop")], "staging"),
    )
    .unwrap();
    fs::write(
        &second,
        kubeconfig(&[("dev", "default"), ("prod", "elsewhere")], "dev"),
    )
    .unwrap();
    fs::write(
        &other,
        kubeconfig(&[("kind-local", "default")], "kind-local"),
    )
    .unwrap();
    let list = std::env::join_paths([&first, &dir.path().join("missing"), &second]).unwrap();
    let sources = Sources {
        kubeconfig_env: Some(list),
        home: Some(dir.path().join("home")),
        namespace_timeout: Duration::from_millis(200),
    };
    let command = kubectl_like();

    let answer = complete::complete(&command, &words(&["apply", "--context", ""]), &sources);
    assert_eq!(answer.values(), ["prod", "staging", "dev"]);
    assert_eq!(answer.directive, directive::NO_FILE_COMP);
    // The first file's current-context wins, as kubectl merges them.
    let staging = &answer.candidates[1];
    assert_eq!(
        staging.description.as_deref(),
        Some("current, cluster c-staging, namespace shop")
    );

    let answer = complete::complete(&command, &words(&["apply", "--context=st"]), &sources);
    assert_eq!(answer.values(), ["--context=staging"]);

    // --kubeconfig typed before wins over KUBECONFIG.
    let kubeconfig_flag = format!("--kubeconfig={}", other.display());
    let answer = complete::complete(
        &command,
        &words(&["apply", &kubeconfig_flag, "--context", ""]),
        &sources,
    );
    assert_eq!(answer.values(), ["kind-local"]);

    // Without KUBECONFIG: ~/.kube/config.
    fs::create_dir_all(dir.path().join("home/.kube")).unwrap();
    fs::copy(&other, dir.path().join("home/.kube/config")).unwrap();
    let home_only = Sources {
        kubeconfig_env: None,
        ..sources.clone()
    };
    let answer = complete::complete(&command, &words(&["apply", "--context", "k"]), &home_only);
    assert_eq!(answer.values(), ["kind-local"]);

    // A file that is not a kubeconfig gives nothing, and no error.
    fs::write(&first, "contexts: [[[").unwrap();
    let broken = Sources {
        kubeconfig_env: Some(first.clone().into_os_string()),
        ..sources
    };
    let answer = complete::complete(&command, &words(&["apply", "--context", ""]), &broken);
    assert_eq!(
        answer,
        Completions {
            candidates: vec![],
            directive: directive::NO_FILE_COMP
        }
    );
}

/// The namespaces of the real test control plane, through the context the line names.
#[test]
fn namespaces_come_from_the_cluster_of_the_context() {
    let cluster = cluster();
    let created = cluster.namespace("completion");
    let sources = Sources {
        kubeconfig_env: Some(cluster.kubeconfig().into()),
        home: None,
        namespace_timeout: complete::NAMESPACE_TIMEOUT,
    };
    let command = kubectl_like();
    // Completion asks the cluster on the runtime the command entered, as `__complete` does.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let _entered = runtime.enter();

    let answer = complete::complete(&command, &words(&["apply", "-n", ""]), &sources);
    for namespace in ["default", "kube-system", created.as_str()] {
        assert!(
            answer.values().contains(&namespace),
            "{namespace} in {answer:?}"
        );
    }
    assert_eq!(answer.directive, directive::NO_FILE_COMP);

    let answer = complete::complete(&command, &words(&["apply", "--namespace=kube-"]), &sources);
    assert!(
        answer.values().contains(&"--namespace=kube-system"),
        "{answer:?}"
    );
    assert!(
        answer
            .values()
            .iter()
            .all(|v| v.starts_with("--namespace=kube-")),
        "{answer:?}"
    );

    // The context typed on the line is the one asked; an unknown one gives nothing.
    let answer = complete::complete(
        &command,
        &words(&["apply", "--context", "admin@test", "-n", "comp"]),
        &sources,
    );
    assert!(answer.values().contains(&created.as_str()), "{answer:?}");
    let answer = complete::complete(
        &command,
        &words(&["apply", "--context", "nowhere", "-n", ""]),
        &sources,
    );
    assert!(answer.candidates.is_empty(), "{answer:?}");
    assert_eq!(answer.directive, directive::NO_FILE_COMP);

    // TYPE/NAME: the kinds, then the workloads of that kind in the namespace named.
    cluster.kubectl_ok(&[
        "create",
        "deployment",
        "web",
        "-n",
        &created,
        "--image=registry.test/web:1",
    ]);
    let answer = complete::complete(&command, &words(&["rollout", "dep"]), &sources);
    assert_eq!(answer.values(), ["deployment/"]);
    assert_eq!(
        answer.directive,
        directive::NO_SPACE | directive::NO_FILE_COMP
    );
    let answer = complete::complete(&command, &words(&["rollout", ""]), &sources);
    assert_eq!(
        answer.values(),
        ["deployment/", "statefulset/", "daemonset/"]
    );
    for kind in ["deployment", "deploy"] {
        let typed = format!("{kind}/w");
        let answer = complete::complete(
            &command,
            &words(&["rollout", "-n", &created, &typed]),
            &sources,
        );
        assert_eq!(answer.values(), [format!("{kind}/web").as_str()]);
        assert_eq!(answer.directive, directive::NO_FILE_COMP);
    }
    let answer = complete::complete(&command, &words(&["rollout", "sts/"]), &sources);
    assert!(answer.candidates.is_empty(), "{answer:?}");
    // Where a path is also accepted, an empty word or one that starts no kind is a file name.
    for typed in ["", "release-1.4/"] {
        let answer = complete::complete(&command, &words(&["compare", typed]), &sources);
        assert_eq!(answer.candidates, vec![], "{typed:?}");
        assert_eq!(answer.directive, directive::DEFAULT, "{typed:?}");
    }
    let answer = complete::complete(
        &command,
        &words(&["compare", "-n", &created, "deployment/"]),
        &sources,
    );
    assert_eq!(answer.values(), ["deployment/web"]);

    // Through kubectl, for every real subcommand that takes -n/--namespace.
    let mut kubectl = KubectlWithPlugin::new();
    kubectl.kubeconfig = Some(cluster.kubeconfig().to_path_buf());
    for sub in Cli::command().get_subcommands() {
        if sub
            .get_arguments()
            .any(|arg| arg.get_long() == Some("namespace"))
        {
            let (values, directive) = kubectl.complete(&[sub.get_name(), "-n", ""]);
            assert!(
                values.contains(&created),
                "{} -n: {values:?}",
                sub.get_name()
            );
            assert_eq!(directive, directive::NO_FILE_COMP);
        }
        let workload = sub.get_positionals().any(|arg| {
            arg.get_value_names()
                .is_some_and(|names| names.iter().any(|name| name.contains("TYPE/NAME")))
        });
        if workload {
            let (values, _) = kubectl.complete(&[sub.get_name(), "-n", &created, "deployment/"]);
            assert_eq!(values, ["deployment/web"], "{}", sub.get_name());
        }
        if sub
            .get_arguments()
            .any(|arg| arg.get_long() == Some("context"))
        {
            let (values, _) = kubectl.complete(&[sub.get_name(), "--context", ""]);
            assert_eq!(values, ["admin@test"], "{} --context", sub.get_name());
        }
    }
}

/// A cluster that accepts the connection and never answers costs the timeout, not a hang.
#[test]
fn namespaces_give_up_on_a_silent_cluster() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster:\n    server: https://{}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: silent\n  context:\n    cluster: silent\n    user: u\ncurrent-context: silent\n",
            silent.local_addr().unwrap()
        ),
    )
    .unwrap();
    let sources = Sources {
        kubeconfig_env: Some(config.into()),
        home: None,
        namespace_timeout: Duration::from_millis(500),
    };
    let started = Instant::now();
    let answer = complete::complete(&kubectl_like(), &words(&["apply", "-n", ""]), &sources);
    let took = started.elapsed();
    assert!(answer.candidates.is_empty(), "{answer:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(silent);
}

#[test]
fn the_helper_is_a_posix_script_that_execs_the_plugin() {
    let helper = repo().join("completions").join(HELPER);
    let text = fs::read_to_string(&helper).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(
        text.contains("exec kubectl-immutable __complete \"$@\""),
        "{text}"
    );
    let mode = fs::metadata(&helper).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "{HELPER} must be executable: {mode:o}");
    assert!(
        Command::new("sh")
            .arg("-n")
            .arg(&helper)
            .status()
            .unwrap()
            .success()
    );
}

// --- release archive and krew manifest ------------------------------------------------------

pub(crate) const PLATFORMS: [(&str, &str); 5] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];

pub(crate) fn host_platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    (os, arch)
}

pub(crate) fn sha256_hex(path: &Path) -> String {
    let digest = Sha256::digest(fs::read(path).unwrap());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn is_semver_with_v(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
                && (part.len() == 1 || !part.starts_with('0'))
        })
}

/// `*` matches any run of characters within one path component, as krew's `files.from` globs.
fn glob_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&at| rest.is_char_boundary(at) && !rest[..at].contains('/'))
                .any(|at| glob_matches(tail, &rest[at..]))
        }
    }
}

/// Checks a rendered manifest as `krew install --manifest` and the krew-index validator do,
/// and installs each platform whose archive is in `archives` the way krew lays it out.
/// Returns the install folders by platform.
pub(crate) fn validate_krew_manifest(
    manifest_path: &Path,
    archives: &Path,
    work: &Path,
) -> Vec<((String, String), PathBuf)> {
    let text = fs::read_to_string(manifest_path).unwrap();
    let manifest: Value =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"));

    assert_eq!(
        manifest["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(manifest["kind"], "Plugin");
    let name = manifest["metadata"]["name"]
        .as_str()
        .expect("metadata.name");
    assert_eq!(name, "immutable");
    assert_eq!(
        manifest_path.file_stem().unwrap(),
        name,
        "krew wants the file named after the plugin"
    );
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );

    let spec = &manifest["spec"];
    let version = spec["version"].as_str().expect("spec.version");
    assert!(
        is_semver_with_v(version),
        "version {version} is not v-prefixed semver"
    );
    assert_eq!(version, format!("v{}", env!("CARGO_PKG_VERSION")));
    let short = spec["shortDescription"]
        .as_str()
        .expect("spec.shortDescription");
    assert!(
        !short.trim().is_empty() && short.len() <= 50,
        "shortDescription: {short:?}"
    );
    for field in ["description", "homepage", "caveats"] {
        let value = spec[field].as_str().unwrap_or_default();
        assert!(!value.trim().is_empty(), "spec.{field} is empty");
    }
    assert!(
        spec["caveats"].as_str().unwrap().contains(HELPER),
        "the caveats tell how to enable completion"
    );
    assert!(
        !text.contains("{{"),
        "a placeholder was left unrendered:\n{text}"
    );

    let platforms = spec["platforms"].as_array().expect("spec.platforms");
    assert!(!platforms.is_empty(), "krew needs at least one platform");

    let mut selectors = BTreeSet::new();
    let mut installed = Vec::new();
    for platform in platforms {
        let labels = platform["selector"]["matchLabels"]
            .as_object()
            .expect("selector.matchLabels");
        assert!(!labels.is_empty());
        let os = labels["os"].as_str().unwrap().to_string();
        let arch = labels["arch"].as_str().unwrap().to_string();
        assert!(
            selectors.insert((os.clone(), arch.clone())),
            "two platforms select {os}/{arch}"
        );

        let uri = platform["uri"].as_str().expect("uri");
        assert!(uri.starts_with("https://"), "{uri}");
        let sha = platform["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "sha256 {sha} is not 64 lowercase hex digits"
        );
        let bin = platform["bin"].as_str().expect("bin");
        let expected_bin = if os == "windows" {
            "kubectl-immutable.exe"
        } else {
            "kubectl-immutable"
        };
        assert_eq!(bin, expected_bin);

        // The archive the uri names is the one hashed.
        let archive = archives.join(uri.rsplit('/').next().unwrap());
        assert!(
            archive.exists(),
            "{os}/{arch}: {} is not there",
            archive.display()
        );
        assert_eq!(
            sha256_hex(&archive),
            sha,
            "{os}/{arch}: sha256 of {}",
            archive.display()
        );

        // Unpack, move `files` as krew does, and find `bin`.
        let unpacked = work.join(format!("unpacked-{os}-{arch}"));
        let install = work.join(format!("store-{os}-{arch}"));
        fs::create_dir_all(&unpacked).unwrap();
        fs::create_dir_all(&install).unwrap();
        let listing = Command::new("tar")
            .arg("-tzf")
            .arg(&archive)
            .output()
            .unwrap();
        assert!(listing.status.success());
        for entry in String::from_utf8(listing.stdout).unwrap().lines() {
            assert!(
                !entry.starts_with('/') && !entry.split('/').any(|part| part == ".."),
                "{entry} escapes the install folder"
            );
        }
        assert!(
            Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(&unpacked)
                .status()
                .unwrap()
                .success()
        );
        let files = platform["files"].as_array().expect("files");
        assert!(!files.is_empty());
        let unpacked_names = files_in(&unpacked);
        for file in files {
            let from = file["from"].as_str().expect("files[].from");
            let to = file["to"].as_str().expect("files[].to");
            assert!(!from.is_empty() && !to.is_empty());
            let matched: Vec<&String> = unpacked_names
                .iter()
                .filter(|name| glob_matches(from, name))
                .collect();
            assert!(
                !matched.is_empty(),
                "{os}/{arch}: files.from {from} matches nothing"
            );
            for name in matched {
                fs::create_dir_all(install.join(to)).unwrap();
                fs::rename(unpacked.join(name), install.join(to).join(name)).unwrap();
            }
        }
        let bin_path = install.join(bin);
        assert!(
            bin_path.is_file(),
            "{os}/{arch}: bin {bin} is not in the installed files"
        );
        if os != "windows" {
            let mode = fs::metadata(&bin_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111, "{bin} is not executable");
        }
        installed.push(((os, arch), install));
    }
    // Each os/arch krew may run on matches at most one platform.
    for (os, arch) in PLATFORMS {
        let matching = platforms
            .iter()
            .filter(|p| {
                let labels = &p["selector"]["matchLabels"];
                labels["os"] == os && labels["arch"] == arch
            })
            .count();
        assert!(matching <= 1, "{os}/{arch} matches {matching} platforms");
    }
    installed
}

#[test]
fn release_archives_and_krew_manifest_validate_as_krew_would() {
    let out = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let host = host_platform();

    // An archive built on another machine and copied in: used as it is. A stand-in binary,
    // since this machine cannot build one for that platform.
    let (other_os, other_arch) = *PLATFORMS
        .iter()
        .find(|platform| **platform != host && platform.0 != "windows")
        .unwrap();
    let other = work.path().join("other");
    fs::create_dir_all(&other).unwrap();
    fs::write(
        other.join("kubectl-immutable"),
        "#!/bin/sh\necho stand-in\n",
    )
    .unwrap();
    fs::set_permissions(
        other.join("kubectl-immutable"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    fs::copy(repo().join("LICENSE"), other.join("LICENSE")).unwrap();
    fs::copy(repo().join("completions").join(HELPER), other.join(HELPER)).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let other_archive = out.path().join(format!(
        "kubectl-immutable-v{version}-{other_os}-{other_arch}.tar.gz"
    ));
    assert!(
        Command::new("tar")
            .arg("-czf")
            .arg(&other_archive)
            .arg("-C")
            .arg(&other)
            .args(["kubectl-immutable", "LICENSE", HELPER])
            .status()
            .unwrap()
            .success()
    );

    let release = Command::new("bash")
        .arg(repo().join("scripts/release.sh"))
        .arg("--binary")
        .arg(plugin_binary())
        .arg("--out")
        .arg(out.path())
        .args([
            "--url-base",
            "https://downloads.example.test/kubectl-immutable/v0",
        ])
        .args(["--homepage", "https://example.test/kubectl-immutable"])
        .current_dir(work.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&release.stderr);
    assert!(release.status.success(), "release.sh failed:\n{stderr}");

    let manifest_path = out.path().join("immutable.yaml");
    let installed = validate_krew_manifest(&manifest_path, out.path(), work.path());
    let platforms: Vec<(String, String)> = installed.iter().map(|(p, _)| p.clone()).collect();
    let host_owned = (host.0.to_string(), host.1.to_string());
    assert!(platforms.contains(&host_owned), "{platforms:?}");
    assert!(
        platforms.contains(&(other_os.to_string(), other_arch.to_string())),
        "{platforms:?}"
    );
    assert_eq!(
        platforms.len(),
        2,
        "only the archives that exist: {platforms:?}"
    );

    // The rest is left out with a note, not a made-up hash.
    let manifest = fs::read_to_string(&manifest_path).unwrap();
    for (os, arch) in PLATFORMS {
        if !platforms.contains(&(os.to_string(), arch.to_string())) {
            assert!(
                manifest.contains(&format!("# {os}/{arch}: no archive was built")),
                "{os}/{arch} not noted:\n{manifest}"
            );
            assert!(
                stderr.contains(&format!("left out {os}/{arch}")),
                "{stderr}"
            );
        }
    }

    // The host archive holds the plugin itself, the licence and the completion helper, and
    // installed as krew would it runs.
    let host_store = &installed.iter().find(|(p, _)| *p == host_owned).unwrap().1;
    let names = files_in(host_store);
    assert_eq!(
        names,
        ["LICENSE", HELPER, "kubectl-immutable"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(
        fs::read(host_store.join("LICENSE")).unwrap(),
        fs::read(repo().join("LICENSE")).unwrap()
    );
    let ran = Command::new(host_store.join("kubectl-immutable"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&ran.stdout).starts_with(&format!("kubectl-immutable {version}"))
    );

    // The Helm 4 post-renderer plugin is shipped beside them, as in the repository.
    let host_archive = out.path().join(format!(
        "kubectl-immutable-v{version}-{}-{}.tar.gz",
        host.0, host.1
    ));
    let listing = Command::new("tar")
        .arg("-xzOf")
        .arg(&host_archive)
        .arg("helm/immutable/plugin.yaml")
        .output()
        .unwrap();
    assert!(listing.status.success(), "no helm/immutable/plugin.yaml");
    assert_eq!(
        listing.stdout,
        fs::read(repo().join("plugins/helm/immutable/plugin.yaml")).unwrap()
    );

    let sums = fs::read_to_string(out.path().join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 2, "{sums}");
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        assert_eq!(sha256_hex(&out.path().join(name)), sum, "{name}");
    }
}

#[test]
fn the_licence_is_apache_2() {
    let licence = fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(
        licence.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(licence.contains("END OF TERMS AND CONDITIONS"));
    let manifest = fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
}
