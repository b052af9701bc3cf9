//! `kubectl immutable diff`: two releases compared object by object and image by image.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::config::Config;
use super::{ExitStatus, Problems};
use crate::adapters::fs::{self, Source};
use crate::adapters::{git, kubeconfig};
use crate::cli::{ColorChoice, DiffArgs, DiffFormat};
use crate::core::diff::{ObjectSet, diff, render_json, render_text};
use crate::core::manifest::{object_key, parse_objects};

pub fn run(args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let config = Config::load(args.config.as_deref())?;
    let mut rules = config.image_paths;
    rules.extend(args.image_paths);
    let namespace = args
        .cluster
        .namespace
        .or_else(|| kubeconfig::context_namespace(args.cluster.context.as_deref()))
        .unwrap_or_else(|| "default".to_string());

    let old = read_side(&args.sides[0], args.recursive, &namespace);
    let new = read_side(&args.sides[1], args.recursive, &namespace);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let problems = [old.err(), new.err()]
                .into_iter()
                .flatten()
                .flatten()
                .collect();
            return Err(Problems(problems).into());
        }
    };

    let report = diff(&old, &new, &rules);
    let text = match args.output {
        DiffFormat::Json => render_json(&report),
        DiffFormat::Text => render_text(&report, use_color(args.color)),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if report.has_differences() {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
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

/// The sources a side names: a path on disk first, else `REV:PATH` from git.
fn side_sources(side: &str, recursive: bool) -> Result<Vec<Source>, Vec<String>> {
    let on_disk = side == "-" || Path::new(side).exists();
    match side.split_once(':') {
        Some((revision, path)) if !on_disk && !revision.is_empty() => {
            git::read_revision(revision, path, recursive).map_err(|error| vec![error.to_string()])
        }
        _ => fs::read_sources(&[side.to_string()], recursive)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect()),
    }
}

/// Every object of a side by identity; every problem in it, each on its own line.
fn read_side(side: &str, recursive: bool, namespace: &str) -> Result<ObjectSet, Vec<String>> {
    let mut objects = ObjectSet::new();
    let mut problems = Vec::new();
    for source in side_sources(side, recursive)? {
        let parsed = match parse_objects(&source.text) {
            Ok(parsed) => parsed,
            Err(error) => {
                problems.push(format!("{}: {error}", source.name));
                continue;
            }
        };
        for object in parsed {
            match object_key(&object, namespace) {
                Ok(key) => {
                    if objects.contains_key(&key) {
                        problems.push(format!("{}: {key} appears twice in {side}", source.name));
                    }
                    objects.insert(key, object);
                }
                Err(reason) => problems.push(format!("{}: {reason}", source.name)),
            }
        }
    }
    if problems.is_empty() {
        Ok(objects)
    } else {
        Err(problems)
    }
}
