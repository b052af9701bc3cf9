//! Resolves one image reference to its registry digest with the library, the way `pin` does
//! for every image it finds:
//!
//! ```text
//! cargo run --example resolve -- nginx:1.27
//! cargo run --example resolve -- 127.0.0.1:5000/library/nginx:1.27 --insecure-registry 127.0.0.1:5000
//! ```

use std::process::ExitCode;

use anyhow::{Context, bail};
use kubectl_immutable::adapters::registry::{DigestSource, RegistryClient, RegistrySettings};
use kubectl_immutable::core::reference::ImageReference;

const USAGE: &str = "usage: resolve <image-ref> [--insecure-registry HOST[:PORT]]...";

#[tokio::main]
async fn main() -> ExitCode {
    match resolve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("resolve: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn resolve() -> anyhow::Result<()> {
    let mut image = None;
    let mut insecure_hosts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--insecure-registry" => insecure_hosts.push(args.next().context(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if image.is_none() && !arg.starts_with('-') => image = Some(arg),
            _ => bail!("unexpected argument `{arg}`\n{USAGE}"),
        }
    }
    let image = image.context(USAGE)?;

    // Normalised as Docker does: `nginx:1.27` is docker.io/library/nginx:1.27.
    let reference = ImageReference::parse(&image)
        .with_context(|| format!("invalid image reference `{image}`"))?;
    let client = RegistryClient::new(RegistrySettings {
        insecure_hosts,
        ..Default::default()
    });
    // `None`: the digest the tag points at (a multi-platform index stays an index).
    let digest = DigestSource::digest(&client, &reference, None)
        .await
        .with_context(|| format!("cannot resolve {}", reference.canonical()))?;
    println!("{} -> {digest}", reference.canonical());
    Ok(())
}
