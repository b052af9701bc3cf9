//! `kubectl immutable postrender`: Helm's post-renderer. `pin -f -` with a post-renderer's
//! contract: the whole stream on stdin, the pinned stream and nothing else on stdout, errors only
//! on stderr.

use std::io::{IsTerminal, Write};

use super::ExitStatus;
use super::reporter::Terminal;
use crate::adapters::registry::RegistryClient;
use crate::cli::{PostrenderArgs, SourceArgs};
use crate::core::rewrite::write_concatenated;
use crate::ops::pin::{Output, PinOutcome, PinSettings, pin};
use crate::ops::resolve::PinnedTags;
use crate::settings::{resolve_settings, signature_policy};

pub async fn run(args: PostrenderArgs) -> anyhow::Result<ExitStatus> {
    if std::io::stdin().is_terminal() {
        anyhow::bail!(
            "postrender reads the manifests on stdin, as Helm passes them: \
             helm install ... --post-renderer immutable (see --help)"
        );
    }
    let sources = SourceArgs {
        filenames: vec!["-".into()],
        recursive: false,
        follow_links_outside: false,
        image_paths: args.image_paths,
        config: args.config,
    };
    let signatures = signature_policy(
        sources.config.as_deref(),
        args.signatures.signature_policy.as_deref(),
    )?;
    let mut resolve = resolve_settings(sources, args.resolve)?;
    resolve.digest_only = args.digest_only;
    let settings = PinSettings {
        resolve,
        output: Output::Stdout,
        pinned_tags: PinnedTags::Leave,
        signatures,
        report_file: None,
        settings_files: Vec::new(),
    };
    let client = RegistryClient::new(settings.resolve.registry.clone());
    // Quiet: Helm shows a post-renderer's stderr only when it fails, so only errors go there.
    let PinOutcome::Pinned(resolution, _) = pin(&settings, &client, &Terminal::new(true)).await?
    else {
        unreachable!("neither --check nor --verify")
    };
    let mut stdout = std::io::BufWriter::new(super::stdout());
    let sources = resolution.found.sources.len();
    write_concatenated(&mut stdout, (0..sources).map(|i| resolution.pieces(i)))?;
    stdout.flush()?;
    Ok(ExitStatus::Success)
}
