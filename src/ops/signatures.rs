//! The signature step: every digest about to be written, sent or passed through is checked
//! against the signature policy before anything is written or sent (`pin`, `pin --refresh`,
//! `pin --verify`, `postrender`, `apply`, `rollback`), whether a tag resolved to it or it was
//! written already. Each distinct repository and digest is looked up and judged once per run,
//! through the same registry client as the tags were resolved (credentials, mirrors, TLS,
//! retries, and its bound on what each host gets in flight). Where tags are resolved in the
//! same run, each digest's lookup starts the moment it resolves, beside the resolution of the
//! others, instead of after the last.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::pin::pin;

use futures::StreamExt as _;
use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::stream::{FuturesUnordered, Stream};

use super::Reporter;
use super::resolve::{Found, PinnedTags, Resolution, ResolveSettings, offline_lock, resolve};
use crate::adapters::registry::{DigestSource, RegistryError, SignatureSource};
use crate::core::lock::{LockFile, SignatureRecord, lock_key};
use crate::core::problem::Problems;
use crate::core::reference::{Digest, ImageReference};
use crate::core::signature::{
    DefaultAction, Outcome, PublicKey, Requirement, Rule, SignaturePolicy, judge,
};

/// A digest about to be written for an image: the image's reference (its name is what the
/// policy matches and the payload must name) and the digest.
#[derive(Clone, Copy)]
pub struct Written<'a> {
    pub reference: &'a ImageReference,
    pub digest: &'a str,
}

/// Why the policy refuses the digest of `written[index]`.
#[derive(Debug)]
pub struct Refusal {
    pub index: usize,
    pub message: String,
}

/// What the policy made of each digest written, by `name@digest`, and the signature that
/// verified each one a key verified.
#[derive(Debug, Default)]
pub struct Checked {
    outcomes: HashMap<String, Outcome>,
    records: HashMap<String, SignatureRecord>,
}

impl Checked {
    /// The outcome for `digest` of `reference`'s repository, if it was checked.
    pub fn outcome(&self, reference: &ImageReference, digest: &str) -> Option<&Outcome> {
        self.outcomes.get(&key(reference, digest))
    }

    /// Records in `lock` the signature that verified each digest, with its rule and key.
    pub fn record(&self, lock: &mut LockFile) {
        for (key, record) in &self.records {
            lock.signatures.insert(key.clone(), record.clone());
        }
    }
}

/// The judgement of the signatures looked up for each `name@digest`: the one that verified it.
type Verdicts = HashMap<String, Result<SignatureRecord, String>>;

/// The digest written for an image written as `reference` whatever its tag resolves to: one
/// written already, kept as it is (passed through by `apply` and `postrender`, judged too under
/// `--verify`), unless `--refresh` moves its tag's.
fn kept_digest(reference: &ImageReference, pinned_tags: PinnedTags) -> Option<&str> {
    let written = reference.digest()?;
    let moves = pinned_tags == PinnedTags::Refresh && reference.tag().is_some();
    (!moves).then_some(written)
}

/// The digest about to be written or passed through for an image written as `reference`, whose
/// tag resolved to `resolved` (if it did): the one written already and kept, or the one pinned,
/// or the one `--refresh` moves to.
fn written_digest<'a>(
    reference: &'a ImageReference,
    resolved: Option<&'a str>,
    pinned_tags: PinnedTags,
) -> Option<&'a str> {
    kept_digest(reference, pinned_tags).or(resolved)
}

/// Every image (by its index in the resolution's images) whose digest is about to be written,
/// with that digest.
fn written(resolution: &Resolution, pinned_tags: PinnedTags) -> Vec<(usize, Written<'_>)> {
    resolution
        .found
        .images
        .iter()
        .enumerate()
        .filter_map(|(index, image)| {
            let resolved = resolution
                .digests
                .get(&lock_key(&image.reference))
                .and_then(|digest| digest.as_ref().ok())
                .map(Digest::as_str);
            let digest = written_digest(&image.reference, resolved, pinned_tags)?;
            Some((
                index,
                Written {
                    reference: &image.reference,
                    digest,
                },
            ))
        })
        .collect()
}

/// The refusal of the digest written at image `image` (an index in the resolution's images).
#[derive(Debug)]
pub struct Refused {
    pub image: usize,
    pub message: String,
}

/// [`resolve`], and with a signature `policy`, the policy's judgement of every digest about to
/// be written (`pinned_tags` as resolved with): from the registries, each digest's signatures
/// looked up the moment it resolves while the other tags still resolve, or with `--offline`,
/// from what the lock file records. A failed resolution stops the lookups in flight.
pub async fn resolve_and_check(
    settings: &ResolveSettings,
    registry: &(impl DigestSource + SignatureSource),
    found: Found,
    pinned_tags: PinnedTags,
    policy: Option<&SignaturePolicy>,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Resolution, Result<Checked, Vec<Refused>>)> {
    let Some(policy) = policy else {
        let resolution = resolve(settings, registry, found, pinned_tags, reporter, &|_, _| {});
        return Ok((resolution.await?, Ok(Checked::default())));
    };
    if let Some(lock) = offline_lock(settings)? {
        let resolution = resolve(settings, registry, found, pinned_tags, reporter, &|_, _| {});
        let resolution = resolution.await?;
        let checked = {
            let written = written(&resolution, pinned_tags);
            let items: Vec<Written> = written.iter().map(|(_, item)| *item).collect();
            let path = settings.lock.as_deref().expect("offline_lock read it");
            refused_images(check_recorded(policy, &lock, path, &items), &written)
        };
        return Ok((resolution, checked));
    }
    // Which digest is written depends on how each image is written, so every image written at
    // a key is asked about its digest when the key resolves.
    let mut written_at: HashMap<String, Vec<ImageReference>> = HashMap::new();
    for image in &found.images {
        let reference = &image.reference;
        written_at
            .entry(lock_key(reference))
            .or_default()
            .push(reference.clone());
    }
    let (sender, receiver) = mpsc::unbounded();
    let send = move |reference: &ImageReference, digest: &str| {
        // Only a lookups side that stopped (after a failed resolution) closes the channel.
        let _ = sender.unbounded_send((reference.clone(), digest.to_string()));
    };
    // The digests written whatever the tags resolve to are looked up at once.
    for image in &found.images {
        if let Some(digest) = kept_digest(&image.reference, pinned_tags) {
            send(&image.reference, digest);
        }
    }
    let on_resolved = move |reference: &ImageReference, resolved: &str| {
        for written in written_at.get(&lock_key(reference)).into_iter().flatten() {
            if kept_digest(written, pinned_tags).is_none() {
                send(written, resolved);
            }
        }
    };
    // The channel closes, and the lookups end once the last is answered, when the resolution
    // is over and drops `on_resolved`.
    let resolving = pin!(async move {
        let on_resolved = on_resolved;
        resolve(
            settings,
            registry,
            found,
            pinned_tags,
            reporter,
            &on_resolved,
        )
        .await
    });
    let looking_up = pin!(look_up_each(policy, registry, receiver));
    let (resolution, looked_up) = match select(resolving, looking_up).await {
        Either::Left((resolution, looking_up)) => (resolution?, looking_up.await),
        Either::Right((looked_up, resolving)) => (resolving.await?, looked_up),
    };
    let checked = {
        let written = written(&resolution, pinned_tags);
        let items: Vec<Written> = written.iter().map(|(_, item)| *item).collect();
        let checked = check_after(policy, registry, &items, looked_up).await;
        refused_images(checked, &written)
    };
    Ok((resolution, checked))
}

/// Each refusal of `checked` (by its index in `written`) named by its image's index.
fn refused_images(
    checked: Result<Checked, Vec<Refusal>>,
    written: &[(usize, Written<'_>)],
) -> Result<Checked, Vec<Refused>> {
    checked.map_err(|refusals| {
        refusals
            .into_iter()
            .map(|refusal| Refused {
                image: written[refusal.index].0,
                message: refusal.message,
            })
            .collect()
    })
}

/// `pin --check` with a lock file (at `path`): every digest written in `found` judged from the
/// lock's records alone, as `--offline` judges them, with no network.
pub fn check_written(
    policy: &SignaturePolicy,
    lock: &LockFile,
    path: &std::path::Path,
    found: &Found,
) -> Result<Checked, Vec<Refused>> {
    let written: Vec<(usize, Written)> = found
        .images
        .iter()
        .enumerate()
        .filter_map(|(index, image)| {
            let reference = &image.reference;
            let digest = reference.digest()?;
            Some((index, Written { reference, digest }))
        })
        .collect();
    let items: Vec<Written> = written.iter().map(|(_, item)| *item).collect();
    refused_images(check_recorded(policy, lock, path, &items), &written)
}

/// The signatures of each digest `digests` yields that `policy` asks a key of, looked up as it
/// comes, each `name@digest` once, as many at once as come (the client bounds each host).
async fn look_up_each(
    policy: &SignaturePolicy,
    registry: &impl SignatureSource,
    digests: impl Stream<Item = (ImageReference, String)>,
) -> Verdicts {
    let mut started = HashSet::new();
    digests
        .filter_map(|(reference, digest)| {
            let key = key(&reference, &digest);
            let lookup = key_rule(policy, &reference)
                .filter(|_| started.insert(key.clone()))
                .map(|(rule, public_key)| (key, rule, public_key, reference, digest));
            std::future::ready(lookup)
        })
        .map(|(key, rule, public_key, reference, digest)| async move {
            let item = Written {
                reference: &reference,
                digest: &digest,
            };
            (key, look_up(registry, rule, public_key, &item).await)
        })
        // No bound of its own: the client bounds what each host gets in flight.
        .buffer_unordered(usize::MAX)
        .collect()
        .await
}

/// The rule that decides `reference` and its key, where the rule asks for one.
fn key_rule<'p>(
    policy: &'p SignaturePolicy,
    reference: &ImageReference,
) -> Option<(&'p Rule, &'p PublicKey)> {
    let rule = policy.rule_for(&reference.name())?;
    match &rule.requirement {
        Requirement::Key(public_key) => Some((rule, public_key)),
        Requirement::Skip => None,
    }
}

/// Refusals as problems where the images are written: `FILE:LINE:COLUMN: IMAGE: why`.
pub fn refused_problems(resolution: &Resolution, refused: Vec<Refused>) -> Problems {
    let found = &resolution.found;
    Problems(
        refused
            .into_iter()
            .map(|refused| {
                let image = &found.images[refused.image];
                let message = format_args!("{}: {}", image.located.value, refused.message);
                image.problem(&found.sources, message)
            })
            .collect(),
    )
}

fn key(reference: &ImageReference, digest: &str) -> String {
    format!("{}@{digest}", reference.name())
}

/// Checks every digest of `written` against `policy`: the outcome of each, or a refusal of
/// each one the policy refuses.
pub async fn check(
    policy: &SignaturePolicy,
    registry: &impl SignatureSource,
    written: &[Written<'_>],
) -> Result<Checked, Vec<Refusal>> {
    check_after(policy, registry, written, Verdicts::new()).await
}

/// [`check`], the digests of `looked_up` judged already.
async fn check_after(
    policy: &SignaturePolicy,
    registry: &impl SignatureSource,
    written: &[Written<'_>],
    mut looked_up: Verdicts,
) -> Result<Checked, Vec<Refusal>> {
    let mut lookups: BTreeMap<String, (&Rule, &PublicKey, &Written)> = BTreeMap::new();
    for item in written {
        let key = key(item.reference, item.digest);
        if let Some((rule, public_key)) = key_rule(policy, item.reference)
            && !looked_up.contains_key(&key)
        {
            lookups.entry(key).or_insert((rule, public_key, item));
        }
    }
    // All at once: the client bounds what each host gets in flight.
    let verdicts = lookups
        .into_iter()
        .map(|(key, (rule, public_key, item))| async move {
            (key, look_up(registry, rule, public_key, item).await)
        })
        .collect::<FuturesUnordered<_>>()
        .collect::<Vec<_>>()
        .await;
    looked_up.extend(verdicts);
    judge_all(policy, written, |_, _, item| {
        looked_up[&key(item.reference, item.digest)].clone()
    })
}

/// The signatures of `item`'s digest judged by `rule`'s key: cosign's classic `.sig` first, and
/// only where none of those is valid, the Sigstore bundles of the referrers tag too, so a digest
/// signed the classic way costs two requests (its `.sig` manifest, then its payload).
async fn look_up(
    registry: &impl SignatureSource,
    rule: &Rule,
    public_key: &PublicKey,
    item: &Written<'_>,
) -> Result<SignatureRecord, String> {
    let (reference, digest) = (item.reference, item.digest);
    let name = reference.name();
    let cannot =
        |error: RegistryError| format!("cannot look up the signatures of {digest}: {error}");
    let mut signatures = registry
        .classic_signatures(reference, digest)
        .await
        .map_err(cannot)?;
    if judge(public_key, &signatures, digest, &name).is_err() {
        signatures.extend(
            registry
                .bundle_signatures(reference, digest)
                .await
                .map_err(cannot)?,
        );
    }
    judge(public_key, &signatures, digest, &name)
        .map(|signed| SignatureRecord::new(&rule.images, public_key, signed.clone()))
        .map_err(|unverified| {
            format!(
                "no valid signature for {digest} (rule {}: {unverified})",
                rule.images
            )
        })
}

/// With `--offline`: the signature the lock file (at `path`) records for a digest stands for
/// its signatures once verified again, with no registry, as it was when recorded: by the key
/// the policy names now (its SubjectPublicKeyInfo the one recorded), over a payload naming that
/// digest and the image's repository. Anything else is refused: a record edited by hand, one
/// made with a key since rotated, one of another digest.
pub fn check_recorded(
    policy: &SignaturePolicy,
    lock: &LockFile,
    path: &std::path::Path,
    written: &[Written<'_>],
) -> Result<Checked, Vec<Refusal>> {
    judge_all(policy, written, |rule, public_key, item| {
        let image = key(item.reference, item.digest);
        let Some(record) = lock.signatures.get(&image) else {
            return Err(format!(
                "{} is not recorded in the lock file as verified by key {} (rule {}); run \
                 without --offline to check its signatures",
                item.digest, public_key.label, rule.images
            ));
        };
        record
            .verify(public_key, item.digest, &item.reference.name())
            .map_err(|mismatch| {
                format!(
                    "the signature record in {} for {image} does not verify with key {}: \
                     {mismatch}; run without --offline to check its signatures",
                    path.display(),
                    public_key.label
                )
            })?;
        Ok(SignatureRecord::new(
            &rule.images,
            public_key,
            record.signed.clone(),
        ))
    })
}

/// The outcome of each digest written, or every refusal: `by_key` judges a digest whose rule
/// asks for a key.
fn judge_all(
    policy: &SignaturePolicy,
    written: &[Written<'_>],
    by_key: impl Fn(&Rule, &PublicKey, &Written<'_>) -> Result<SignatureRecord, String>,
) -> Result<Checked, Vec<Refusal>> {
    let mut checked = Checked::default();
    let mut judged: HashMap<String, Result<(Outcome, Option<SignatureRecord>), String>> =
        HashMap::new();
    let mut refusals = Vec::new();
    for (index, item) in written.iter().enumerate() {
        let key = key(item.reference, item.digest);
        let verdict = judged.entry(key.clone()).or_insert_with(|| {
            let name = item.reference.name();
            match policy.rule_for(&name) {
                None => match policy.default {
                    DefaultAction::Allow => Ok((Outcome::Allowed, None)),
                    DefaultAction::Deny => Err(format!(
                        "no rule of the signature policy matches {name}, and its default is deny"
                    )),
                },
                Some(rule) => match &rule.requirement {
                    Requirement::Skip => Ok((
                        Outcome::Skipped {
                            rule: rule.images.clone(),
                        },
                        None,
                    )),
                    Requirement::Key(public_key) => by_key(rule, public_key, item).map(|record| {
                        let outcome = Outcome::Verified {
                            rule: record.rule.clone(),
                            key: record.key.clone(),
                        };
                        (outcome, Some(record))
                    }),
                },
            }
        });
        match verdict {
            Ok((outcome, record)) => {
                checked.outcomes.insert(key.clone(), outcome.clone());
                if let Some(record) = record {
                    checked.records.insert(key, record.clone());
                }
            }
            Err(message) => refusals.push(Refusal {
                index,
                message: message.clone(),
            }),
        }
    }
    if refusals.is_empty() {
        Ok(checked)
    } else {
        Err(refusals)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::sync::Notify;

    use super::*;
    use crate::adapters::fs::Source;
    use crate::adapters::registry::RegistrySettings;
    use crate::core::image_paths::builtin_image_paths;
    use crate::core::locate::locate_all;
    use crate::core::platform::Platform;
    use crate::core::signature::Signature;
    use crate::ops::Silent;
    use crate::ops::resolve::FoundImage;

    const FAST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SLOW: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const OLD: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    const KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu+ZV+QFxP+AE6F9hgtzOg2U17t3S
KmwFOhW9ogqOvgCj4YqwW8fOSUx9oqxAjMXlkGWY/v5DVTfoi5qfG6U/hw==
-----END PUBLIC KEY-----
";

    /// A registry in memory that holds no signatures and records what it is asked. Tag `fast`
    /// resolves at once; tag `slow` only once some signatures were asked for, so a run that
    /// looks signatures up only after every tag resolved never ends.
    #[derive(Default)]
    struct Registry {
        asked: Mutex<Vec<String>>,
        signatures_asked: Notify,
    }

    impl Registry {
        fn ask(&self, what: &str, reference: &ImageReference, digest: &str) {
            let asked = format!("{what} {}@{digest}", reference.name());
            self.asked.lock().unwrap().push(asked);
        }
    }

    impl DigestSource for Registry {
        async fn digest(
            &self,
            reference: &ImageReference,
            _platform: Option<&Platform>,
        ) -> Result<Digest, RegistryError> {
            let digest = match reference.tag_or_latest() {
                Some("fast") => FAST,
                Some("slow") => {
                    self.signatures_asked.notified().await;
                    SLOW
                }
                _ => OLD,
            };
            Ok(Digest::parse(digest).unwrap())
        }
    }

    impl SignatureSource for Registry {
        async fn classic_signatures(
            &self,
            reference: &ImageReference,
            digest: &str,
        ) -> Result<Vec<Signature>, RegistryError> {
            self.ask("classic", reference, digest);
            self.signatures_asked.notify_one();
            Ok(Vec::new())
        }

        async fn bundle_signatures(
            &self,
            reference: &ImageReference,
            digest: &str,
        ) -> Result<Vec<Signature>, RegistryError> {
            self.ask("bundles", reference, digest);
            Ok(Vec::new())
        }
    }

    fn found(text: &str) -> Found {
        let (located, problems) = locate_all(text, &builtin_image_paths());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(located.len(), 4);
        let images = located
            .into_iter()
            .map(|located| FoundImage {
                source: 0,
                reference: ImageReference::parse(&located.value).unwrap(),
                located,
            })
            .collect();
        Found {
            sources: vec![Source {
                name: "pod.yaml".into(),
                path: None,
                text: text.into(),
            }],
            images,
            unset: 0,
            unpinnable: Vec::new(),
        }
    }

    fn settings() -> ResolveSettings {
        ResolveSettings {
            filenames: Vec::new(),
            recursive: false,
            links: Default::default(),
            rules: Vec::new(),
            digest_only: false,
            platform: None,
            lock: None,
            offline: false,
            registry: RegistrySettings::default(),
            allow_unpinned: Vec::new(),
            docker: None,
        }
    }

    #[tokio::test]
    async fn each_digest_is_looked_up_once_as_it_resolves_while_other_tags_still_resolve() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  \
                    - {name: a, image: r.example/app:fast}\n  \
                    - {name: b, image: r.example/app:slow}\n  \
                    - {name: c, image: r.example/app:fast}\n  \
                    - {name: d, image: \"r.example/app:old@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}\n";
        let policy = SignaturePolicy {
            rules: vec![Rule {
                images: "r.example".into(),
                requirement: Requirement::Key(PublicKey::from_pem(KEY, Some("k.pub")).unwrap()),
            }],
            default: DefaultAction::Deny,
        };
        let (registry, settings) = (Registry::default(), settings());
        let run = resolve_and_check(
            &settings,
            &registry,
            found(text),
            PinnedTags::Leave,
            Some(&policy),
            &Silent,
        );
        let (resolution, checked) = tokio::time::timeout(std::time::Duration::from_secs(10), run)
            .await
            .expect("the lookup of the fast tag's digest lets the slow tag resolve")
            .unwrap();
        assert_eq!(resolution.pinned.len(), 3);
        // Each of the three images pinned refused (no signatures), and the `tag@digest` left
        // as written too: it is passed through as it is, so it is judged as well.
        let refused: Vec<usize> = checked.unwrap_err().iter().map(|r| r.image).collect();
        assert_eq!(refused, [0, 1, 2, 3]);
        let mut asked = registry.asked.into_inner().unwrap();
        asked.sort();
        assert_eq!(
            asked,
            [
                format!("bundles r.example/app@{FAST}"),
                format!("bundles r.example/app@{SLOW}"),
                format!("bundles r.example/app@{OLD}"),
                format!("classic r.example/app@{FAST}"),
                format!("classic r.example/app@{SLOW}"),
                format!("classic r.example/app@{OLD}"),
            ]
        );
    }
}
