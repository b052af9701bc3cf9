//! `kubectl immutable drift`: containers whose running digest is not what their template names.

use std::io::Write;

use super::ExitStatus;
use crate::adapters::cluster::Cluster;
use crate::adapters::registry::RegistryClient;
use crate::cli::{DiffFormat, DriftArgs, SourceArgs};
use crate::core::drift::{render_json, render_text};
use crate::ops::drift::{DriftSettings, drift};
use crate::ops::resolve::{LockSource, offline_lock};
use crate::settings::{cluster_settings, resolve_settings};

pub async fn run(args: DriftArgs) -> anyhow::Result<ExitStatus> {
    let workloads = args
        .workloads
        .iter()
        .map(|workload| workload.parse())
        .collect::<Result<Vec<_>, _>>()?;
    // The registry as `pin` reaches it: mirrors, insecure hosts and credentials, config file
    // included.
    let no_sources = SourceArgs {
        filenames: Vec::new(),
        recursive: false,
        follow_links_outside: false,
        image_paths: Vec::new(),
        config: None,
    };
    let resolve = resolve_settings(no_sources, args.resolve)?;
    let settings = DriftSettings {
        workloads,
        all_namespaces: args.all_namespaces,
        platform: resolve.platform.clone(),
        concurrency: resolve.registry.connections_per_host,
    };
    let cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    // `--offline --lock`: where each tag pointed when the lock was written, no registry asked.
    let rows = match offline_lock(&resolve)? {
        Some(lock) => drift(&cluster, &LockSource(&lock), &settings).await?,
        None => drift(&cluster, &RegistryClient::new(resolve.registry), &settings).await?,
    };
    let text = match args.output {
        DiffFormat::Text => render_text(&rows, args.all_namespaces),
        DiffFormat::Json => render_json(&rows),
    };
    super::stdout().write_all(text.as_bytes())?;
    Ok(ExitStatus::found_if(rows.iter().any(|row| row.drift)))
}
