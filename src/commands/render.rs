//! What the commands that apply (`apply`, `rollback`) share after the workflow: one line per
//! object as kubectl prints them, or the objects as `-o` asks, the objects that failed, and
//! `--wait`.

use std::io::Write as _;

use serde_json::Value;

use super::reporter::Terminal;
use super::{ExitStatus, print_errors};
use crate::adapters::cluster::Cluster;
use crate::cli::{ApplyOutput, WaitArgs};
use crate::core::manifest::to_yaml;
use crate::core::problem::Problem;
use crate::ops::apply::ApplyReport;
use crate::ops::release::ReleaseObject;
use crate::ops::wait::{rollouts, wait_for_rollouts};

/// With `--wait`, waits for the release's workloads to roll out: exit 1 naming the one that did
/// not.
pub async fn wait_if_asked(
    cluster: &Cluster,
    release: &[ReleaseObject],
    wait: &WaitArgs,
    reporter: &Terminal,
) -> anyhow::Result<ExitStatus> {
    if !wait.wait {
        return Ok(ExitStatus::Success);
    }
    let workloads = rollouts(release);
    match wait_for_rollouts(cluster, &workloads, wait.timeout, reporter).await {
        Ok(()) => Ok(ExitStatus::Success),
        Err(stuck) => {
            print_errors(&[stuck]);
            Ok(ExitStatus::Found)
        }
    }
}

/// The objects that failed or were not sent on stderr, then what was sent on stdout.
pub fn print_report(report: &ApplyReport, output: Option<ApplyOutput>) -> anyhow::Result<()> {
    let mut failed = report.failed.clone();
    if !report.not_sent.is_empty() {
        failed.push(Problem::new(format_args!(
            "not sent, as the cluster could not be reached: {}",
            report.not_sent.join(", ")
        )));
    }
    print_errors(&failed);
    match output {
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
    Ok(())
}

/// The objects as `-o` asks, or one `name describe` line each.
pub fn print_objects(
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
