//! `kubectl immutable rollback`: a workload back to a revision's template, every image pinned to
//! the digest that revision ran, then applied as `apply` applies.

use serde_json::Value;

use super::ExitStatus;
use super::render::{print_objects, print_report, wait_if_asked};
use super::reporter::Terminal;
use crate::adapters::cluster::Cluster;
use crate::adapters::registry::RegistryClient;
use crate::cli::{DryRun, RollbackArgs};
use crate::ops::apply::{ApplySettings, apply};
use crate::ops::cluster::ApplyOptions;
use crate::ops::rollback::{Plan, RollbackSettings, check_signatures, plan};
use crate::settings::{Config, cluster_settings, registry_settings, signature_policy};

pub async fn run(args: RollbackArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let settings = RollbackSettings {
        workload: args.workload.parse()?,
        to_revision: args.to_revision,
        allow_unpinned: args.allow_unpinned,
    };
    let policy = signature_policy(None, args.signatures.signature_policy.as_deref())?;
    let registry = registry_settings(&Config::load(None)?, args.registry);
    let mut cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let plan = plan(&cluster, &settings).await?;
    if let Some(policy) = &policy {
        let client = RegistryClient::new(registry);
        check_signatures(&plan, policy, &client).await?;
    }
    let Plan {
        object,
        revision,
        left_unpinned,
        ..
    } = plan;
    if args.dry_run == DryRun::Client {
        let objects: Vec<(String, &Value)> = vec![(object.name(), &object.object)];
        print_objects(args.output, &objects, "rolled back (client dry run)")?;
        return Ok(ExitStatus::Success);
    }
    let server_dry_run = args.dry_run == DryRun::Server;
    let apply_settings = ApplySettings {
        options: ApplyOptions {
            manager: args.field_manager,
            // The template is taken over from whoever set it, as `rollout undo` overwrites it.
            force: true,
        },
        server_dry_run,
    };
    let mut release = vec![object];
    let report = apply(&mut cluster, &mut release, &apply_settings).await?;
    print_report(&report, args.output)?;
    if !report.is_complete() {
        return Ok(ExitStatus::Found);
    }
    if server_dry_run {
        return Ok(ExitStatus::Success);
    }
    if !quiet {
        let tags = if left_unpinned.is_empty() {
            String::new()
        } else {
            format!(
                "; left as tags (--allow-unpinned): {}",
                left_unpinned.join(", ")
            )
        };
        eprintln!(
            "{}: revision {revision}'s template, with the digests it ran{tags}",
            release[0].name()
        );
    }
    wait_if_asked(&cluster, &release, &args.wait, &Terminal::new(quiet)).await
}
