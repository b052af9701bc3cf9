//! The global ARGs of a Dockerfile (those before the first `FROM`), as BuildKit reads them to
//! expand a `FROM`: each default expanded with the ARGs before it, a later `ARG NAME` without a
//! default keeping an earlier one, and only `$NAME` and `${NAME}` expanded here; anything else
//! is not known, and says why.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::core::manifest::SCALAR_TEXT_LIMIT;

/// The arguments BuildKit sets for every build, declared or not (`FROM --platform=$BUILDPLATFORM`).
const PLATFORM_ARGS: [&str; 8] = [
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// A global ARG: its value with the defaults in place, and where its default is written when
/// that is a literal in one piece (`ARG BASE=debian:12`).
#[derive(Debug, Clone)]
struct Arg {
    /// Its value, or why it cannot be known (no default, an unknown variable in it).
    value: Result<String, String>,
    literal: Option<Range<usize>>,
}

#[derive(Debug, Default)]
pub(super) struct GlobalArgs {
    args: HashMap<String, Arg>,
    /// ARGs read by other ARGs' defaults or by an image composed of more than them.
    composed: HashSet<String>,
    /// Bytes written by expansions so far: defaults that read others twice double at each
    /// step, so a kilobyte of ARGs would expand to gigabytes; the text is bounded as a
    /// manifest's values are ([`SCALAR_TEXT_LIMIT`]).
    expanded: usize,
    /// Whether an expansion went over that bound; none is done after it.
    over_limit: bool,
}

/// Why an expansion stopped when it goes over [`SCALAR_TEXT_LIMIT`].
pub(super) fn over_limit_message() -> String {
    format!(
        "more than {} MiB of text once its ARG defaults are expanded",
        SCALAR_TEXT_LIMIT >> 20
    )
}

impl GlobalArgs {
    /// `ARG name[=default]`, the default without its quotes and where it is written.
    pub(super) fn declare(&mut self, name: &str, default: Option<(String, Option<Range<usize>>)>) {
        let Some((value, span)) = default else {
            self.args.entry(name.to_string()).or_insert(Arg {
                value: Err(format!("ARG {name} has no default")),
                literal: None,
            });
            return;
        };
        let arg = if value.contains('$') {
            self.compose(&value);
            Arg {
                value: self.expand(&value),
                literal: None,
            }
        } else {
            Arg {
                value: Ok(value),
                literal: span,
            }
        };
        self.args.insert(name.to_string(), arg);
    }

    /// `ARG name=…` whose default is not read here, for `why`.
    pub(super) fn declare_unknown(&mut self, name: &str, why: &str) {
        let arg = Arg {
            value: Err(format!("the default of ARG {name} is {why}")),
            literal: None,
        };
        self.args.insert(name.to_string(), arg);
    }

    /// The ARGs `text` reads go into an image or default made of more than them.
    pub(super) fn compose(&mut self, text: &str) {
        self.composed.extend(variables(text));
    }

    /// Where ARG `name`'s literal default is written, if nothing composes it into more.
    pub(super) fn literal_default(&self, name: &str) -> Option<Range<usize>> {
        if self.composed.contains(name) {
            return None;
        }
        self.args.get(name)?.literal.clone()
    }

    /// Whether an expansion went over [`SCALAR_TEXT_LIMIT`] (an error in the file, where it
    /// happened first).
    pub(super) fn over_limit(&self) -> bool {
        self.over_limit
    }

    /// `text` with each `$NAME` and `${NAME}` replaced by its global ARG's value, as BuildKit
    /// expands a FROM or a global ARG; any other form (`${NAME:-word}`) is not expanded here.
    /// All expansions together write at most [`SCALAR_TEXT_LIMIT`] bytes.
    pub(super) fn expand(&mut self, text: &str) -> Result<String, String> {
        let room = SCALAR_TEXT_LIMIT.saturating_sub(self.expanded);
        match self.expand_within(text, room) {
            Ok(out) => {
                self.expanded += out.len();
                Ok(out)
            }
            Err(why) => {
                self.over_limit |= why.is_none();
                Err(why.unwrap_or_else(over_limit_message))
            }
        }
    }

    /// [`GlobalArgs::expand`] within `room` bytes: `Err(None)` where it needs more.
    fn expand_within(&self, text: &str, room: usize) -> Result<String, Option<String>> {
        if self.over_limit {
            return Err(None);
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let (name, next) = variable(&rest[at + 1..]);
            let Some(name) = name.filter(|n| is_name(n)) else {
                return Err(Some(format!(
                    "{} is not a plain $NAME or ${{NAME}}",
                    &rest[at..rest.len() - next.len()]
                )));
            };
            let value = match self.args.get(name) {
                Some(arg) => arg.value.as_ref().map_err(|why| Some(why.clone()))?,
                None if PLATFORM_ARGS.contains(&name) => {
                    return Err(Some(format!(
                        "{name} is set by the builder for each platform"
                    )));
                }
                None => return Err(Some(format!("no global ARG {name} before the first FROM"))),
            };
            if out.len() + value.len() > room {
                return Err(None);
            }
            out.push_str(value);
            rest = next;
        }
        if out.len() + rest.len() > room {
            return Err(None);
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The one variable `text` is (`${BASE}` or `$BASE`), if it is that alone.
pub(super) fn sole_variable(text: &str) -> Option<&str> {
    text.strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| text.strip_prefix('$'))
        .filter(|name| is_name(name))
}

/// Whether `name` is a variable name BuildKit expands: a letter or `_`, then letters, digits, `_`.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variable after a `$`: its name (`NAME` of `NAME…` or `{NAME}`, the whole `{…}` when
/// braced, or none when the braces are not closed), and the text after it.
fn variable(after: &str) -> (Option<&str>, &str) {
    match after.strip_prefix('{') {
        Some(braced) => match braced.find('}') {
            Some(end) => (Some(&braced[..end]), &braced[end + 1..]),
            None => (None, ""),
        },
        None => {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        }
    }
}

/// The names of the variables `text` reads.
fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let (name, next) = variable(&rest[at + 1..]);
        names.extend(name.map(str::to_string));
        rest = next;
    }
    names
}
