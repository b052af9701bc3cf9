//! Row 9: `pin --signature-policy` of the 200 images of row 1, every one signed (cosign's
//! classic layout, signed with openssl by the test support code), next to the same pin without
//! the policy, the two run in turn so that both see the same machine and the same proxy.
//!
//! The images are written as `bench.example/bench/app-…` and resolved through
//! `--registry-mirror bench.example=<proxy>`: the signatures name `bench.example/…`, which does
//! not change from run to run, so they are pushed once into the seeded storage (the key and a
//! marker kept in `bench-signatures-v1/` beside it).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use kubectl_immutable_test_support::registry::OciLayout;
use kubectl_immutable_test_support::signing::{SigningKey, simple_signing_payload};

use super::measure::{self, Sample};
use super::{Bench, Row, check_exit, in_round_trips, note, seed, workloads};

/// The name the images are written under; the mirror sends it to the proxy.
const SOURCE: &str = "bench.example";
/// Changes whenever what is signed changes, so old signatures are pushed again.
const SIGNED_VERSION: &str = "1";
const PUSH_JOBS: usize = 8;

impl Bench<'_> {
    /// Row 9 and its unsigned twin.
    pub(super) fn signed_rows(&self, rows: &mut Vec<Row>) {
        let count = 200;
        let references = self.references(count);
        let key = self.signatures_pushed(&references);
        let policy = self.work.join("policy.yaml");
        fs::write(
            &policy,
            format!("rules:\n- images: {SOURCE}/bench\n  key: key.pub\n"),
        )
        .unwrap();
        fs::copy(key.public_path(), self.work.join("key.pub")).unwrap();
        let images: Vec<String> = references.iter().map(|r| format!("{SOURCE}/{r}")).collect();
        let manifest = self.work.join("signed.yaml");
        fs::write(&manifest, workloads::deployments(&images)).unwrap();

        note(&format!(
            "pin with and without a signature policy, {count} signed images"
        ));
        let (mut unsigned, mut signed) = (Sample::default(), Sample::default());
        for _ in 0..self.settings.runs {
            unsigned.push(self.pin_through_mirror(&manifest, &references, None));
            signed.push(self.pin_through_mirror(&manifest, &references, Some(&policy)));
        }
        let rtt = self.settings.rtt;
        let ratio = signed.median().as_secs_f64() / unsigned.median().as_secs_f64();
        rows.push(Row::new(
            format!(
                "10. `pin`, {count} distinct images, cold, {} ms RTT, through a mirror, no policy",
                rtt.as_millis()
            ),
            unsigned.times.len(),
            in_round_trips(&unsigned, rtt),
        ));
        let row = Row::new(
            "10. the same with `--signature-policy`: every signature looked up and verified",
            signed.times.len(),
            format!(
                "{}; **{ratio:.2}×** the same pin without",
                in_round_trips(&signed, rtt)
            ),
        );
        rows.push(self.verdict(row, "≤ 2× without", ratio <= 2.0));
    }

    /// `pin` of the manifest through the mirror, with `policy` if given, checked to have written
    /// the digest the registry holds for every image.
    fn pin_through_mirror(
        &self,
        manifest: &Path,
        references: &[String],
        policy: Option<&Path>,
    ) -> measure::Run {
        let host = self.proxy.host();
        let (stdout, stderr) = (self.work.join("signed.out"), self.work.join("signed.err"));
        let mut command = self.plugin();
        command
            .args(["pin", "-q", "-f"])
            .arg(manifest)
            .args(["--insecure-registry", &host])
            .args(["--registry-mirror", &format!("{SOURCE}={host}")]);
        if let Some(policy) = policy {
            command.arg("--signature-policy").arg(policy);
        }
        let run = measure::run(&mut command, Some(&stdout), Some(&stderr));
        check_exit(&run, &[0], "pin --signature-policy", &stderr);
        let output = fs::read_to_string(&stdout).unwrap();
        let expected: Vec<&str> = references
            .iter()
            .map(|r| self.registry.digests[r].as_str())
            .collect();
        assert_eq!(workloads::pinned_digests(&output), expected);
        run
    }

    /// The key the references' digests are signed with, the signatures pushed first unless the
    /// seeded storage already holds them.
    fn signatures_pushed(&self, references: &[String]) -> SigningKey {
        let dir = seed::target_dir().join(format!("bench-signatures-v{SIGNED_VERSION}"));
        let marker = dir.join("pushed");
        let key = SigningKey::kept_in(&dir);
        // Storage seeded afresh holds no signatures.
        if marker.is_file() && self.registry.seeded_in.is_none() {
            return key;
        }
        note("signing the 200 images and pushing their signatures (once)");
        let scratch = tempfile::tempdir().expect("a layout dir");
        let mut layout = OciLayout::create(&scratch.path().join("layout"));
        let pushes: Vec<(String, String)> = references
            .iter()
            .enumerate()
            .map(|(i, reference)| {
                let digest = &self.registry.digests[reference];
                let repository = reference.split(':').next().unwrap();
                let payload = simple_signing_payload(&format!("{SOURCE}/{repository}"), digest);
                let signature = key.sign(&payload);
                let name = format!("signature{i}");
                layout.add_cosign_signatures(&name, &[(payload, signature)]);
                let tag = format!("{}.sig", digest.replacen(':', "-", 1));
                (name, format!("{repository}:{tag}"))
            })
            .collect();
        layout.save();
        let next = AtomicUsize::new(0);
        let registry = self.registry.addr();
        thread::scope(|scope| {
            for _ in 0..PUSH_JOBS {
                scope.spawn(|| {
                    while let Some((name, target)) =
                        pushes.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let output = Command::new("skopeo")
                            .args(["--insecure-policy", "copy", "--quiet", "--preserve-digests"])
                            .args(["--dest-tls-verify=false", "--dest-no-creds"])
                            .arg(format!("oci:{}:{name}", layout.path().display()))
                            .arg(format!("docker://{registry}/{target}"))
                            .output()
                            .expect("run skopeo copy");
                        assert!(
                            output.status.success(),
                            "skopeo copy to {target}: {}",
                            String::from_utf8_lossy(&output.stderr)
                        );
                    }
                });
            }
        });
        fs::write(&marker, "").unwrap();
        key
    }
}
