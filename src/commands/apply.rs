//! `kubectl immutable apply`: pin in memory, check every object with a server-side dry run, and
//! only then apply them all for real.

use std::io::Write as _;

use serde_json::Value;

use super::reporter::Terminal;
use super::{ExitStatus, print_errors};
use crate::adapters::cluster::Cluster;
use crate::adapters::registry::RegistryClient;
use crate::cli::{ApplyArgs, ApplyOutput, DryRun};
use crate::core::manifest::to_yaml;
use crate::core::problem::Problem;
use crate::ops::apply::{ApplySettings, apply};
use crate::ops::cluster::ApplyOptions;
use crate::ops::release::{Pinning, prepare};
use crate::ops::wait::{rollouts, wait_for_rollouts};
use crate::settings::{cluster_settings, resolve_settings};

pub async fn run(args: ApplyArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let mut settings = resolve_settings(args.sources, args.resolve)?;
    settings.allow_unpinned = args.allow_unpinned;
    let reporter = Terminal::new(quiet);
    let registry = RegistryClient::new(settings.registry.clone());
    let mut release = prepare(&settings, &registry, Pinning::Pin, &reporter).await?;

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

    let mut failed = report.failed.clone();
    if !report.not_sent.is_empty() {
        failed.push(Problem::new(format_args!(
            "not sent, as the cluster could not be reached: {}",
            report.not_sent.join(", ")
        )));
    }
    print_errors(&failed);
    match args.output {
        Some(format) => {
            let objects: Vec<(String, &Value)> = report
                .sent
                .iter()
                .map(|sent| (sent.name.clone(), &sent.object))
                .collect();
            print_objects(Some(format), &objects, "")?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            for sent in &report.sent {
                writeln!(stdout, "{} {}", sent.name, sent.outcome.describe())?;
            }
        }
    }
    if !report.is_complete() {
        return Ok(ExitStatus::Found);
    }
    if args.wait && !server_dry_run {
        let workloads = rollouts(&release);
        if let Err(stuck) = wait_for_rollouts(&cluster, &workloads, args.timeout, &reporter).await {
            print_errors(&[stuck]);
            return Ok(ExitStatus::Found);
        }
    }
    Ok(ExitStatus::Success)
}

/// The objects as `-o` asks, or one `name describe` line each.
fn print_objects(
    format: Option<ApplyOutput>,
    objects: &[(String, &Value)],
    describe: &str,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match format {
        None => {
            for (name, _) in objects {
                writeln!(stdout, "{name} {describe}")?;
            }
        }
        Some(ApplyOutput::Name) => {
            for (name, _) in objects {
                writeln!(stdout, "{name}")?;
            }
        }
        Some(ApplyOutput::Json) => {
            let items: Vec<&Value> = objects.iter().map(|(_, object)| *object).collect();
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            writeln!(stdout, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Some(ApplyOutput::Yaml) => {
            for (index, (_, object)) in objects.iter().enumerate() {
                if index > 0 {
                    writeln!(stdout, "---")?;
                }
                stdout.write_all(to_yaml(object).as_bytes())?;
            }
        }
    }
    Ok(())
}
