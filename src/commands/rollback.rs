//! `kubectl immutable rollback`: a workload back to a revision's template, every image pinned to
//! the digest that revision ran, stored as `kubectl rollout undo` stores it: the template
//! replaced whole, only if the workload did not change since it was read.

use serde_json::Value;

use super::ExitStatus;
use super::render::{print_objects, wait_if_asked};
use super::reporter::Terminal;
use crate::adapters::cluster::Cluster;
use crate::adapters::registry::RegistryClient;
use crate::cli::{DryRun, RollbackArgs};
use crate::ops::release::kubectl_name;
use crate::ops::rollback::{Plan, RollbackSettings, check_signatures, plan, roll_back};
use crate::settings::{Config, cluster_settings, registry_settings, signature_policy};

pub async fn run(args: RollbackArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let settings = RollbackSettings {
        workload: args.workload.parse()?,
        to_revision: args.to_revision,
        allow_unpinned: args.allow_unpinned,
    };
    let policy = signature_policy(None, args.signatures.signature_policy.as_deref())?;
    let registry = registry_settings(&Config::load(None)?, args.registry);
    let cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let plan = plan(&cluster, &settings).await?;
    if let Some(policy) = &policy {
        let client = RegistryClient::new(registry);
        check_signatures(&plan, policy, &client).await?;
    }
    let name = kubectl_name(&plan.key);
    if args.dry_run == DryRun::Client {
        let objects: Vec<(String, &Value)> = vec![(name, &plan.object.object)];
        print_objects(args.output, &objects, "rolled back (client dry run)")?;
        return Ok(ExitStatus::Success);
    }
    let server_dry_run = args.dry_run == DryRun::Server;
    let stored = roll_back(&cluster, &plan, &args.field_manager, server_dry_run).await?;
    let describe = if server_dry_run {
        "rolled back (server dry run)"
    } else {
        "rolled back"
    };
    print_objects(args.output, &[(name.clone(), &stored)], describe)?;
    if server_dry_run {
        return Ok(ExitStatus::Success);
    }
    let Plan {
        object,
        revision,
        left_unpinned,
        ..
    } = plan;
    if !quiet {
        let tags = if left_unpinned.is_empty() {
            String::new()
        } else {
            format!(
                "; left as tags (--allow-unpinned): {}",
                left_unpinned.join(", ")
            )
        };
        eprintln!("{name}: revision {revision}'s template, with the digests it ran{tags}");
    }
    wait_if_asked(&cluster, &[object], &args.wait, &Terminal::new(quiet)).await
}
