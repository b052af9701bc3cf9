//! Finds every image value in a YAML or JSON stream, with its exact byte span.
//!
//! One pass over the parser's events, no document tree: the locator follows the key path of each
//! node and keeps only the image-path rules still alive at that depth, so the large subtrees that
//! cannot hold an image (CRD schemas, ConfigMap data) cost one event each. Aliases are never
//! expanded, so an alias bomb costs nothing. Kinds are only known once the document is read (the
//! `kind` key may come last), so candidates are filtered by kind when their object ends.

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::image_paths::{Condition, ImagePath, Segment};
use super::problem::{Located, Position};
use super::reference::ImageReference;
use super::skim;

/// How a scalar is written in the source; decides how its replacement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    /// A literal (`|`) or folded (`>`) block scalar; the span covers the value text only.
    Block,
}

/// An image value found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedImage {
    /// Bytes to replace: the scalar token with its quotes, without anchor or tag.
    pub span: Range<usize>,
    /// 1-based line and column of the value.
    pub line: usize,
    pub column: usize,
    pub value: String,
    pub style: ValueStyle,
    /// The object holding it.
    pub object: ObjectIdentity,
    /// The `name` of the container holding it, where there is one.
    pub container: Option<String>,
    /// Found by a rule naming one field, not each item of a list (a container's image): an
    /// operator reads an empty value there as "not set" and uses its default
    /// (prometheus-operator's `spec.image`).
    pub single_field: bool,
    /// The text as written where `value` is composed from it: a Dockerfile's
    /// `golang:${GO_VERSION}`, read with its global ARG defaults. The digest is written after
    /// it, so the line still reads the ARG.
    pub written: Option<String>,
}

impl LocatedImage {
    /// The new text of this value pinned to `digest` (`reference` is `value` parsed). A
    /// composed value keeps its text as written and gains `@digest`; under `digest_only` it
    /// loses its tag only where the tag is written literally (`${IMAGE}:1.0`), since a tag
    /// written as an ARG (`golang:${GO_VERSION}`) is how the line reads the ARG.
    pub fn pinned(&self, reference: &ImageReference, digest: &str, digest_only: bool) -> String {
        let Some(written) = &self.written else {
            return reference.pinned(digest, digest_only);
        };
        let literal_tag = reference
            .tag()
            .filter(|_| digest_only)
            .and_then(|tag| written.strip_suffix(tag)?.strip_suffix(':'));
        format!("{}@{digest}", literal_tag.unwrap_or(written))
    }

    /// The text with `digest` in place of `old`, where `old` is written in this value's own
    /// text (not in an ARG default it reads).
    pub fn refreshed(&self, old: &str, digest: &str) -> Option<String> {
        let text = self.written.as_deref().unwrap_or(&self.value);
        let kept = text.strip_suffix(old)?;
        Some(format!("{kept}{digest}"))
    }
}

/// What identifies the Kubernetes object an image belongs to, as far as the source says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectIdentity {
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    #[error("invalid YAML: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the image of {kind} is {found}, not a string")]
    NotAString {
        line: usize,
        column: usize,
        kind: String,
        found: &'static str,
    },
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        line: usize,
        column: usize,
        key: String,
    },
    #[error(
        "image fields of {kind} are reached through the alias `{alias}`, whose anchor is not at an image path; write them out"
    )]
    AliasedCollection {
        line: usize,
        column: usize,
        kind: String,
        /// As written: `*name`.
        alias: String,
    },
    /// Something the file refers to that is not read (a Compose file's `extends` of a FIFO).
    #[error("{message}")]
    Refused {
        line: usize,
        column: usize,
        message: String,
    },
}

impl Located for LocateError {
    fn position(&self) -> Option<Position> {
        match self {
            LocateError::Syntax { line, column, .. }
            | LocateError::NotAString { line, column, .. }
            | LocateError::DuplicateKey { line, column, .. }
            | LocateError::AliasedCollection { line, column, .. }
            | LocateError::Refused { line, column, .. } => Some(Position::at(*line, *column)),
        }
    }
}

/// Sources larger than this are split at document boundaries and located on every core.
const PARALLEL_THRESHOLD: usize = 4 << 20;

/// Pieces per core: the cores take pieces in turn, so a core slowed by other processes on the
/// machine holds up the end by one small piece, not by half the stream.
const PIECES_PER_THREAD: usize = 4;

/// [`locate_all`], skipping the documents [`skim`] proves hold no image, and over a large
/// stream on every core: YAML forbids a `---` line inside any scalar, so each piece between such
/// lines is a stream of whole documents; spans and lines are shifted back into the whole. On a
/// problem the whole stream is located again, so the messages are exactly the ones a single
/// pass gives.
pub fn locate_in_parallel(
    text: &str,
    rules: &[ImagePath],
) -> (Vec<LocatedImage>, Vec<LocateError>) {
    if let Some(refused) = control_character(text) {
        return (Vec::new(), vec![refused]);
    }
    let skimmed_or_all = || match locate_skimming(text, rules) {
        Ok(images) => (images, Vec::new()),
        Err(_) => locate_all(text, rules),
    };
    if text.len() < PARALLEL_THRESHOLD {
        return skimmed_or_all();
    }
    // Asked only here: the answer costs a few files read from /proc and /sys each time.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 {
        return skimmed_or_all();
    }
    let count = threads * PIECES_PER_THREAD;
    let mut starts = vec![0];
    for piece in 1..count {
        let wanted = text.len() * piece / count;
        if let Some(offset) = text[wanted..].find("\n---") {
            let start = wanted + offset + 1;
            if starts_document(text, start) && start > *starts.last().expect("starts with 0") {
                starts.push(start);
            }
        }
    }
    starts.push(text.len());
    let pieces: Vec<(usize, &str)> = starts
        .windows(2)
        .map(|bounds| (bounds[0], &text[bounds[0]..bounds[1]]))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut located: Vec<(usize, Result<Vec<LocatedImage>, LocateError>, usize)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.min(pieces.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&(_, piece)) = pieces.get(index) else {
                                return done;
                            };
                            done.push((index, locate_skimming(piece, rules), newlines(piece)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("the locator does not panic"))
                .collect()
        });
    located.sort_by_key(|(index, ..)| *index);
    let mut images = Vec::new();
    let mut lines_before = 0;
    for ((start, _), (_, result, lines)) in pieces.iter().zip(located) {
        let Ok(found) = result else {
            return locate_all(text, rules);
        };
        images.extend(found.into_iter().map(|mut image| {
            image.span = image.span.start + start..image.span.end + start;
            image.line += lines_before;
            image
        }));
        lines_before += lines;
    }
    (images, Vec::new())
}

/// [`locate_images`] over a stream or a piece of one, without parsing the documents
/// [`skim::holds_no_image`] proves hold no image: each run of the others is located on its own
/// (a document starts at a `---` line, between documents, as for the pieces above), and its
/// spans and lines shifted back.
fn locate_skimming(text: &str, rules: &[ImagePath]) -> Result<Vec<LocatedImage>, LocateError> {
    let starts = document_bounds(text);
    let mut images = Vec::new();
    let (mut counted_to, mut lines_before) = (0, 0);
    let mut locate_run = |run: std::ops::Range<usize>| {
        lines_before += newlines(&text[counted_to..run.start]);
        counted_to = run.start;
        let found = locate_images(&text[run.clone()], rules)?;
        images.extend(found.into_iter().map(|mut image| {
            image.span = image.span.start + run.start..image.span.end + run.start;
            image.line += lines_before;
            image
        }));
        Ok::<_, LocateError>(())
    };
    let mut run_start = None;
    for bounds in starts.windows(2) {
        if skim::holds_no_image(&text[bounds[0]..bounds[1]], rules) {
            if let Some(start) = run_start.take() {
                locate_run(start..bounds[0])?;
            }
        } else {
            run_start.get_or_insert(bounds[0]);
        }
    }
    if let Some(start) = run_start {
        locate_run(start..text.len())?;
    }
    Ok(images)
}

/// Where the documents of `text` start, and its end: 0 and each `---` line that is a document
/// marker.
pub(super) fn document_bounds(text: &str) -> Vec<usize> {
    let mut bounds = vec![0];
    bounds.extend(
        text.match_indices("\n---")
            .map(|(at, _)| at + 1)
            .filter(|&start| starts_document(text, start)),
    );
    bounds.push(text.len());
    bounds
}

/// Whether the `---` at `start` (a line's start) is a document marker: followed by a blank or
/// the end.
fn starts_document(text: &str, start: usize) -> bool {
    matches!(
        text.as_bytes().get(start + 3),
        None | Some(b'\n' | b'\r' | b' ' | b'\t')
    )
}

/// The first character go-yaml's reader refuses anywhere in a YAML stream (`control characters
/// are not allowed`): C0 controls but tab and line breaks, DEL, C1 controls but U+0085, and
/// U+FFFE/U+FFFF. A stream kubectl reads as JSON (its first non-blank byte is `{`) is left to the
/// parser, as encoding/json allows DEL and C1 inside strings.
fn control_character(text: &str) -> Option<LocateError> {
    if text
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with('{')
    {
        return None;
    }
    let bytes = text.as_bytes();
    let refused = |at: usize| match bytes[at] {
        b'\t' | b'\n' | b'\r' => false,
        0..0x20 | 0x7F => true,
        0xC2 => matches!(bytes.get(at + 1), Some(0x80..=0x84 | 0x86..=0x9F)),
        0xEF => matches!(bytes.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])),
        _ => false,
    };
    // Every stream is read through here, so runs of 64 bytes are first asked, without a
    // branch a byte (which the compiler vectorises), whether they hold a byte that can start a
    // refused character at all; only those runs are looked at closely.
    let may_start = |byte: u8| {
        let control = (byte < 0x20) & (byte != b'\t') & (byte != b'\n') & (byte != b'\r');
        control | (byte == 0x7F) | (byte == 0xC2) | (byte == 0xEF)
    };
    let at = bytes
        .chunks(64)
        .enumerate()
        .filter(|(_, run)| run.iter().fold(false, |any, &byte| any | may_start(byte)))
        .find_map(|(index, run)| (index * 64..index * 64 + run.len()).find(|&at| refused(at)))?;
    let line_start = text[..at].rfind('\n').map_or(0, |newline| newline + 1);
    let character = text[at..].chars().next().expect("a character starts there");
    Some(LocateError::Syntax {
        line: newlines(&text[..at]) + 1,
        column: text[line_start..at].chars().count() + 1,
        message: format!(
            "control character U+{:04X} is not allowed (go-yaml refuses it)",
            u32::from(character)
        ),
    })
}

/// How many `\n` bytes `text` holds: counted in bytes over runs of 255, which the compiler
/// vectorises (a count in `usize` it does not).
fn newlines(text: &str) -> usize {
    text.as_bytes()
        .chunks(255)
        .map(|run| run.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>() as usize)
        .sum()
}

/// Finds every image value that `rules` name in `source` (one or more YAML documents, or JSON).
pub fn locate_images(source: &str, rules: &[ImagePath]) -> Result<Vec<LocatedImage>, LocateError> {
    let (images, mut problems) = locate_all(source, rules);
    if problems.is_empty() {
        Ok(images)
    } else {
        Err(problems.swap_remove(0))
    }
}

/// Every image value that `rules` name in `source`, and every problem: each value at an image
/// path that cannot be pinned (not a string, reached through an alias) in position order, then
/// the invalid YAML or duplicate key that ended the search, if one did.
pub fn locate_all(source: &str, rules: &[ImagePath]) -> (Vec<LocatedImage>, Vec<LocateError>) {
    let mut locator = Locator::new(source, rules);
    let mut ended = None;
    for event in Parser::new_from_str(source) {
        let step = event
            .map_err(|error| syntax_error(&error))
            .and_then(|(event, span)| locator.on_event(event, span));
        if let Err(error) = step {
            ended = Some(error);
            break;
        }
    }
    let mut images = locator.images;
    images.sort_by_key(|image| image.span.start);
    images.dedup_by_key(|image| image.span.start);
    let mut problems = locator.problems;
    problems.sort_by_key(|problem| problem.position().map(|p| (p.line, p.column)));
    problems.dedup();
    problems.extend(ended);
    (images, problems)
}

fn syntax_error(error: &ScanError) -> LocateError {
    LocateError::Syntax {
        line: error.marker().line(),
        column: error.marker().col() + 1,
        message: error.info().to_string(),
    }
}

type SegmentMatcher = Box<dyn Fn(&Segment) -> bool>;

/// A rule and how many of its segments the path so far has matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    rule: usize,
    matched: usize,
}

/// The parts of a node's context that decide what its children are.
#[derive(Debug, Default)]
struct Context {
    /// Rules that may still match below this node.
    live: Vec<Progress>,
    /// The object (index into `Locator::objects`) this node belongs to.
    object: Option<usize>,
    role: Role,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Role {
    #[default]
    Other,
    /// The top-level mapping of an object (document root or an `items[]` entry of a List).
    ObjectRoot,
    /// `metadata` of an object.
    Metadata,
    /// The root mapping's `items` sequence, whose entries are objects when the root is a List.
    ListItems,
    /// The value of a merge key (`<<: [*a, *b]`): its mappings merge into the parent mapping.
    MergeList,
}

/// YAML's merge key: the mappings under it lend their keys to the mapping that holds it, as
/// Kubernetes' YAML reader applies them.
const MERGE_KEY: &str = "<<";

#[derive(Debug)]
enum Frame {
    Mapping {
        context: Context,
        /// The key whose value comes next, or `None` while a key is expected.
        key: Option<Key>,
        /// Keys seen so far; only kept where rules are alive or the object's identity is read.
        keys: Vec<String>,
        /// `name`, when this mapping holds image values (a container).
        name: Option<String>,
        /// Candidates found directly in this mapping, to receive `name` at its end.
        candidates: Vec<usize>,
        /// Scalar values by key, kept only where rules with a [`Condition`] are alive.
        values: Vec<(String, String)>,
    },
    Sequence {
        context: Context,
    },
    /// A subtree no rule reaches and no identity is read from: only its nesting is tracked.
    Skipped,
}

#[derive(Debug)]
enum Key {
    Scalar(String),
    /// A collection or alias used as a key: it never matches a rule.
    Complex,
}

/// An image-path candidate; whether it counts depends on its object's kind.
#[derive(Debug)]
struct Candidate {
    rule: usize,
    object: usize,
    found: Result<LocatedImage, Problem>,
    /// Its rule's [`Condition`] does not hold in the mapping holding it.
    excluded: bool,
}

/// Why a candidate cannot be pinned; an error only if its rule applies to its object's kind.
#[derive(Debug, Clone, Copy)]
enum Problem {
    NotAString {
        line: usize,
        column: usize,
        found: &'static str,
    },
    AliasedCollection {
        line: usize,
        column: usize,
        /// Where the alias token starts in the source.
        at: usize,
    },
}

#[derive(Debug, Default)]
struct Object {
    identity: ObjectIdentity,
    /// The document this object belongs to, and whether it is an entry of the document's `items`.
    document: usize,
    is_list_item: bool,
}

/// A scalar with an anchor, remembered so an alias to it can be rewritten at its definition.
#[derive(Debug, Clone)]
struct AnchoredScalar {
    image: LocatedImage,
    found: Option<&'static str>,
}

struct Locator<'a> {
    source: &'a str,
    rules: &'a [ImagePath],
    positions: CharToByte<'a>,
    stack: Vec<Frame>,
    objects: Vec<Object>,
    document: usize,
    candidates: Vec<Candidate>,
    anchored_scalars: HashMap<usize, AnchoredScalar>,
    /// For each anchored collection, the rule progress at its definition.
    anchored_collections: HashMap<usize, Vec<Progress>>,
    images: Vec<LocatedImage>,
    /// Values at image paths that cannot be pinned, found so far.
    problems: Vec<LocateError>,
}

impl<'a> Locator<'a> {
    fn new(source: &'a str, rules: &'a [ImagePath]) -> Self {
        Locator {
            source,
            rules,
            positions: CharToByte::new(source),
            stack: Vec::new(),
            objects: Vec::new(),
            document: 0,
            candidates: Vec::new(),
            anchored_scalars: HashMap::new(),
            anchored_collections: HashMap::new(),
            images: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn on_event(&mut self, event: Event<'a>, span: Span) -> Result<(), LocateError> {
        match event {
            Event::DocumentStart(_) => {
                self.document += 1;
                self.anchored_scalars.clear();
                self.anchored_collections.clear();
            }
            Event::DocumentEnd => self.finish_document()?,
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_mapping = matches!(event, Event::MappingStart(..));
                if let Some(at_value) = self.value_position() {
                    let complete = self.completed_rules(at_value);
                    if !complete.is_empty() {
                        let found = if is_mapping { "a mapping" } else { "a list" };
                        let problem = Problem::NotAString {
                            line: span.start.line(),
                            column: span.start.col() + 1,
                            found,
                        };
                        self.add_candidates(&complete, Err(problem));
                    }
                }
                let context = self.child_context(is_mapping);
                if anchor != 0 {
                    let live = context.as_ref().map(|c| c.live.clone()).unwrap_or_default();
                    self.anchored_collections.insert(anchor, live);
                }
                self.stack.push(match context {
                    None => Frame::Skipped,
                    Some(context) if is_mapping => Frame::Mapping {
                        context,
                        key: None,
                        keys: Vec::new(),
                        name: None,
                        candidates: Vec::new(),
                        values: Vec::new(),
                    },
                    Some(context) => Frame::Sequence { context },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::Mapping {
                    name,
                    candidates,
                    keys,
                    values,
                    ..
                }) = self.stack.pop()
                {
                    for index in candidates {
                        let holds = match &self.rules[self.candidates[index].rule].condition {
                            None => true,
                            Some(Condition::Without(key)) => !keys.contains(key),
                            Some(Condition::With(key, value)) => {
                                values.iter().any(|(k, v)| k == key && v == value)
                            }
                        };
                        self.candidates[index].excluded |= !holds;
                        if let Ok(image) = &mut self.candidates[index].found {
                            image.container.clone_from(&name);
                        }
                    }
                }
                self.end_key();
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.on_scalar(value.into_owned(), style, anchor, tag.is_some(), span)?
            }
            Event::Alias(anchor) => self.on_alias(anchor, span)?,
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// The context of a node that starts now, or `None` when nothing below it matters.
    fn child_context(&mut self, is_mapping: bool) -> Option<Context> {
        let Some(parent) = self.stack.last() else {
            // A document's root node: an object when it is a mapping.
            if !is_mapping {
                return None;
            }
            let object = self.new_object(false);
            return Some(Context {
                live: self.all_rules(),
                object: Some(object),
                role: Role::ObjectRoot,
            });
        };
        match parent {
            Frame::Skipped => None,
            Frame::Mapping { context, key, .. } => {
                let Some(Key::Scalar(key)) = key else {
                    return None;
                };
                if key == MERGE_KEY {
                    // Merged keys are matched as if written in the parent mapping itself.
                    return (!context.live.is_empty()).then(|| Context {
                        live: context.live.clone(),
                        object: context.object,
                        role: if is_mapping {
                            Role::Other
                        } else {
                            Role::MergeList
                        },
                    });
                }
                let live = advance(self.rules, &context.live, |segment| {
                    segment.matches_key(key)
                });
                let role = match (context.role, key.as_str()) {
                    (Role::ObjectRoot, "metadata") if is_mapping => Role::Metadata,
                    (Role::ObjectRoot, "items") if !is_mapping && self.stack.len() == 1 => {
                        Role::ListItems
                    }
                    _ => Role::Other,
                };
                (!live.is_empty() || role != Role::Other).then_some(Context {
                    live,
                    object: context.object,
                    role,
                })
            }
            Frame::Sequence { context } => {
                if context.role == Role::MergeList {
                    return (is_mapping && !context.live.is_empty()).then(|| Context {
                        live: context.live.clone(),
                        object: context.object,
                        role: Role::Other,
                    });
                }
                if context.role == Role::ListItems && is_mapping {
                    let object = self.new_object(true);
                    return Some(Context {
                        live: self.all_rules(),
                        object: Some(object),
                        role: Role::ObjectRoot,
                    });
                }
                let live = advance(self.rules, &context.live, |segment| {
                    matches!(segment, Segment::EachItem)
                });
                (!live.is_empty()).then_some(Context {
                    live,
                    object: context.object,
                    role: Role::Other,
                })
            }
        }
    }

    fn all_rules(&self) -> Vec<Progress> {
        (0..self.rules.len())
            .map(|rule| Progress { rule, matched: 0 })
            .collect()
    }

    fn new_object(&mut self, is_list_item: bool) -> usize {
        self.objects.push(Object {
            identity: ObjectIdentity::default(),
            document: self.document,
            is_list_item,
        });
        self.objects.len() - 1
    }

    /// After a value ends, its mapping expects a key again.
    fn end_key(&mut self) {
        if let Some(Frame::Mapping { key, .. }) = self.stack.last_mut() {
            if key.is_some() {
                *key = None;
            } else {
                // The node that just ended was a complex key.
                *key = Some(Key::Complex);
            }
        }
    }

    fn on_scalar(
        &mut self,
        value: String,
        style: ScalarStyle,
        anchor: usize,
        has_tag: bool,
        span: Span,
    ) -> Result<(), LocateError> {
        let has_properties = anchor != 0 || has_tag;
        // Asked only of scalars that may be images: most scalars are in skipped subtrees.
        let found = |value: &str| {
            (style == ScalarStyle::Plain && !has_tag)
                .then(|| non_string_kind(value))
                .flatten()
        };
        if anchor != 0 {
            let image = self.located(&value, style, has_properties, span);
            let found = found(&value);
            self.anchored_scalars
                .insert(anchor, AnchoredScalar { image, found });
        }
        let completes = match self.stack.last_mut() {
            None | Some(Frame::Skipped) => return Ok(()),
            Some(Frame::Mapping {
                context,
                key: key @ None,
                keys,
                ..
            }) => {
                if !context.live.is_empty() || context.role != Role::Other {
                    if keys.contains(&value) {
                        return Err(LocateError::DuplicateKey {
                            line: span.start.line(),
                            column: span.start.col() + 1,
                            key: value,
                        });
                    }
                    keys.push(value.clone());
                }
                *key = Some(Key::Scalar(value));
                return Ok(());
            }
            Some(Frame::Mapping {
                key: Some(Key::Complex),
                ..
            }) => {
                self.end_key();
                return Ok(());
            }
            Some(Frame::Mapping {
                context,
                key: Some(Key::Scalar(key)),
                name,
                values,
                ..
            }) => {
                match (context.role, key.as_str(), context.object) {
                    (Role::ObjectRoot, "kind", Some(object)) => {
                        self.objects[object].identity.kind.clone_from(&value)
                    }
                    (Role::Metadata, "name", Some(object)) => {
                        self.objects[object].identity.name = Some(value.clone())
                    }
                    (_, "name", _) if !context.live.is_empty() => *name = Some(value.clone()),
                    _ => {}
                }
                if !context.live.is_empty() && self.rules.iter().any(|r| r.condition.is_some()) {
                    values.push((key.clone(), value.clone()));
                }
                self.value_position().expect("a mapping value")
            }
            Some(Frame::Sequence { .. }) => self.value_position().expect("a sequence item"),
        };
        let complete = self.completed_rules(completes);
        if !complete.is_empty() {
            let image = self.located(&value, style, has_properties, span);
            self.add_candidates(&complete, checked(image, found(&value)));
        }
        self.end_key();
        Ok(())
    }

    fn on_alias(&mut self, anchor: usize, span: Span) -> Result<(), LocateError> {
        // The parser resolves an alias to an anchor of an earlier document, which YAML (and
        // Kubernetes' reader) refuse: what it names is not in this document.
        if !self.anchored_scalars.contains_key(&anchor)
            && !self.anchored_collections.contains_key(&anchor)
        {
            return Err(LocateError::Syntax {
                line: span.start.line(),
                column: span.start.col() + 1,
                message: format!(
                    "found unknown anchor: `{}` names an anchor of another document",
                    self.alias_text(span)
                ),
            });
        }
        if let Some(Frame::Mapping {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            // An alias used as a key never matches a rule.
            *key = Some(Key::Complex);
            return Ok(());
        }
        if let Some(live) = self.merge_position() {
            self.refuse_if_unreached(&live, anchor, span);
            self.end_key();
            return Ok(());
        }
        let Some(matches_segment) = self.value_position() else {
            self.end_key();
            return Ok(());
        };
        if let Some(anchored) = self.anchored_scalars.get(&anchor).cloned() {
            let complete = self.completed_rules(matches_segment);
            if !complete.is_empty() {
                self.add_candidates(&complete, checked(anchored.image, anchored.found));
            }
        } else {
            let live = self.live_below(matches_segment);
            self.refuse_if_unreached(&live, anchor, span);
        }
        self.end_key();
        Ok(())
    }

    /// The images below an aliased (or merged) collection are found at its anchor only when the
    /// anchor stands where the same rules reach; otherwise they would be missed, so the alias is
    /// a problem for the rules `live` that the anchor did not see.
    fn refuse_if_unreached(&mut self, live: &[Progress], anchor: usize, span: Span) {
        let Some(defined_with) = self.anchored_collections.get(&anchor) else {
            return;
        };
        let rules = self.rules;
        // The anchor saw the same rule, or one with the same kind, condition and rest of path.
        let covers = |d: &Progress, p: &Progress| {
            let (defined, here) = (&rules[d.rule], &rules[p.rule]);
            d == p
                || (defined.kind == here.kind
                    && defined.condition == here.condition
                    && defined.segments[d.matched..] == here.segments[p.matched..])
        };
        if let Some(missed) = live
            .iter()
            .find(|p| !defined_with.iter().any(|d| covers(d, p)))
        {
            let problem = Problem::AliasedCollection {
                line: span.start.line(),
                column: span.start.col() + 1,
                at: self.positions.byte(span.start.index()),
            };
            self.add_candidates(&[missed.rule], Err(problem));
        }
    }

    /// The alias token at `span` as written (`*name`).
    fn alias_text(&self, span: Span) -> &'a str {
        alias_at(self.source, self.positions.byte(span.start.index()))
    }

    /// What the next path segment must match for a value at the current position: the
    /// mapping's current key, or any sequence item; `None` at a key or in a skipped subtree.
    fn value_position(&self) -> Option<SegmentMatcher> {
        match self.stack.last()? {
            Frame::Mapping {
                key: Some(Key::Scalar(key)),
                ..
            } => {
                let key = key.clone();
                Some(Box::new(move |segment| segment.matches_key(&key)))
            }
            Frame::Sequence { .. } => {
                Some(Box::new(|segment| matches!(segment, Segment::EachItem)))
            }
            Frame::Mapping { .. } | Frame::Skipped => None,
        }
    }

    /// The rules a merge at the current position feeds: those of the mapping holding `<<`.
    fn merge_position(&self) -> Option<Vec<Progress>> {
        match self.stack.last()? {
            Frame::Mapping {
                context,
                key: Some(Key::Scalar(key)),
                ..
            } if key == MERGE_KEY => Some(context.live.clone()),
            Frame::Sequence { context } if context.role == Role::MergeList => {
                Some(context.live.clone())
            }
            _ => None,
        }
    }

    fn current_object(&self) -> usize {
        self.stack
            .iter()
            .rev()
            .find_map(|frame| match frame {
                Frame::Mapping { context, .. } | Frame::Sequence { context } => context.object,
                Frame::Skipped => None,
            })
            .unwrap_or_default()
    }

    /// The rules alive below the current position after one more segment.
    fn live_below(&self, matches_segment: impl Fn(&Segment) -> bool) -> Vec<Progress> {
        match self.stack.last() {
            Some(Frame::Mapping { context, .. }) | Some(Frame::Sequence { context }) => {
                advance(self.rules, &context.live, matches_segment)
            }
            _ => Vec::new(),
        }
    }

    /// The rules that a scalar at the current position completes.
    fn completed_rules(&self, matches_segment: impl Fn(&Segment) -> bool) -> Vec<usize> {
        let Some(Frame::Mapping { context, .. } | Frame::Sequence { context }) = self.stack.last()
        else {
            return Vec::new();
        };
        context
            .live
            .iter()
            .filter(|p| {
                let segments = &self.rules[p.rule].segments;
                p.matched + 1 == segments.len() && matches_segment(&segments[p.matched])
            })
            .map(|p| p.rule)
            .collect()
    }

    fn add_candidates(&mut self, rules: &[usize], found: Result<LocatedImage, Problem>) {
        let object = self.current_object();
        let first = self.candidates.len();
        for &rule in rules {
            self.candidates.push(Candidate {
                rule,
                object,
                found: found.clone(),
                excluded: false,
            });
        }
        if let Some(Frame::Mapping { candidates, .. }) = self.stack.last_mut() {
            candidates.extend(first..self.candidates.len());
        }
    }

    fn located(
        &self,
        value: &str,
        style: ScalarStyle,
        has_properties: bool,
        span: Span,
    ) -> LocatedImage {
        let mut start = self.positions.byte(span.start.index());
        let end = self.positions.byte(span.end.index());
        if has_properties {
            start += properties_len(&self.source[start..end]);
        }
        let (line, column) = (span.start.line(), span.start.col() + 1);
        // The parser's end marker may run past the token (over blanks and a comment after a
        // quoted scalar), so each token's end is found from its start.
        let text = &self.source[start..end];
        let (span, style) = match style {
            ScalarStyle::Plain => (start..start + plain_len(text), ValueStyle::Plain),
            ScalarStyle::SingleQuoted => (
                start..start + single_quoted_len(text),
                ValueStyle::SingleQuoted,
            ),
            ScalarStyle::DoubleQuoted => (
                start..start + double_quoted_len(text),
                ValueStyle::DoubleQuoted,
            ),
            ScalarStyle::Literal | ScalarStyle::Folded => {
                // Only the value's own text is replaced, so the block header stays.
                let trimmed = value.trim_end_matches('\n');
                let offset = text.find(trimmed).unwrap_or(0);
                (
                    start + offset..start + offset + trimmed.len(),
                    ValueStyle::Block,
                )
            }
        };
        LocatedImage {
            span,
            line,
            column,
            value: value.to_string(),
            style,
            object: ObjectIdentity::default(),
            container: None,
            single_field: false,
            written: None,
        }
    }

    /// Keeps the candidates whose rule applies to their object's kind, once the document ends.
    fn finish_document(&mut self) -> Result<(), LocateError> {
        let document = self.document;
        let root_is_list = self
            .objects
            .iter()
            .find(|object| object.document == document && !object.is_list_item)
            .is_some_and(|root| root.identity.kind.ends_with("List"));
        for candidate in self.candidates.drain(..) {
            if candidate.excluded {
                continue;
            }
            let object = &self.objects[candidate.object];
            if object.is_list_item != root_is_list
                || !self.rules[candidate.rule].matches_kind(&object.identity.kind)
            {
                continue;
            }
            match candidate.found {
                Ok(mut image) => {
                    image.object = object.identity.clone();
                    image.single_field = !self.rules[candidate.rule]
                        .segments
                        .contains(&Segment::EachItem);
                    self.images.push(image);
                }
                Err(Problem::NotAString {
                    line,
                    column,
                    found,
                }) => self.problems.push(LocateError::NotAString {
                    line,
                    column,
                    kind: object.identity.kind.clone(),
                    found,
                }),
                Err(Problem::AliasedCollection { line, column, at }) => {
                    self.problems.push(LocateError::AliasedCollection {
                        line,
                        column,
                        kind: object.identity.kind.clone(),
                        alias: alias_at(self.source, at).to_string(),
                    })
                }
            }
        }
        self.objects.clear();
        Ok(())
    }
}

/// The alias token (`*name`) starting at byte `at`: an anchor name runs to a blank or a flow
/// indicator.
fn alias_at(source: &str, at: usize) -> &str {
    let rest = &source[at..];
    let end = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c.is_whitespace() || ",[]{}".contains(c))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// A candidate, or the problem of a value that is not a string.
fn checked(image: LocatedImage, found: Option<&'static str>) -> Result<LocatedImage, Problem> {
    match found {
        None => Ok(image),
        Some(found) => Err(Problem::NotAString {
            line: image.line,
            column: image.column,
            found,
        }),
    }
}

/// The rules that still match after one more path segment.
fn advance(
    rules: &[ImagePath],
    live: &[Progress],
    matches_segment: impl Fn(&Segment) -> bool,
) -> Vec<Progress> {
    live.iter()
        .filter(|p| {
            let segments = &rules[p.rule].segments;
            p.matched + 1 < segments.len() && matches_segment(&segments[p.matched])
        })
        .map(|p| Progress {
            rule: p.rule,
            matched: p.matched + 1,
        })
        .collect()
}

/// What a plain scalar resolves to when it is not a string (YAML 1.2 core schema).
fn non_string_kind(value: &str) -> Option<&'static str> {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => Some("null"),
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Some("a boolean"),
        _ if is_yaml_float(value) || is_yaml_int(value) => Some("a number"),
        _ => None,
    }
}

/// YAML 1.2 core schema floats: digits with an optional fraction and exponent, `.inf`, `.nan`.
/// Words such as `nan` or `infinity` are strings there (and valid image names).
fn is_yaml_float(value: &str) -> bool {
    let unsigned = value.trim_start_matches(['-', '+']);
    matches!(unsigned, ".inf" | ".Inf" | ".INF")
        || matches!(value, ".nan" | ".NaN" | ".NAN")
        || (unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && unsigned
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
            && value.parse::<f64>().is_ok())
}

fn is_yaml_int(value: &str) -> bool {
    let digits = |s: &str, radix| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    value.strip_prefix("0o").is_some_and(|s| digits(s, 8))
        || value.strip_prefix("0x").is_some_and(|s| digits(s, 16))
}

/// Length of the anchor and tag properties (`&a !!str `) before a scalar's own text.
fn properties_len(token: &str) -> usize {
    let mut rest = token;
    while rest.starts_with(['&', '!']) {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    token.len() - rest.len()
}

/// Length of a plain scalar token: it ends before a comment and trailing blanks.
fn plain_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let comment = (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(bytes.len());
    text[..comment].trim_end().len()
}

/// Length of a single-quoted token, where `''` is an escaped quote.
fn single_quoted_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    text.len()
}

/// Length of a double-quoted token, where a backslash escapes the next character.
fn double_quoted_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

/// Maps the parser's character indices to byte offsets in one forward pass.
struct CharToByte<'a> {
    source: &'a str,
    ascii: bool,
    cursor: std::cell::Cell<(usize, usize)>,
}

impl<'a> CharToByte<'a> {
    fn new(source: &'a str) -> Self {
        CharToByte {
            source,
            ascii: source.is_ascii(),
            cursor: std::cell::Cell::new((0, 0)),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.source.len());
        }
        let (mut chars, mut bytes) = self.cursor.get();
        if char_index < chars {
            (chars, bytes) = (0, 0);
        }
        for c in self.source[bytes..].chars() {
            if chars == char_index {
                break;
            }
            chars += 1;
            bytes += c.len_utf8();
        }
        self.cursor.set((chars, bytes));
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::problem::positioned;

    #[test]
    fn a_control_character_go_yaml_refuses_is_refused_where_it_is() {
        let rules = crate::core::image_paths::builtin_image_paths();
        let refused = |text: &str| {
            let (images, problems) = locate_in_parallel(text, &rules);
            assert!(images.is_empty());
            problems.first().map(|problem| problem.to_string())
        };
        let pod = |name: &str| format!("kind: Pod\nmetadata:\n  name: {name}\n");
        assert_eq!(
            refused(&pod("é\u{92}b")).as_deref(),
            Some("invalid YAML: control character U+0092 is not allowed (go-yaml refuses it)")
        );
        let (_, problems) = locate_in_parallel(&pod("a\u{1}"), &rules);
        assert_eq!(problems[0].position(), Some(Position::at(3, 10)));
        for allowed in [
            "\t",
            "\u{85}",
            "\u{A0}",
            "\u{FEFF}",
            "\u{FFFD}",
            "\u{1F680}",
        ] {
            assert_eq!(
                refused(&pod(&format!("\"a{allowed}\""))),
                None,
                "{allowed:?}"
            );
        }
        for refused_too in [
            "\u{0}", "\u{7F}", "\u{80}", "\u{9F}", "\u{FFFE}", "\u{FFFF}",
        ] {
            assert!(refused(&pod(refused_too)).is_some(), "{refused_too:?}");
        }
        // JSON is read with encoding/json, which allows them in strings.
        assert_eq!(refused("{\"kind\": \"Pod\", \"a\": \"\u{92}\"}"), None);
        // Runs of 64 bytes are looked at closely only where one may hold such a character: one
        // across two runs is found at every offset, and the first of two in its own place.
        for padding in 0..130 {
            let name = format!("{}\u{FFFF}b\u{1}", "x".repeat(padding));
            let (_, problems) = locate_in_parallel(&pod(&name), &rules);
            assert_eq!(
                problems[0].position(),
                Some(Position::at(3, 9 + padding)),
                "{padding}"
            );
            assert!(problems[0].to_string().contains("U+FFFF"), "{padding}");
        }
    }

    #[test]
    fn locating_in_parallel_finds_what_one_pass_finds() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/corpus/argo-cd-install.yaml");
        let one = std::fs::read_to_string(corpus).unwrap();
        let text = format!("{one}---\n{one}---\n{one}");
        assert!(text.len() > PARALLEL_THRESHOLD);
        let rules = crate::core::image_paths::builtin_image_paths();
        let (parallel, problems) = locate_in_parallel(&text, &rules);
        assert!(problems.is_empty());
        assert_eq!(
            parallel.len(),
            3 * locate_images(&one, &rules).unwrap().len()
        );
        assert_eq!(parallel, locate_images(&text, &rules).unwrap());
        let broken = format!("{text}\n---\nkind: [\n");
        assert_eq!(
            locate_in_parallel(&broken, &rules),
            locate_all(&broken, &rules)
        );
    }

    use crate::core::image_paths::builtin_image_paths;

    fn images(source: &str) -> Vec<LocatedImage> {
        locate_images(source, &builtin_image_paths()).unwrap()
    }

    fn values(source: &str) -> Vec<String> {
        images(source).into_iter().map(|i| i.value).collect()
    }

    fn error(source: &str) -> String {
        positioned(&locate_images(source, &builtin_image_paths()).unwrap_err())
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
      containers:
      - image: \"nginx:1.27\"   # the web server
        name: nginx
      - name: sidecar
        image: 'envoyproxy/envoy:v1.30'
";

    #[test]
    fn finds_containers_and_init_containers_with_spans_and_names() {
        let found = images(DEPLOYMENT);
        assert_eq!(found.len(), 3);
        let spans: Vec<&str> = found.iter().map(|i| &DEPLOYMENT[i.span.clone()]).collect();
        assert_eq!(
            spans,
            ["busybox:1.36", "\"nginx:1.27\"", "'envoyproxy/envoy:v1.30'"]
        );
        assert_eq!(found[1].style, ValueStyle::DoubleQuoted);
        assert_eq!((found[1].line, found[1].column), (12, 16));
        let names: Vec<_> = found.iter().map(|i| i.container.as_deref()).collect();
        assert_eq!(names, [Some("init"), Some("nginx"), Some("sidecar")]);
        assert_eq!(found[0].object.kind, "Deployment");
        assert_eq!(found[0].object.name.as_deref(), Some("web"));
    }

    #[test]
    fn kind_may_come_after_the_spec() {
        let source = "spec:\n  containers:\n  - image: a:1\nkind: Pod\n";
        assert_eq!(values(source), ["a:1"]);
    }

    #[test]
    fn ignores_image_keys_in_kinds_without_rules() {
        let source = "kind: ConfigMap\ndata:\n  image: a:1\nspec:\n  containers:\n  - image: b:1\n";
        assert!(values(source).is_empty());
    }

    #[test]
    fn finds_cron_job_and_pod_template_images() {
        let source = "\
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: cron:1}]
---
kind: PodTemplate
template:
  spec:
    containers:
    - image: tpl:1
";
        assert_eq!(values(source), ["cron:1", "tpl:1"]);
    }

    #[test]
    fn walks_list_items_with_their_own_kinds() {
        let source = "\
apiVersion: v1
kind: List
items:
- kind: Pod
  spec:
    containers:
    - image: pod:1
- kind: ConfigMap
  spec:
    containers:
    - image: not-an-image:1
";
        assert_eq!(values(source), ["pod:1"]);
    }

    #[test]
    fn finds_custom_resource_images() {
        let source = "kind: Prometheus\nspec:\n  image: quay.io/prometheus/prometheus:v3\n";
        assert_eq!(values(source), ["quay.io/prometheus/prometheus:v3"]);
        let rules = vec!["Widget:spec.runner.images[]".parse().unwrap()];
        let source = "kind: Widget\nspec:\n  runner:\n    images: [a:1, \"b:2\"]\n";
        let found = locate_images(source, &rules).unwrap();
        let spans: Vec<&str> = found.iter().map(|i| &source[i.span.clone()]).collect();
        assert_eq!(spans, ["a:1", "\"b:2\""]);
    }

    #[test]
    fn reads_json() {
        let source = r#"{"kind":"Pod","spec":{"containers":[{"name":"a","image":"a:1"}]}}"#;
        let found = images(source);
        assert_eq!(&source[found[0].span.clone()], "\"a:1\"");
    }

    #[test]
    fn spans_are_bytes_after_multibyte_text_and_without_properties() {
        let source = "kind: Pod # ünïcödé ✓\nspec:\n  containers:\n  - image: !!str &x a:1\n";
        let found = images(source);
        assert_eq!(&source[found[0].span.clone()], "a:1");
    }

    #[test]
    fn keeps_crlf_out_of_the_span() {
        let source = "kind: Pod\r\nspec:\r\n  containers:\r\n  - image: a:1\r\n";
        let found = images(source);
        assert_eq!(&source[found[0].span.clone()], "a:1");
    }

    #[test]
    fn block_scalars_replace_only_their_text() {
        let source = "kind: Pod\nspec:\n  containers:\n  - image: >-\n      a:1\n    name: x\n";
        let found = images(source);
        assert_eq!(found[0].style, ValueStyle::Block);
        assert_eq!(&source[found[0].span.clone()], "a:1");
    }

    #[test]
    fn an_alias_points_at_its_anchor() {
        let source = "\
kind: Pod
spec:
  containers:
  - name: a
    image: &img nginx:1
  - name: b
    image: *img
";
        let found = images(source);
        assert_eq!(found.len(), 1, "one span, rewritten once");
        assert_eq!(&source[found[0].span.clone()], "nginx:1");
    }

    #[test]
    fn an_alias_to_an_anchor_elsewhere_is_followed() {
        let source = "\
x-image: &img nginx:1
kind: Pod
spec:
  containers:
  - image: *img
";
        assert_eq!(values(source), ["nginx:1"]);
    }

    #[test]
    fn refuses_aliased_containers_defined_away_from_an_image_path() {
        let source = "\
x-containers: &c
- image: nginx:1
kind: Pod
spec:
  containers: *c
";
        assert_eq!(
            error(source),
            "5:15: image fields of Pod are reached through the alias `*c`, whose anchor is not at an image path; write them out"
        );
    }

    #[test]
    fn refuses_an_alias_to_an_anchor_of_another_document() {
        // saphyr-parser resolves it; YAML and Kubernetes' reader do not, and following it
        // would leave the containers unseen and unpinned.
        let source = "\
x-containers: &web-containers [{name: web, image: nginx:1}]
---
kind: Pod
spec:
  containers: *web-containers
";
        assert_eq!(
            error(source),
            "5:15: invalid YAML: found unknown anchor: `*web-containers` names an anchor of another document"
        );
        let flow = "a: &x 1\n---\nkind: Pod\nspec: {containers: [{image: *x}]}\n";
        assert_eq!(
            error(flow),
            "4:29: invalid YAML: found unknown anchor: `*x` names an anchor of another document"
        );
    }

    #[test]
    fn alias_bombs_cost_nothing() {
        let mut source = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..40 {
            let previous = format!("*a{}", level - 1);
            let list = vec![previous; 10].join(", ");
            source.push_str(&format!("a{level}: &a{level} [{list}]\n"));
        }
        source.push_str("kind: Pod\nspec:\n  containers:\n  - image: a:1\n");
        assert_eq!(values(&source), ["a:1"]);
    }

    #[test]
    fn refuses_non_string_images() {
        let cases = [
            ("image:", 10, "null"),
            ("image: ~", 12, "null"),
            ("image: 42", 12, "a number"),
            ("image: true", 12, "a boolean"),
            ("image: [a]", 12, "a list"),
            ("image: {a: b}", 12, "a mapping"),
        ];
        for (line, column, found) in cases {
            let source = format!("kind: Pod\nspec:\n  containers:\n  - {line}\n");
            assert_eq!(
                error(&source),
                format!("4:{column}: the image of Pod is {found}, not a string"),
                "{line}"
            );
        }
        let quoted = "kind: Pod\nspec:\n  containers:\n  - image: \"42\"\n";
        assert_eq!(values(quoted), ["42"]);
    }

    #[test]
    fn words_that_rust_reads_as_floats_are_image_names() {
        let source = "kind: Pod\nspec:\n  containers:\n  - image: nan\n  - image: Infinity\n";
        assert_eq!(values(source), ["nan", "Infinity"]);
        let number = "kind: Pod\nspec:\n  containers:\n  - image: -.inf\n";
        assert_eq!(
            error(number),
            "4:12: the image of Pod is a number, not a string"
        );
    }

    #[test]
    fn merge_keys_are_followed_or_refused() {
        let at_image_path = "\
kind: Pod
spec:
  containers:
  - &base
    name: a
    image: nginx:1
  - <<: *base
    name: b
";
        assert_eq!(values(at_image_path), ["nginx:1"]);
        let inline = "kind: Pod\nspec:\n  containers:\n  - <<: {image: nginx:1}\n    name: b\n";
        assert_eq!(values(inline), ["nginx:1"]);
        for merge in ["<<: *base", "<<: [*base]"] {
            let elsewhere = format!(
                "kind: Pod\nx-base: &base\n  image: nginx:1\nspec:\n  containers:\n  - {merge}\n    name: web\n"
            );
            assert!(
                error(&elsewhere).contains("reached through the alias `*base`"),
                "{merge}"
            );
        }
    }

    #[test]
    fn refuses_duplicate_keys_on_image_paths() {
        let source = "kind: Pod\nspec:\n  containers:\n  - image: a:1\n    image: b:1\n";
        assert_eq!(error(source), "5:5: duplicate key `image`");
    }

    #[test]
    fn reports_syntax_errors_with_their_position() {
        assert_eq!(
            error("kind: Pod\nspec: [\n"),
            "3:1: invalid YAML: while parsing a node, did not find expected node content"
        );
    }
}
