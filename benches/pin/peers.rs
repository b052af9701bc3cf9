//! The peers of rows 1 and 7 besides skopeo: the floor, `curl --parallel` asking the registry for
//! the same manifests with nothing else to do (what the wire and the registry allow), and Carvel
//! kbld when `KBLD` names a binary of it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::measure::{self, Sample};
use crate::workloads;

/// The manifest kinds pin accepts, asked for in the same order (`adapters::registry`).
const ACCEPT: &str = "Accept: application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// Transfers curl runs at once: more than the 200 references, so all go at once.
pub const CURL_PARALLEL: usize = 256;

/// How curl reaches the registry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// Plain HTTP/1.1: one connection per transfer in flight.
    Http1,
    /// HTTP/2 over TLS (certificate not verified, as pin's `--insecure-registry`): every
    /// transfer multiplexed on one connection.
    Http2Tls,
}

/// `curl --parallel --parallel-max 256 --head` of the manifest of every `repository:tag` in
/// `references` on `host`, `runs` times; every run checked to get 200 and the digest the registry
/// holds for each.
pub fn curl_floor(
    host: &str,
    wire: Wire,
    references: &[String],
    digests: &BTreeMap<String, String>,
    runs: usize,
    work: &Path,
) -> Sample {
    let (scheme, protocol): (&str, &[&str]) = match wire {
        Wire::Http1 => ("http", &["--http1.1"]),
        Wire::Http2Tls => ("https", &["--http2", "--insecure"]),
    };
    let urls: Vec<String> = references
        .iter()
        .map(|reference| {
            let (repository, tag) = reference.rsplit_once(':').expect("repository:tag");
            format!("{scheme}://{host}/v2/{repository}/manifests/{tag}")
        })
        .collect();
    let mut expected: Vec<&str> = references.iter().map(|r| digests[r].as_str()).collect();
    expected.sort_unstable();
    let (stdout, stderr) = (work.join("curl.out"), work.join("curl.err"));
    let mut sample = Sample::default();
    for _ in 0..runs {
        let run = measure::run(
            Command::new("curl")
                .args(["--parallel", "--parallel-max"])
                .arg(CURL_PARALLEL.to_string())
                .args(["--silent", "--show-error", "--no-progress-meter", "--head"])
                .args(["--header", ACCEPT])
                .args(protocol)
                .args(&urls),
            Some(&stdout),
            Some(&stderr),
        );
        let headers = std::fs::read_to_string(&stdout).unwrap();
        let stderr = std::fs::read_to_string(&stderr).unwrap_or_default();
        assert_eq!(run.code, 0, "curl exited {}: {stderr}", run.code);
        let statuses: Vec<&str> = headers
            .lines()
            .filter(|line| line.starts_with("HTTP/"))
            .collect();
        assert!(
            statuses.len() == references.len()
                && statuses.iter().all(|status| status.contains(" 200")),
            "curl: not 200 for every manifest: {statuses:?}"
        );
        let mut got: Vec<&str> = headers
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("docker-content-digest")
                    .then(|| value.trim())
            })
            .collect();
        got.sort_unstable();
        assert_eq!(
            got, expected,
            "curl got other digests than the registry holds"
        );
        sample.push(run);
    }
    sample
}

/// `kbld -f manifest.yaml --registry-insecure` over the manifest of row 1, `runs` times; every
/// run checked to write the digest the registry holds for every image.
pub fn kbld(kbld: &Path, manifest: &Path, expected: &[&str], runs: usize, work: &Path) -> Sample {
    let (stdout, stderr) = (work.join("kbld.out"), work.join("kbld.err"));
    let mut sample = Sample::default();
    for _ in 0..runs {
        let run = measure::run(
            Command::new(kbld)
                .arg("-f")
                .arg(manifest)
                .arg("--registry-insecure"),
            Some(&stdout),
            Some(&stderr),
        );
        assert_eq!(
            run.code,
            0,
            "kbld exited {}: {}",
            run.code,
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        let output = std::fs::read_to_string(&stdout).unwrap();
        // Compared as sets: the order kbld writes its documents in is its own.
        let mut got = workloads::pinned_digests(&output);
        got.sort_unstable();
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        assert_eq!(
            got, expected,
            "kbld wrote other digests than the registry holds"
        );
        sample.push(run);
    }
    sample
}
