//! A closed stdout (`| head -1`): the command's own exit code wins, and nothing is said about
//! the pipe.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// The plugin's exit code and stderr when its stdout goes through `| head -1`, run by bash as
/// a shell pipeline runs it (`PIPESTATUS[0]` is the plugin's code).
fn through_head(dir: &Path, args: &str) -> (i32, String, String) {
    let plugin = env!("CARGO_BIN_EXE_kubectl-immutable");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "\"$PLUGIN\" {args} 2>stderr.txt | head -1; echo \"exit ${{PIPESTATUS[0]}}\" >&2"
        ))
        .env("PLUGIN", plugin)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let code = stderr
        .trim()
        .strip_prefix("exit ")
        .unwrap_or_else(|| panic!("{stderr}"))
        .parse()
        .unwrap();
    let plugin_stderr = std::fs::read_to_string(dir.join("stderr.txt")).unwrap();
    (
        code,
        String::from_utf8(output.stdout).unwrap(),
        plugin_stderr,
    )
}

/// Two releases of `n` ConfigMaps that all differ: far more text than a pipe holds (64 KiB), so
/// the plugin is still writing when `head` has gone.
fn releases(dir: &Path, n: usize) {
    for (side, value) in [("old.yaml", "a"), ("new.yaml", "b")] {
        let mut text = String::new();
        for i in 0..n {
            let _ = write!(
                text,
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: config-{i}}}\ndata: {{key: {value}}}\n"
            );
        }
        std::fs::write(dir.join(side), text).unwrap();
    }
}

#[test]
fn diff_into_a_closed_pipe_still_exits_1_when_there_are_differences() {
    let dir = tempfile::tempdir().unwrap();
    releases(dir.path(), 3000);
    let (code, stdout, stderr) = through_head(dir.path(), "diff old.yaml new.yaml");
    assert_eq!(code, 1, "stderr: {stderr}");
    assert_eq!(stdout, "0 added, 0 removed, 3000 changed, 0 unchanged\n");
    assert_eq!(stderr, "", "a broken pipe is no error message");
    for format in ["json", "markdown"] {
        let (code, _, stderr) =
            through_head(dir.path(), &format!("diff old.yaml new.yaml -o {format}"));
        assert_eq!((code, stderr.as_str()), (1, ""), "-o {format}");
    }
    // No differences: 0, however early the reader leaves.
    let (code, _, stderr) = through_head(dir.path(), "diff old.yaml old.yaml");
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn pin_check_into_a_closed_pipe_still_exits_1_when_an_image_is_unpinned() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..3000 {
        let _ = write!(
            text,
            "---\nkind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers:\n  - image: registry.example.test/app/web-{i}:v1\n"
        );
    }
    std::fs::write(dir.path().join("pods.yaml"), text).unwrap();
    let (code, stdout, stderr) = through_head(dir.path(), "pin --check -f pods.yaml -q");
    assert_eq!(code, 1, "stderr: {stderr}");
    assert_eq!(stdout, "pods.yaml:6: registry.example.test/app/web-0:v1\n");
    assert_eq!(stderr, "");
}
