//! `kubectl immutable history`: a workload's rollout revisions and the image digests each ran.

use std::io::Write;

use super::ExitStatus;
use crate::adapters::cluster::Cluster;
use crate::cli::{DiffFormat, HistoryArgs};
use crate::core::image_paths::builtin_image_paths;
use crate::core::rollout::{Workload, render_history_json, render_history_text};
use crate::ops::revisions::history;
use crate::settings::cluster_settings;

pub async fn run(args: HistoryArgs) -> anyhow::Result<ExitStatus> {
    let workload: Workload = args.workload.parse()?;
    let cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let (key, history) = history(&cluster, &workload, &builtin_image_paths()).await?;
    let text = match args.output {
        DiffFormat::Text => render_history_text(&key, &history),
        DiffFormat::Json => render_history_json(&key, &history),
    };
    super::stdout().write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
