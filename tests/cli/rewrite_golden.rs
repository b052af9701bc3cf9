//! Golden tests of the rewriter through the built binary, offline: `pin -f <case>.in.yaml` (or
//! `.in.json`) with digests from `tests/data/rewrite/immutable.lock` must print
//! `<case>.out.yaml` (or `.out.json`) byte for byte.
//!
//! `UPDATE_GOLDEN=1` rewrites the expected files from the binary's output. The expected files
//! say what is right (the input with only its image values pinned), not what the binary
//! happens to print, so review every such change by reading it.

use std::path::{Path, PathBuf};

use crate::support::plugin::Plugin;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rewrite")
}

/// The case's input and expected output, whichever of YAML and JSON it is written in.
fn case_files(case: &str) -> (PathBuf, PathBuf) {
    let dir = data_dir();
    ["yaml", "json"]
        .into_iter()
        .map(|ext| {
            (
                dir.join(format!("{case}.in.{ext}")),
                dir.join(format!("{case}.out.{ext}")),
            )
        })
        .find(|(input, _)| input.is_file())
        .unwrap_or_else(|| panic!("no {case}.in.yaml or {case}.in.json in {}", dir.display()))
}

fn check(case: &str) {
    let (input, expected_path) = case_files(case);
    let lock = data_dir().join("immutable.lock");
    let run = Plugin::new([
        "pin".as_ref(),
        "-f".as_ref(),
        input.as_os_str(),
        "--offline".as_ref(),
        "--lock".as_ref(),
        lock.as_os_str(),
    ])
    .run()
    .expect_code(0);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &run.stdout).expect("write the expected file");
        return;
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|error| panic!("{}: {error}", expected_path.display()));
    if run.stdout != expected {
        let diff = similar::TextDiff::from_lines(&expected, &run.stdout)
            .unified_diff()
            .header("expected", "stdout")
            .to_string();
        panic!(
            "{case}: stdout differs from {}\n{diff}",
            expected_path.display()
        );
    }
}

macro_rules! golden_cases {
    ($($case:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($case)),*];
        $(
            #[test]
            fn $case() {
                check(stringify!($case));
            }
        )*
    };
}

golden_cases!(
    already_pinned,
    anchors,
    block_scalars,
    comments,
    crlf,
    cronjob,
    decoys,
    flow,
    json_pretty,
    json_single_line,
    list,
    names_as_written,
    no_trailing_newline,
    quoted,
    separators,
    tabs_and_unicode,
);

/// A case file without a test would never be checked.
#[test]
fn every_case_has_a_test() {
    for entry in std::fs::read_dir(data_dir()).expect("the golden directory") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        if let Some((case, _)) = name.split_once(".in.") {
            assert!(CASES.contains(&case), "{name} has no test in golden_cases!");
        }
    }
}
