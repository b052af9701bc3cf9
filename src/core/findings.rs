//! What `pin --check` and `pin --verify` find, and the formats CI systems read it in: GitHub
//! workflow commands, GitLab Code Quality, SARIF 2.1.0. Pure: the caller makes paths relative.

use std::fmt::Write as _;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::problem::Problem;

/// Why an image value is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// Written without a digest (`--check`).
    Unpinned,
    /// The digest written does not exist in the registry (`--verify`).
    MissingDigest,
    /// The tag written beside the digest now points at another one (`--verify`).
    MovedTag,
    /// The registry would not say whether the digest exists (`--verify`).
    RegistryError,
    /// The signature policy refuses the digest: no valid signature by its rule's key, or no
    /// rule and a default of deny (`--verify` with a signature policy).
    UnverifiedSignature,
}

/// Every kind, in the order SARIF's rules list them.
pub const KINDS: [FindingKind; 5] = [
    FindingKind::Unpinned,
    FindingKind::MissingDigest,
    FindingKind::MovedTag,
    FindingKind::RegistryError,
    FindingKind::UnverifiedSignature,
];

impl FindingKind {
    /// The rule's id: SARIF's `ruleId`, GitLab's `check_name`.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::Unpinned => "unpinned-image",
            FindingKind::MissingDigest => "missing-digest",
            FindingKind::MovedTag => "moved-tag",
            FindingKind::RegistryError => "registry-error",
            FindingKind::UnverifiedSignature => "unverified-signature",
        }
    }

    /// A title: GitHub's annotation title, SARIF's rule name.
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::Unpinned => "Unpinned image",
            FindingKind::MissingDigest => "Missing digest",
            FindingKind::MovedTag => "Moved tag",
            FindingKind::RegistryError => "Registry error",
            FindingKind::UnverifiedSignature => "Unverified signature",
        }
    }

    fn description(self) -> &'static str {
        match self {
            FindingKind::Unpinned => {
                "The image is named by a tag without a digest: what runs can change without a \
                 change to the manifest. kubectl immutable pin pins it."
            }
            FindingKind::MissingDigest => {
                "The digest written does not exist in the registry: the image cannot be pulled."
            }
            FindingKind::MovedTag => {
                "The tag written beside the digest now points at another image: the tag was \
                 pushed again. kubectl immutable pin --refresh moves the pin."
            }
            FindingKind::RegistryError => "The registry did not answer whether the digest exists.",
            FindingKind::UnverifiedSignature => {
                "The signature policy refuses the digest: no cosign signature by the key its rule \
                 names vouches for it."
            }
        }
    }

    fn gitlab_severity(self) -> &'static str {
        match self {
            FindingKind::MissingDigest | FindingKind::UnverifiedSignature => "critical",
            FindingKind::Unpinned | FindingKind::MovedTag => "major",
            FindingKind::RegistryError => "minor",
        }
    }
}

/// One image value reported: its kind, the problem as the text output prints it, the column of
/// the value and the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub problem: Problem,
    pub column: usize,
    pub image: String,
}

impl Finding {
    fn path(&self) -> &str {
        self.problem.source.as_deref().unwrap_or("-")
    }

    fn line(&self) -> usize {
        self.problem.position.map_or(1, |position| position.line)
    }

    /// What is wrong, without the place.
    pub fn message(&self) -> String {
        match self.kind {
            FindingKind::Unpinned => format!("{} is not pinned to a digest", self.image),
            _ => self.problem.message.clone(),
        }
    }

    /// The same for the same path, line, image and kind, run after run.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            self.path(),
            &self.line().to_string(),
            &self.image,
            self.kind.id(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.finalize().iter().fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
    }
}

/// GitHub's workflow commands: one `::error file=…,line=…,col=…,title=…::message` line each.
pub fn render_github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let _ = writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            github_property(finding.path()),
            finding.line(),
            finding.column,
            github_property(finding.kind.title()),
            github_data(&finding.message())
        );
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped, as the runner's toolkit escapes data.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: its data escapes, and `:` and `,`.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitLab's Code Quality report: a JSON array of issues.
pub fn render_gitlab(findings: &[Finding]) -> String {
    let issues: Vec<Value> = findings
        .iter()
        .map(|finding| {
            json!({
                "description": finding.message(),
                "check_name": finding.kind.id(),
                "fingerprint": finding.fingerprint(),
                "severity": finding.kind.gitlab_severity(),
                "location": {
                    "path": finding.path(),
                    "lines": {"begin": finding.line()},
                },
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).expect("a report serialises");
    text.push('\n');
    text
}

/// SARIF 2.1.0: one run, a rule per kind, a result per finding at its file, line and column.
pub fn render_sarif(findings: &[Finding], version: &str) -> String {
    let rules: Vec<Value> = KINDS
        .iter()
        .map(|kind| {
            json!({
                "id": kind.id(),
                "name": kind.title().replace(' ', ""),
                "shortDescription": {"text": kind.title()},
                "fullDescription": {"text": kind.description()},
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let index = KINDS
                .iter()
                .position(|kind| *kind == finding.kind)
                .expect("every kind has a rule");
            json!({
                "ruleId": finding.kind.id(),
                "ruleIndex": index,
                "level": "error",
                "message": {"text": finding.message()},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(finding.path())},
                        "region": {
                            "startLine": finding.line(),
                            "startColumn": finding.column.max(1),
                        },
                    },
                }],
                "partialFingerprints": {"imageFinding/v1": finding.fingerprint()},
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-immutable",
                "version": version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a log serialises");
    text.push('\n');
    text
}

/// A relative path as a URI reference: `/` kept, every byte but the unreserved ones encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::problem::Position;

    fn finding(kind: FindingKind, source: &str, image: &str, message: &str) -> Finding {
        Finding {
            kind,
            problem: Problem::at(source, Some(Position::line(7)), message),
            column: 12,
            image: image.into(),
        }
    }

    #[test]
    fn github_lines_escape_data_and_properties() {
        let text = render_github(&[finding(
            FindingKind::MovedTag,
            "k8s/a,b:c%.yaml",
            "nginx:1.27",
            "nginx:1.27: 100%\r\nmoved",
        )]);
        assert_eq!(
            text,
            "::error file=k8s/a%2Cb%3Ac%25.yaml,line=7,col=12,title=Moved tag::nginx:1.27: 100%25%0D%0Amoved\n"
        );
    }

    #[test]
    fn fingerprints_are_stable_and_tell_findings_apart() {
        let a = finding(FindingKind::Unpinned, "a.yaml", "nginx:1.27", "nginx:1.27");
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
        let b = finding(FindingKind::Unpinned, "b.yaml", "nginx:1.27", "nginx:1.27");
        let c = finding(FindingKind::MovedTag, "a.yaml", "nginx:1.27", "nginx:1.27");
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn sarif_uris_are_relative_references() {
        assert_eq!(uri("k8s/my app/ä.yaml"), "k8s/my%20app/%C3%A4.yaml");
        let log: Value = serde_json::from_str(&render_sarif(&[], "0.1.0")).unwrap();
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
    }
}
