//! `kubectl immutable apply`: pin in memory, check every object with a server-side dry run, and
//! only then apply them all for real.

use serde_json::Value;

use super::ExitStatus;
use super::render::{print_objects, print_report, wait_if_asked};
use super::reporter::Terminal;
use crate::adapters::cluster::Cluster;
use crate::adapters::registry::RegistryClient;
use crate::cli::{ApplyArgs, DryRun};
use crate::ops::apply::{ApplySettings, apply};
use crate::ops::cluster::ApplyOptions;
use crate::ops::pin::commit;
use crate::ops::release::{Pinning, Prepared, prepare};
use crate::settings::{cluster_settings, resolve_settings, settings_files, signature_policy};

pub async fn run(args: ApplyArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let policy = signature_policy(
        args.sources.config.as_deref(),
        args.signatures.signature_policy.as_deref(),
    )?;
    let settings_files = settings_files(
        args.sources.config.as_deref(),
        args.signatures.signature_policy.as_ref(),
    );
    let mut settings = resolve_settings(args.sources, args.resolve)?;
    settings.allow_unpinned = args.allow_unpinned;
    let reporter = Terminal::new(quiet);
    let registry = RegistryClient::new(settings.registry.clone());
    let Prepared {
        objects: mut release,
        lock,
    } = prepare(
        &settings,
        &registry,
        Pinning::Pin,
        policy.as_ref(),
        &settings_files,
        &reporter,
    )
    .await?;

    if args.dry_run == DryRun::Client {
        let objects: Vec<(String, &Value)> =
            release.iter().map(|o| (o.name(), &o.object)).collect();
        print_objects(args.output, &objects, "serverside-applied (client dry run)")?;
        return Ok(ExitStatus::Success);
    }

    let mut cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let server_dry_run = args.dry_run == DryRun::Server;
    let apply_settings = ApplySettings {
        options: ApplyOptions {
            manager: args.field_manager,
            force: args.force_conflicts,
        },
        server_dry_run,
    };
    let report = apply(&mut cluster, &mut release, &apply_settings).await?;

    print_report(&report, args.output)?;
    if !report.is_complete() {
        return Ok(ExitStatus::Found);
    }
    if server_dry_run {
        return Ok(ExitStatus::Success);
    }
    // Written once the release is applied, as `pin` writes it once pinned: a lock file names
    // what the cluster runs.
    commit(lock.into_iter().collect())?;
    wait_if_asked(&cluster, &release, &args.wait, &reporter).await
}
