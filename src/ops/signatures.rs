//! The signature step: every digest about to be written is checked against the signature
//! policy before anything is written or sent (`pin`, `pin --refresh`, `pin --verify`, `apply`,
//! `rollback`). Each distinct repository and digest is looked up and judged once per run,
//! all at once through the same registry client as the tags were resolved (credentials,
//! mirrors, TLS, retries, and its bound on what each host gets in flight).

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use super::resolve::{FoundImage, PinnedTags, Resolution, ResolveSettings, offline_lock};
use crate::adapters::fs::Source;
use crate::adapters::registry::{RegistryClient, RegistryError};
use crate::core::lock::{LockFile, SignatureRecord, lock_key};
use crate::core::problem::Problems;
use crate::core::reference::ImageReference;
use crate::core::signature::{
    DefaultAction, Outcome, PublicKey, Requirement, Rule, SignaturePolicy, judge,
};

/// A digest about to be written for an image: the image's reference (its name is what the
/// policy matches and the payload must name) and the digest.
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

/// What the policy made of each digest written, by `name@digest`.
#[derive(Debug, Default)]
pub struct Checked(pub HashMap<String, Outcome>);

impl Checked {
    /// The outcome for `digest` of `reference`'s repository, if it was checked.
    pub fn outcome(&self, reference: &ImageReference, digest: &str) -> Option<&Outcome> {
        self.0.get(&key(reference, digest))
    }

    /// Records in `lock` which rule and key verified each digest.
    pub fn record(&self, lock: &mut LockFile) {
        for (key, outcome) in &self.0 {
            if let Outcome::Verified { rule, key: used } = outcome {
                lock.signatures.insert(
                    key.clone(),
                    SignatureRecord {
                        rule: rule.clone(),
                        key: used.clone(),
                    },
                );
            }
        }
    }
}

/// Every image whose digest is about to be written, with that digest: the digests pinned and
/// those `--refresh` moves; under `--verify`, every digest already written too.
fn written(resolution: &Resolution, pinned_tags: PinnedTags) -> Vec<(&FoundImage, &str)> {
    resolution
        .found
        .images
        .iter()
        .filter_map(|image| {
            let resolved = resolution
                .digests
                .get(&lock_key(&image.reference))
                .and_then(|digest| digest.as_ref().ok())
                .map(String::as_str);
            let digest = match (image.reference.digest(), pinned_tags) {
                (None, _) => resolved,
                (Some(written), PinnedTags::Resolve) => Some(written),
                (Some(written), PinnedTags::Refresh) if image.reference.tag().is_some() => {
                    resolved.filter(|digest| *digest != written)
                }
                (Some(_), _) => None,
            };
            Some((image, digest?))
        })
        .collect()
}

/// The policy's judgement of every digest `resolution` is about to write (`pinned_tags` as it
/// was resolved with): from the registries, or with `--offline`, from what the lock file
/// records. Each refusal with the image it is written at.
pub async fn check_resolution<'a>(
    policy: &SignaturePolicy,
    client: &RegistryClient,
    resolution: &'a Resolution,
    pinned_tags: PinnedTags,
    settings: &ResolveSettings,
) -> anyhow::Result<Result<Checked, Vec<(&'a FoundImage, String)>>> {
    let images = written(resolution, pinned_tags);
    let written: Vec<Written> = images
        .iter()
        .map(|(image, digest)| Written {
            reference: &image.reference,
            digest,
        })
        .collect();
    let checked = match offline_lock(settings)? {
        Some(lock) => check_recorded(policy, &lock, &written),
        None => check(policy, client, &written).await,
    };
    Ok(checked.map_err(|refusals| {
        refusals
            .into_iter()
            .map(|refusal| (images[refusal.index].0, refusal.message))
            .collect()
    }))
}

/// Refusals as problems where the images are written: `FILE:LINE:COLUMN: IMAGE: why`.
pub fn refused_problems(sources: &[Source], refused: Vec<(&FoundImage, String)>) -> Problems {
    Problems(
        refused
            .into_iter()
            .map(|(image, message)| {
                image.problem(sources, format_args!("{}: {message}", image.located.value))
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
    client: &RegistryClient,
    written: &[Written<'_>],
) -> Result<Checked, Vec<Refusal>> {
    let mut lookups: BTreeMap<String, (&Rule, &PublicKey, &Written)> = BTreeMap::new();
    for item in written {
        if let Some(rule) = policy.rule_for(&item.reference.name())
            && let Requirement::Key(public_key) = &rule.requirement
        {
            lookups
                .entry(key(item.reference, item.digest))
                .or_insert((rule, public_key, item));
        }
    }
    // All at once: the client bounds what each host gets in flight.
    let verdicts: HashMap<String, Result<Outcome, String>> = lookups
        .into_iter()
        .map(|(key, (rule, public_key, item))| async move {
            (key, look_up(client, rule, public_key, item).await)
        })
        .collect::<FuturesUnordered<_>>()
        .collect()
        .await;
    judge_all(policy, written, |_, _, item| {
        verdicts[&key(item.reference, item.digest)].clone()
    })
}

/// The signatures of `item`'s digest judged by `rule`'s key: cosign's classic `.sig` first, and
/// only where none of those is valid, the Sigstore bundles of the referrers tag too, so a digest
/// signed the classic way costs two requests (its `.sig` manifest, then its payload).
async fn look_up(
    client: &RegistryClient,
    rule: &Rule,
    public_key: &PublicKey,
    item: &Written<'_>,
) -> Result<Outcome, String> {
    let (reference, digest) = (item.reference, item.digest);
    let name = reference.name();
    let cannot =
        |error: RegistryError| format!("cannot look up the signatures of {digest}: {error}");
    let mut signatures = client
        .classic_signatures(reference, digest)
        .await
        .map_err(cannot)?;
    if judge(public_key, &signatures, digest, &name).is_err() {
        signatures.extend(
            client
                .bundle_signatures(reference, digest)
                .await
                .map_err(cannot)?,
        );
    }
    judge(public_key, &signatures, digest, &name)
        .map(|()| verified(rule, public_key))
        .map_err(|unverified| {
            format!(
                "no valid signature for {digest} (rule {}: {unverified})",
                rule.images
            )
        })
}

/// With `--offline`: what the lock file records as verified, by the rule and key the policy
/// names now, stands for the signatures; anything else is refused.
pub fn check_recorded(
    policy: &SignaturePolicy,
    lock: &LockFile,
    written: &[Written<'_>],
) -> Result<Checked, Vec<Refusal>> {
    judge_all(policy, written, |rule, public_key, item| {
        let recorded = lock.signatures.get(&key(item.reference, item.digest));
        match recorded {
            Some(record) if record.rule == rule.images && record.key == public_key.label => {
                Ok(verified(rule, public_key))
            }
            _ => Err(format!(
                "{} is not recorded in the lock file as verified by key {} (rule {}); run \
                 without --offline to check its signatures",
                item.digest, public_key.label, rule.images
            )),
        }
    })
}

fn verified(rule: &Rule, public_key: &PublicKey) -> Outcome {
    Outcome::Verified {
        rule: rule.images.clone(),
        key: public_key.label.clone(),
    }
}

/// The outcome of each digest written, or every refusal: `by_key` judges a digest whose rule
/// asks for a key.
fn judge_all(
    policy: &SignaturePolicy,
    written: &[Written<'_>],
    by_key: impl Fn(&Rule, &PublicKey, &Written<'_>) -> Result<Outcome, String>,
) -> Result<Checked, Vec<Refusal>> {
    let mut checked = Checked::default();
    let mut judged: HashMap<String, Result<Outcome, String>> = HashMap::new();
    let mut refusals = Vec::new();
    for (index, item) in written.iter().enumerate() {
        let key = key(item.reference, item.digest);
        let verdict = judged.entry(key.clone()).or_insert_with(|| {
            let name = item.reference.name();
            match policy.rule_for(&name) {
                None => match policy.default {
                    DefaultAction::Allow => Ok(Outcome::Allowed),
                    DefaultAction::Deny => Err(format!(
                        "no rule of the signature policy matches {name}, and its default is deny"
                    )),
                },
                Some(rule) => match &rule.requirement {
                    Requirement::Skip => Ok(Outcome::Skipped {
                        rule: rule.images.clone(),
                    }),
                    Requirement::Key(public_key) => by_key(rule, public_key, item),
                },
            }
        });
        match verdict {
            Ok(outcome) => {
                checked.0.insert(key, outcome.clone());
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
