//! `kubectl immutable diff`: two releases, a release and the live cluster, or two rollout
//! revisions of a workload, compared object by object and image by image.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::anyhow;
use futures::{StreamExt as _, stream};
use serde_json::Value;

use super::config::Config;
use super::history::{cluster_settings, load};
use super::{ExitStatus, Problems, runtime};
use crate::adapters::cluster::{Cluster, ClusterError, ClusterSettings, Resource};
use crate::adapters::fs::{self, Source};
use crate::adapters::{git, kubeconfig};
use crate::cli::{ColorChoice, DiffArgs, DiffFormat};
use crate::core::diff::{DiffReport, ObjectSet, diff, normalize_live, render_json, render_text};
use crate::core::image_paths::ImagePath;
use crate::core::manifest::{self, ObjectKey, ParsedObject, object_key, parse_documents};
use crate::core::rollout::{PickError, Workload, pick, render_revisions_json, revision_object};

/// The field manager of the server-side dry runs, as `apply` writes with.
const FIELD_MANAGER: &str = "kubectl-immutable";
/// How many objects are fetched and dry-run at once.
const CONCURRENCY: usize = 16;

/// Which rollout revisions of which workload a report compares.
struct Revisions {
    key: ObjectKey,
    old: u64,
    new: u64,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let config = Config::load(args.config.as_deref())?;
    let mut rules = config.image_paths;
    rules.extend(args.image_paths.iter().cloned());

    let (report, revisions) = match (args.old.as_deref(), args.new.as_deref()) {
        (Some(old), Some(new)) => (two_sides(old, new, &args, &rules)?, None),
        (Some(workload), None) => {
            let (report, revisions) = rollout(workload, &args, &rules)?;
            (report, Some(revisions))
        }
        (None, _) => (live(&args, &rules)?, None),
    };
    let text = match (args.output, &revisions) {
        (DiffFormat::Json, None) => render_json(&report),
        (DiffFormat::Json, Some(r)) => render_revisions_json(&r.key, r.old, r.new, &report),
        (DiffFormat::Text, None) => render_text(&report, use_color(args.color)),
        (DiffFormat::Text, Some(r)) => format!(
            "{}: revision {} against revision {}\n{}",
            r.key,
            r.old,
            r.new,
            render_text(&report, use_color(args.color))
        ),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if report.has_differences() {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// Two manifest sets, each a file, a directory, `-` or `REV:PATH`.
fn two_sides(
    old: &str,
    new: &str,
    args: &DiffArgs,
    rules: &[ImagePath],
) -> anyhow::Result<DiffReport> {
    let namespace = args
        .cluster
        .namespace
        .clone()
        .or(kubeconfig::context_namespace(
            args.cluster.kubeconfig.as_deref(),
            args.cluster.context.as_deref(),
        )?)
        .unwrap_or_else(|| "default".to_string());
    // The two sides are read on two cores: parsing is most of a large diff's time.
    let sides = std::thread::scope(|scope| {
        let old = scope.spawn(|| read_side(old, args.recursive, &namespace));
        let new = read_side(new, args.recursive, &namespace);
        (old.join().expect("reading a side does not panic"), new)
    });
    match sides {
        (Ok(old), Ok(new)) => Ok(diff(&old, &new, rules)),
        (old, new) => {
            let problems = [old.err(), new.err()]
                .into_iter()
                .flatten()
                .flatten()
                .collect();
            Err(Problems(problems).into())
        }
    }
}

/// The manifests of `-f` against the live cluster: each object as it is stored against what a
/// server-side apply of the manifest would store (a dry run), both normalised.
fn live(args: &DiffArgs, rules: &[ImagePath]) -> anyhow::Result<DiffReport> {
    let sources = fs::read_sources(&args.filenames, args.recursive)
        .map_err(|errors| Problems(errors.iter().map(ToString::to_string).collect()))?;
    let mut objects = Vec::new();
    let mut problems = Vec::new();
    for source in sources {
        let Some(parsed) = documents(&source, &mut problems) else {
            continue;
        };
        // What the cluster need not be asked about: a kind and a name to apply under.
        for ParsedObject { line, object } in parsed {
            let text = |pointer| object.pointer(pointer).and_then(Value::as_str);
            match (text("/kind"), text("/metadata/name")) {
                (None | Some(""), _) => {
                    problems.push(format!("{}:{line}: {}", source.name, manifest::NO_KIND));
                }
                (Some(kind), None | Some("")) => {
                    problems.push(format!(
                        "{}:{line}: {kind} without metadata.name",
                        source.name
                    ));
                }
                _ => objects.push((source.name.clone(), line, object)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }
    let settings = cluster_settings(&args.cluster);
    let (old, new) = runtime()?.block_on(live_sides(&settings, objects))?;
    Ok(diff(&old, &new, rules))
}

/// The live objects and their dry-run results, by identity on the cluster; every problem on a
/// line of its own. Each object comes with the file and line it is written at, and has a kind
/// and a name.
async fn live_sides(
    settings: &ClusterSettings,
    objects: Vec<(String, usize, Value)>,
) -> Result<(ObjectSet, ObjectSet), Problems> {
    let cluster = Cluster::connect(settings)
        .await
        .map_err(|error| Problems(vec![error.to_string()]))?;
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (file, line, object) in objects {
        let at = format!("{file}:{line}");
        let resource = match cluster.resource(&object) {
            Ok(resource) => resource,
            Err(error) => {
                problems.push(format!("{at}: {error}"));
                continue;
            }
        };
        let key = cluster.key(&object, &resource);
        if let Some(first) = seen.insert(key.clone(), at.clone()) {
            problems.push(format!("{at}: {key} appears twice (first at {first})"));
        }
        targets.push((resource, key, object));
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }

    let cluster = &cluster;
    let compared: Vec<_> = stream::iter(&targets)
        .map(|(resource, key, object)| async move {
            compare(cluster, resource, key, object)
                .await
                .map_err(|error| format!("{key}: {error}"))
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let (mut old, mut new) = (ObjectSet::new(), ObjectSet::new());
    for ((_, key, _), result) in targets.into_iter().zip(compared) {
        match result {
            Ok((live, applied)) => {
                if let Some(live) = live {
                    old.insert(key.clone(), live);
                }
                new.insert(key, applied);
            }
            Err(line) => problems.push(line),
        }
    }
    if problems.is_empty() {
        Ok((old, new))
    } else {
        Err(Problems(problems))
    }
}

/// The object as stored (`None` where there is none yet) and as a forced server-side apply of
/// `object` would store it, both normalised.
async fn compare(
    cluster: &Cluster,
    resource: &Resource,
    key: &ObjectKey,
    object: &Value,
) -> Result<(Option<Value>, Value), ClusterError> {
    let live = cluster.get(resource, key).await?;
    let applied = match cluster
        .apply(resource, key, object, FIELD_MANAGER, true, true)
        .await
    {
        Ok(applied) => applied,
        // A new object in a Namespace that the release itself creates cannot be dry-run yet;
        // the manifest is what it adds.
        Err(ClusterError::Refused { code: 404, .. }) if live.is_none() => object.clone(),
        Err(error) => return Err(error),
    };
    Ok((live.map(normalize_live), normalize_live(applied)))
}

/// Two rollout revisions of a Deployment, StatefulSet or DaemonSet: their pod templates.
fn rollout(
    workload: &str,
    args: &DiffArgs,
    rules: &[ImagePath],
) -> anyhow::Result<(DiffReport, Revisions)> {
    let workload: Workload = workload
        .parse()
        .map_err(|error| anyhow!("{error}; diff takes OLD NEW, TYPE/NAME, or -f PATH"))?;
    let settings = cluster_settings(&args.cluster);
    runtime()?.block_on(async {
        let cluster = Cluster::connect(&settings).await?;
        let (key, revisions) = load(&cluster, &workload).await?;
        let (old, new) = pick(&revisions, &args.revisions).map_err(|error| match error {
            PickError::TooMany => anyhow!("{error}"),
            _ => anyhow!("{key} {error}"),
        })?;
        let side = |revision| {
            ObjectSet::from([(key.clone(), revision_object(workload.kind, &key, revision))])
        };
        let report = diff(&side(old), &side(new), rules);
        let compared = Revisions {
            old: old.number,
            new: new.number,
            key,
        };
        Ok((report, compared))
    })
}

/// The sources a side names: a path on disk first, else `REV:PATH` from git.
fn side_sources(side: &str, recursive: bool) -> Result<Vec<Source>, Vec<String>> {
    let on_disk = side == "-" || Path::new(side).exists();
    match side.split_once(':') {
        Some((revision, path)) if !on_disk && !revision.is_empty() => {
            git::read_revision(revision, path, recursive).map_err(|error| vec![error.to_string()])
        }
        _ => fs::read_sources(&[side.to_string()], recursive)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect()),
    }
}

/// The documents of `source`, or `None` with why not noted in `problems`.
fn documents(source: &Source, problems: &mut Vec<String>) -> Option<Vec<ParsedObject>> {
    parse_documents(&source.text)
        .map_err(|error| problems.push(format!("{}:{error}", source.name)))
        .ok()
}

/// Every object of a side by identity; every problem in it, each on its own line.
fn read_side(side: &str, recursive: bool, namespace: &str) -> Result<ObjectSet, Vec<String>> {
    let mut objects = ObjectSet::new();
    let mut places = BTreeMap::new();
    let mut problems = Vec::new();
    for source in side_sources(side, recursive)? {
        let Some(parsed) = documents(&source, &mut problems) else {
            continue;
        };
        for ParsedObject { line, object } in parsed {
            let at = format!("{}:{line}", source.name);
            match object_key(&object, namespace) {
                Ok(key) => {
                    if let Some(first) = places.insert(key.clone(), at.clone()) {
                        problems.push(format!("{at}: {key} appears twice (first at {first})"));
                    }
                    objects.insert(key, object);
                }
                Err(reason) => problems.push(format!("{at}: {reason}")),
            }
        }
    }
    if problems.is_empty() {
        Ok(objects)
    } else {
        Err(problems)
    }
}
