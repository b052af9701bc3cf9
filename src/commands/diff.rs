//! `kubectl immutable diff`: two releases, a release and the live cluster, or two rollout
//! revisions of a workload, compared object by object and image by image.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;

use super::ExitStatus;
use super::reporter::Terminal;
use crate::adapters::cluster::Cluster;
use crate::adapters::jq::JqProcess;
use crate::adapters::kubeconfig;
use crate::adapters::registry::RegistryClient;
use crate::cli::{ColorChoice, DiffArgs, DiffOutput, SourceArgs};
use crate::core::diff::{
    COMMENT_LIMIT, DiffReport, ObjectSet, diff, render_json, render_markdown, render_text,
};
use crate::core::ignore::{IgnoreRules, JqDeletions, JqFailure, JqRunner};
use crate::core::image_paths::ImagePath;
use crate::core::manifest::ObjectKey;
use crate::core::problem::{Problem, Problems};
use crate::core::rollout::{PickError, Workload, pick, render_revisions_json, revision_object};
use crate::ops::cluster::ApplyOptions;
use crate::ops::live::{check_identities, live_sides};
use crate::ops::release::{Pinning, prepare};
use crate::ops::revisions::{Loaded, load};
use crate::ops::sides::read_sides;
use crate::settings::{
    Config, cluster_settings, ignore_rules, links, resolve_settings, signature_policy,
};

/// Which rollout revisions of which workload a report compares.
struct Revisions {
    key: ObjectKey,
    old: u64,
    new: u64,
}

pub async fn run(args: DiffArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let config = Config::load(args.config.as_deref())?;
    let mut rules = config.image_paths;
    rules.extend(args.image_paths.iter().cloned());
    let compare = Comparison {
        rules,
        ignore: ignore_rules(args.ignore.as_deref())?,
        ignore_file: args.ignore.clone(),
        ignore_timeout: args.ignore_timeout,
    };

    let (report, revisions) = match (args.old.as_deref(), args.new.as_deref()) {
        (Some(old), Some(new)) => (two_sides(old, new, &args, &compare)?, None),
        (Some(workload), None) => {
            let (report, revisions) = rollout(workload, &args, &compare).await?;
            (report, Some(revisions))
        }
        (None, _) => (live(&args, &compare, quiet).await?, None),
    };
    let text = match (args.output, &revisions) {
        (DiffOutput::Json, None) => render_json(&report),
        (DiffOutput::Json, Some(r)) => render_revisions_json(&r.key, r.old, r.new, &report),
        (DiffOutput::Markdown, None) => render_markdown(&report, COMMENT_LIMIT),
        (DiffOutput::Markdown, Some(r)) => format!(
            "`{}`: revision {} against revision {}\n\n{}",
            r.key,
            r.old,
            r.new,
            render_markdown(&report, COMMENT_LIMIT - 200)
        ),
        (DiffOutput::Text, None) => render_text(&report, use_color(args.color)),
        (DiffOutput::Text, Some(r)) => format!(
            "{}: revision {} against revision {}\n{}",
            r.key,
            r.old,
            r.new,
            render_text(&report, use_color(args.color))
        ),
    };
    super::stdout().write_all(text.as_bytes())?;
    Ok(ExitStatus::found_if(report.has_differences()))
}

/// How the two sides are compared: where images are, and which fields not to compare.
struct Comparison {
    rules: Vec<ImagePath>,
    ignore: IgnoreRules,
    ignore_file: Option<PathBuf>,
    /// How long one jq expression may run on one object.
    ignore_timeout: Duration,
}

impl Comparison {
    /// The ignored fields removed from both sides (jq expressions in the bounded jq process),
    /// then the comparison.
    fn diff(&self, mut old: ObjectSet, mut new: ObjectSet) -> Result<DiffReport, Problems> {
        let expressions = self.ignore.expressions();
        if expressions.is_empty() {
            let mut none = JqDeletions::compile(&[]).expect("nothing to compile");
            self.ignore_on(&mut old, &mut new, &mut none)
                .unwrap_or_else(|never| match never.source {});
        } else {
            let name = self
                .ignore_file
                .as_deref()
                .map_or_else(String::new, |path| path.display().to_string());
            let problem = |error: &dyn std::fmt::Display| Problem::at(&name, None, error);
            let mut jq = JqProcess::start(expressions, self.ignore_timeout)
                .map_err(|error| problem(&error))?;
            self.ignore_on(&mut old, &mut new, &mut jq)
                .map_err(|failure| problem(&failure))?;
        }
        Ok(diff(&old, &new, &self.rules))
    }

    fn ignore_on<R: JqRunner>(
        &self,
        old: &mut ObjectSet,
        new: &mut ObjectSet,
        jq: &mut R,
    ) -> Result<(), JqFailure<R::Error>> {
        self.ignore.apply(old, jq)?;
        self.ignore.apply(new, jq)
    }
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
    compare: &Comparison,
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
    let sides = read_sides(
        old,
        new,
        args.recursive,
        links(args.follow_links_outside),
        &namespace,
    )?;
    let mut report = compare.diff(sides.old, sides.new)?;
    // Objects written byte for byte the same on both sides were identified, not compared: the
    // same after any field is ignored too.
    report.summary.unchanged += sides.same;
    Ok(report)
}

/// The manifests of `-f`, prepared exactly as `apply` prepares them (pinned in memory, the
/// original-images annotation), against the live cluster: each object as stored against what a
/// server-side apply would store, both normalised.
async fn live(args: &DiffArgs, compare: &Comparison, quiet: bool) -> anyhow::Result<DiffReport> {
    let sources = SourceArgs {
        filenames: args.filenames.clone(),
        recursive: args.recursive,
        follow_links_outside: args.follow_links_outside,
        image_paths: args.image_paths.clone(),
        config: args.config.clone(),
    };
    let mut settings = resolve_settings(sources, args.resolve.clone())?;
    settings.allow_unpinned = args.allow_unpinned.clone();
    let pinning = if args.no_pin {
        Pinning::AsWritten
    } else {
        Pinning::Pin
    };
    // What apply would refuse to send is refused here too, before anything is compared; as
    // written (--no-pin), nothing is pinned, so nothing is judged.
    let policy = match pinning {
        Pinning::Pin => signature_policy(
            args.config.as_deref(),
            args.signatures.signature_policy.as_deref(),
        )?,
        Pinning::AsWritten => None,
    };
    let registry = RegistryClient::new(settings.registry.clone());
    let reporter = Terminal::new(quiet);
    let release = prepare(&settings, &registry, pinning, policy.as_ref(), &reporter).await?;
    check_identities(&release)?;
    let cluster = Cluster::connect(&cluster_settings(&args.cluster))
        .await
        .map_err(|error| Problems::from(Problem::new(error)))?;
    let options = ApplyOptions {
        manager: args.field_manager.clone(),
        force: true,
    };
    let (old, new) = live_sides(&cluster, release, &options).await?;
    Ok(compare.diff(old, new)?)
}

/// Two rollout revisions of a Deployment, StatefulSet or DaemonSet: their pod templates.
async fn rollout(
    workload: &str,
    args: &DiffArgs,
    compare: &Comparison,
) -> anyhow::Result<(DiffReport, Revisions)> {
    let workload: Workload = workload
        .parse()
        .map_err(|error| anyhow!("{error}; diff takes OLD NEW, TYPE/NAME, or -f PATH"))?;
    let cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let Loaded { key, revisions, .. } = load(&cluster, &workload).await?;
    let (old, new) = pick(&revisions, &args.revisions).map_err(|error| match error {
        PickError::TooMany => anyhow!("{error}"),
        _ => anyhow!("{key} {error}"),
    })?;
    let side =
        |revision| ObjectSet::from([(key.clone(), revision_object(workload.kind, &key, revision))]);
    let report = compare.diff(side(old), side(new))?;
    let compared = Revisions {
        old: old.number,
        new: new.number,
        key,
    };
    Ok((report, compared))
}
