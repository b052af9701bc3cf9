//! Property tests of locating and rewriting together: generated Kubernetes manifests in many
//! layouts (block and flow YAML, JSON, CRLF, comments, multi-document streams), where the
//! generator knows which values are images and which only look like them.

use std::ops::Range;

use proptest::prelude::*;
use saphyr_parser::{Event, Parser};

use super::image_paths::builtin_image_paths;
use super::locate::{LocatedImage, ValueStyle, locate_images};
use super::reference::{Digest, ImageReference};
use super::rewrite::{Replacement, splice};
use kubectl_immutable_test_support::test_data::{test_data_files, yaml_test_suite_inputs};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Comment texts: look-alikes of keys and images, tabs and non-ASCII text (spans are bytes).
static COMMENTS: [&str; 6] = [
    "note",
    "image: decoy.example.com/not/pinned:1",
    "ünïcödé ✓ 注释",
    "\ttabbed\tcomment",
    "- image: in-a-comment:2",
    "---",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// At an image path of a workload kind: must be found.
    Image,
    /// Looks like an image but is not at an image path: must be left alone.
    Decoy,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    /// A block scalar with this header; written double-quoted where block style cannot stand.
    Block(&'static str),
    Number,
}

const IMAGE_STYLES: &[Style] = &[
    Style::Plain,
    Style::Plain,
    Style::Single,
    Style::Double,
    Style::Block(">-"),
    Style::Block("|-"),
];
const TEXT_STYLES: &[Style] = &[Style::Plain, Style::Plain, Style::Single, Style::Double];
const QUOTED_STYLES: &[Style] = &[Style::Single, Style::Double, Style::Block(">-")];

#[derive(Debug, Clone)]
struct Scalar {
    text: String,
    style: Style,
    role: Role,
}

#[derive(Debug, Clone)]
enum Node {
    Scalar(Scalar),
    /// `flow` starts flow style here; everything below a flow collection is flow too.
    Map {
        entries: Vec<Entry>,
        flow: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    key: &'static str,
    value: Node,
    /// A comment line before the key.
    comment_above: Option<&'static str>,
    /// A comment ending the key's line (after the value, or after a block header or `key:`).
    comment: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum Document {
    Object(Node),
    /// A document holding only a comment (a null document).
    Comment(&'static str),
}

#[derive(Debug, Clone)]
struct Layout {
    indent: usize,
    /// Whether block sequences are indented under their key (`key:\n  - a`) or not.
    indent_seqs: bool,
    crlf: bool,
    /// Whether the last line ends with a line break.
    final_newline: bool,
}

#[derive(Debug, Clone)]
enum Manifest {
    Yaml {
        /// Each document with whether it is opened by `---` and closed by `...`.
        documents: Vec<(Document, bool, bool)>,
        leading_comment: Option<&'static str>,
        layout: Layout,
    },
    Json {
        root: Node,
        pretty: bool,
        layout: Layout,
    },
}

/// A value the generator wrote with a role other than `Other`, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    span: Range<usize>,
    value: String,
    style: ValueStyle,
    role: Role,
}

struct Writer {
    out: String,
    eol: &'static str,
    indent: usize,
    indent_seqs: bool,
    written: Vec<Written>,
}

impl Writer {
    fn new(layout: &Layout) -> Self {
        Writer {
            out: String::new(),
            eol: if layout.crlf { "\r\n" } else { "\n" },
            indent: layout.indent,
            indent_seqs: layout.indent_seqs,
            written: Vec::new(),
        }
    }

    fn spaces(&mut self, count: usize) {
        self.out.extend(std::iter::repeat_n(' ', count));
    }

    fn end_line(&mut self, comment: Option<&str>) {
        if let Some(comment) = comment {
            self.out.push_str(" # ");
            self.out.push_str(comment);
        }
        self.out.push_str(self.eol);
    }

    fn comment_line(&mut self, column: usize, comment: &str) {
        self.spaces(column);
        self.out.push_str("# ");
        self.out.push_str(comment);
        self.out.push_str(self.eol);
    }

    fn token(&mut self, scalar: &Scalar, style: Style) {
        let start = self.out.len();
        let (quote, value_style) = match style {
            Style::Plain | Style::Number => ("", ValueStyle::Plain),
            Style::Single => ("'", ValueStyle::SingleQuoted),
            Style::Double => ("\"", ValueStyle::DoubleQuoted),
            Style::Block(_) => ("", ValueStyle::Block),
        };
        self.out.push_str(quote);
        self.out.push_str(&scalar.text);
        self.out.push_str(quote);
        if scalar.role != Role::Other {
            self.written.push(Written {
                span: start..self.out.len(),
                value: scalar.text.clone(),
                style: value_style,
                role: scalar.role,
            });
        }
    }

    fn document(&mut self, document: &Document, start: bool, end: bool) {
        if start {
            self.out.push_str("---");
            self.out.push_str(self.eol);
        }
        match document {
            Document::Object(Node::Map {
                entries,
                flow: false,
            }) if !entries.is_empty() => self.block_map(entries, 0, false),
            Document::Object(root) => {
                self.flow(root);
                self.end_line(None);
            }
            Document::Comment(comment) => self.comment_line(0, comment),
        }
        if end {
            self.out.push_str("...");
            self.out.push_str(self.eol);
        }
    }

    /// A block mapping at `column`; with `inline_first`, the cursor already stands there
    /// (after `- `), so the first key takes no indentation and no comment line.
    fn block_map(&mut self, entries: &[Entry], column: usize, inline_first: bool) {
        for (index, entry) in entries.iter().enumerate() {
            if !(inline_first && index == 0) {
                if let Some(comment) = entry.comment_above {
                    self.comment_line(column, comment);
                }
                self.spaces(column);
            }
            self.out.push_str(entry.key);
            self.out.push(':');
            self.block_value(&entry.value, column, entry.comment);
        }
    }

    fn block_value(&mut self, node: &Node, column: usize, comment: Option<&str>) {
        match node {
            Node::Map {
                entries,
                flow: false,
            } if !entries.is_empty() => {
                self.end_line(comment);
                self.block_map(entries, column + self.indent, false);
            }
            Node::Seq { items, flow: false } if !items.is_empty() => {
                self.end_line(comment);
                let column = if self.indent_seqs {
                    column + self.indent
                } else {
                    column
                };
                for item in items {
                    self.spaces(column);
                    self.out.push_str("- ");
                    match item {
                        Node::Map {
                            entries,
                            flow: false,
                        } if !entries.is_empty() => self.block_map(entries, column + 2, true),
                        _ => {
                            self.flow(item);
                            self.end_line(None);
                        }
                    }
                }
            }
            Node::Scalar(
                scalar @ Scalar {
                    style: Style::Block(header),
                    ..
                },
            ) => {
                self.out.push(' ');
                self.out.push_str(header);
                self.end_line(comment);
                self.spaces(column + self.indent);
                self.token(scalar, scalar.style);
                self.out.push_str(self.eol);
            }
            _ => {
                self.out.push(' ');
                self.flow(node);
                self.end_line(comment);
            }
        }
    }

    /// Flow style on one line: no comments, and block scalars become double-quoted.
    fn flow(&mut self, node: &Node) {
        match node {
            Node::Scalar(scalar) => {
                let style = match scalar.style {
                    Style::Block(_) => Style::Double,
                    style => style,
                };
                self.token(scalar, style);
            }
            Node::Map { entries, .. } => {
                self.out.push('{');
                for (index, entry) in entries.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.out.push_str(entry.key);
                    self.out.push_str(": ");
                    self.flow(&entry.value);
                }
                self.out.push('}');
            }
            Node::Seq { items, .. } => {
                self.out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.out.push_str(", ");
                    }
                    self.flow(item);
                }
                self.out.push(']');
            }
        }
    }

    fn json(&mut self, node: &Node, depth: usize, pretty: bool) {
        let (open, close, children): (char, char, Vec<(Option<&str>, &Node)>) = match node {
            Node::Scalar(scalar) => {
                let style = match scalar.style {
                    Style::Number => Style::Number,
                    _ => Style::Double,
                };
                return self.token(scalar, style);
            }
            Node::Map { entries, .. } => (
                '{',
                '}',
                entries.iter().map(|e| (Some(e.key), &e.value)).collect(),
            ),
            Node::Seq { items, .. } => ('[', ']', items.iter().map(|i| (None, i)).collect()),
        };
        self.out.push(open);
        for (index, (key, child)) in children.iter().enumerate() {
            if index > 0 {
                self.out.push(',');
            }
            if pretty {
                self.out.push_str(self.eol);
                self.spaces((depth + 1) * self.indent);
            }
            if let Some(key) = key {
                self.out.push('"');
                self.out.push_str(key);
                self.out.push_str(if pretty { "\": " } else { "\":" });
            }
            self.json(child, depth + 1, pretty);
        }
        if pretty && !children.is_empty() {
            self.out.push_str(self.eol);
            self.spaces(depth * self.indent);
        }
        self.out.push(close);
    }
}

impl Manifest {
    fn render(&self) -> (String, Vec<Written>) {
        let (mut writer, layout) = match self {
            Manifest::Yaml {
                documents,
                leading_comment,
                layout,
            } => {
                let mut writer = Writer::new(layout);
                if let Some(comment) = leading_comment {
                    writer.comment_line(0, comment);
                }
                for (index, (document, start, end)) in documents.iter().enumerate() {
                    // Only the first document may go without `---`, and never a comment-only
                    // one (it would merge into the next).
                    let start = *start || index > 0 || matches!(document, Document::Comment(_));
                    writer.document(document, start, *end);
                }
                (writer, layout)
            }
            Manifest::Json {
                root,
                pretty,
                layout,
            } => {
                let mut writer = Writer::new(layout);
                writer.json(root, 0, *pretty);
                writer.out.push_str(writer.eol);
                (writer, layout)
            }
        };
        if !layout.final_newline {
            writer.out.truncate(writer.out.len() - writer.eol.len());
        }
        (writer.out, writer.written)
    }
}

/// Whether a plain scalar would not read as this string, for the texts generated here: YAML
/// booleans and nulls, and flow sequences (`[::1]:5000/a`).
fn needs_quotes(text: &str) -> bool {
    matches!(text, "true" | "false" | "null") || text.starts_with('[')
}

/// Registry hosts, with ports added at random; an uppercase host is a domain too.
static HOSTS: [&str; 9] = [
    "docker.io",
    "index.docker.io",
    "localhost",
    "quay.io",
    "registry.example.com",
    "10.0.0.7",
    "[::1]",
    "[fd00::1]",
    "Mirror",
];
static PATH_COMPONENTS: [&str; 10] = [
    "nginx", "library", "team", "a", "x9", "my-app", "my_app", "web.v2", "api__x", "0lead",
];
static TAGS: [&str; 8] = [
    "1",
    "1.27",
    "v1.30.1",
    "latest",
    "7-alpine",
    "2024.06_rc1",
    "A-B.c",
    "1e5",
];
static NAMES: [&str; 6] = ["web", "init", "sidecar", "a", "db-0", "true"];

fn pick(values: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(values)
        .prop_map(str::to_string)
        .boxed()
}

/// A valid reference: domains with ports (names, IPv4, IPv6), nested paths, tags, and some
/// digests (which pinning leaves alone).
fn reference() -> BoxedStrategy<String> {
    let domain = prop::option::weighted(
        0.4,
        (pick(&HOSTS), prop::option::of(1..=65535u16)).prop_map(|(host, port)| match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }),
    );
    let path = prop::collection::vec(pick(&PATH_COMPONENTS), 1..4);
    let tag = prop::option::weighted(0.8, pick(&TAGS));
    let digest = prop::option::weighted(0.15, any::<u8>());
    (domain, path, tag, digest)
        .prop_map(|(domain, path, tag, digest)| {
            let mut reference = domain.map_or(String::new(), |domain| domain + "/");
            reference.push_str(&path.join("/"));
            if let Some(tag) = tag {
                reference = format!("{reference}:{tag}");
            }
            if let Some(byte) = digest {
                reference = format!("{reference}@sha256:{}", format!("{byte:02x}").repeat(32));
            }
            reference
        })
        .boxed()
}

fn scalar(
    text: impl Strategy<Value = String> + 'static,
    styles: &'static [Style],
    role: Role,
) -> BoxedStrategy<Node> {
    (text, prop::sample::select(styles))
        .prop_map(move |(text, style)| {
            let style = if style == Style::Plain && needs_quotes(&text) {
                Style::Double
            } else {
                style
            };
            Node::Scalar(Scalar { text, style, role })
        })
        .boxed()
}

fn text(value: &'static str) -> BoxedStrategy<Node> {
    scalar(Just(value.to_string()), TEXT_STYLES, Role::Other)
}

fn number() -> BoxedStrategy<Node> {
    (1..65535u16)
        .prop_map(|n| {
            Node::Scalar(Scalar {
                text: n.to_string(),
                style: Style::Number,
                role: Role::Other,
            })
        })
        .boxed()
}

fn image(role: Role) -> BoxedStrategy<Node> {
    scalar(reference(), IMAGE_STYLES, role)
}

/// Text with an image inside, as annotations and config data hold.
fn image_text(role: Role) -> BoxedStrategy<Node> {
    scalar(
        reference().prop_map(|r| format!("image: {r}")),
        QUOTED_STYLES,
        role,
    )
}

fn entry(key: &'static str, value: BoxedStrategy<Node>) -> BoxedStrategy<Entry> {
    // One draw decides both comments (cheaper than two optional strategies): each byte gives
    // a comment one time in eight.
    let comment = |byte: u8| (byte < 32).then(|| COMMENTS[usize::from(byte) % COMMENTS.len()]);
    (value, any::<[u8; 2]>())
        .prop_map(move |(value, [above, after])| Entry {
            key,
            value,
            comment_above: comment(above),
            comment: comment(after),
        })
        .boxed()
}

fn required(key: &'static str, value: BoxedStrategy<Node>) -> BoxedStrategy<Option<Entry>> {
    entry(key, value).prop_map(Some).boxed()
}

fn optional(key: &'static str, value: BoxedStrategy<Node>) -> BoxedStrategy<Option<Entry>> {
    prop::option::of(entry(key, value)).boxed()
}

/// A mapping of the present entries in any order (`kind` may come last). The order comes from
/// a seed: proptest's own shuffle, a flat map, costs far more per case.
fn map(entries: Vec<BoxedStrategy<Option<Entry>>>) -> BoxedStrategy<Node> {
    (entries, any::<u64>(), prop::bool::weighted(0.15))
        .prop_map(|(entries, seed, flow)| {
            let mut entries: Vec<Entry> = entries.into_iter().flatten().collect();
            fastrand::Rng::with_seed(seed).shuffle(&mut entries);
            Node::Map { entries, flow }
        })
        .boxed()
}

fn seq(items: impl Strategy<Value = Vec<Node>> + 'static) -> BoxedStrategy<Node> {
    (items, prop::bool::weighted(0.2))
        .prop_map(|(items, flow)| Node::Seq { items, flow })
        .boxed()
}

fn container(role: Role) -> BoxedStrategy<Node> {
    let port = map(vec![required("containerPort", number())]);
    let env = map(vec![
        required("name", text("IMAGE")),
        required("value", image(Role::Decoy)),
    ]);
    map(vec![
        required("name", scalar(pick(&NAMES), TEXT_STYLES, Role::Other)),
        required("image", image(role)),
        optional("imagePullPolicy", text("IfNotPresent")),
        optional("ports", seq(prop::collection::vec(port, 1..3))),
        optional("env", seq(prop::collection::vec(env, 1..3))),
        optional("args", seq(vec![text("--image"), image(Role::Decoy)])),
    ])
}

fn containers(role: Role) -> BoxedStrategy<Node> {
    seq(prop::collection::vec(container(role), 0..4))
}

fn pod_spec(role: Role) -> BoxedStrategy<Node> {
    map(vec![
        optional("initContainers", containers(role)),
        required("containers", containers(role)),
        optional("restartPolicy", text("Always")),
    ])
}

fn metadata() -> BoxedStrategy<Node> {
    let annotations = map(vec![
        required("example.com/image", image_text(Role::Decoy)),
        optional("example.com/previous", image(Role::Decoy)),
    ]);
    map(vec![
        required("name", scalar(pick(&NAMES), TEXT_STYLES, Role::Other)),
        optional("annotations", annotations),
    ])
}

fn header(api_version: &'static str, kind: &'static str) -> Vec<BoxedStrategy<Option<Entry>>> {
    vec![
        required("apiVersion", text(api_version)),
        required("kind", text(kind)),
        required("metadata", metadata()),
    ]
}

fn pod() -> BoxedStrategy<Node> {
    let mut entries = header("v1", "Pod");
    entries.push(required("spec", pod_spec(Role::Image)));
    map(entries)
}

fn deployment() -> BoxedStrategy<Node> {
    let template = map(vec![
        optional("metadata", metadata()),
        required("spec", pod_spec(Role::Image)),
    ]);
    let spec = map(vec![
        optional("replicas", number()),
        required("template", template),
        // Not a Deployment image path: containers belong under the template.
        optional("containers", containers(Role::Decoy)),
    ]);
    let mut entries = header("apps/v1", "Deployment");
    entries.push(required("spec", spec));
    map(entries)
}

fn cron_job() -> BoxedStrategy<Node> {
    let template = map(vec![required("spec", pod_spec(Role::Image))]);
    let job_spec = map(vec![required("template", template)]);
    let spec = map(vec![
        required(
            "schedule",
            scalar(Just("*/5 * * * *".to_string()), QUOTED_STYLES, Role::Other),
        ),
        required("jobTemplate", map(vec![required("spec", job_spec)])),
    ]);
    let mut entries = header("batch/v1", "CronJob");
    entries.push(required("spec", spec));
    map(entries)
}

/// Image-like values everywhere, and even a pod spec, in a kind without image paths.
fn config_map() -> BoxedStrategy<Node> {
    let data = map(vec![
        optional("image", image(Role::Decoy)),
        optional("values.yaml", image_text(Role::Decoy)),
    ]);
    let mut entries = header("v1", "ConfigMap");
    entries.push(optional("data", data));
    entries.push(optional("spec", pod_spec(Role::Decoy)));
    map(entries)
}

fn object() -> BoxedStrategy<Node> {
    prop_oneof![pod(), deployment(), cron_job(), config_map()].boxed()
}

fn list() -> BoxedStrategy<Node> {
    map(vec![
        required("apiVersion", text("v1")),
        required("kind", text("List")),
        required("items", seq(prop::collection::vec(object(), 0..3))),
    ])
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop::sample::select(vec![2, 4]),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(indent, indent_seqs, crlf, final_newline)| Layout {
            indent,
            indent_seqs,
            crlf,
            final_newline,
        })
}

fn manifest() -> impl Strategy<Value = Manifest> {
    let document = prop_oneof![
        6 => object().prop_map(Document::Object),
        2 => list().prop_map(Document::Object),
        1 => prop::sample::select(&COMMENTS[..]).prop_map(Document::Comment),
    ];
    let yaml = (
        prop::collection::vec((document, any::<bool>(), prop::bool::weighted(0.2)), 1..4),
        prop::option::weighted(0.3, prop::sample::select(&COMMENTS[..])),
        layout(),
    )
        .prop_map(|(documents, leading_comment, layout)| Manifest::Yaml {
            documents,
            leading_comment,
            layout,
        });
    let json = (
        prop_oneof![4 => object(), 1 => list()],
        any::<bool>(),
        layout(),
    )
        .prop_map(|(root, pretty, layout)| Manifest::Json {
            root,
            pretty,
            layout,
        });
    prop_oneof![4 => yaml, 1 => json]
}

fn pinned(value: &str) -> String {
    ImageReference::parse(value)
        .unwrap_or_else(|error| panic!("generated {value:?} is not a reference: {error}"))
        .pinned(DIGEST, false)
}

fn locate(source: &str) -> Result<Vec<LocatedImage>, TestCaseError> {
    locate_images(source, &builtin_image_paths())
        .map_err(|error| TestCaseError::fail(format!("{error}\n{source}")))
}

/// Pins every located value that carries no digest yet, as `pin` does.
fn pin(source: &str) -> Result<(String, Vec<Replacement>), TestCaseError> {
    let replacements: Vec<Replacement> = locate(source)?
        .iter()
        .filter(|image| !image.value.contains('@'))
        .map(|image| {
            let digest = Digest::parse(DIGEST).unwrap();
            Replacement::pin(
                image.span.clone(),
                &pinned(&image.value),
                image.style,
                &digest,
                None,
            )
            .expect("a reference pinned to DIGEST")
        })
        .collect();
    Ok((splice(source, &replacements), replacements))
}

fn shifted(at: usize, shift: isize) -> usize {
    at.checked_add_signed(shift)
        .expect("a position in the output")
}

/// Where each replacement's text lies in the output.
fn output_spans(replacements: &[Replacement]) -> Vec<Range<usize>> {
    let mut shift = 0isize;
    replacements
        .iter()
        .map(|replacement| {
            let start = shifted(replacement.span.start, shift);
            shift += replacement.text.len() as isize - replacement.span.len() as isize;
            start..start + replacement.text.len()
        })
        .collect()
}

/// The parser's events with the byte range of each (the parser counts characters).
fn events(source: &str) -> Result<Vec<(Event<'_>, Range<usize>)>, TestCaseError> {
    let bytes: Vec<usize> = source
        .char_indices()
        .map(|(at, _)| at)
        .chain([source.len()])
        .collect();
    let byte = |index: usize| bytes[index.min(bytes.len() - 1)];
    Parser::new_from_str(source)
        .map(|event| {
            event
                .map(|(event, span)| (event, byte(span.start.index())..byte(span.end.index())))
                .map_err(|error| TestCaseError::fail(format!("{error}\n{source}")))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) Exactly the values at image paths of workload kinds, in order, with their exact
    /// token spans and styles; no decoy.
    #[test]
    fn locate_finds_exactly_the_image_values(manifest in manifest()) {
        let (source, written) = manifest.render();
        let located = locate(&source)?;
        for decoy in written.iter().filter(|w| w.role == Role::Decoy) {
            prop_assert!(
                !located.iter().any(|image| image.span == decoy.span),
                "decoy {:?} located in\n{}", decoy.value, source
            );
        }
        let found: Vec<Written> = located
            .into_iter()
            .map(|image| Written {
                span: image.span,
                value: image.value,
                style: image.style,
                role: Role::Image,
            })
            .collect();
        let expected: Vec<Written> =
            written.into_iter().filter(|w| w.role == Role::Image).collect();
        prop_assert_eq!(found, expected, "in\n{}", source);
    }

    /// (b) Pinning changes only the image spans: putting the old values back into the
    /// output gives the input byte for byte.
    #[test]
    fn pinning_changes_only_the_image_spans(manifest in manifest()) {
        let (source, _) = manifest.render();
        let (output, replacements) = pin(&source)?;
        let mut restored = String::new();
        let mut copied = 0;
        for (replacement, span) in replacements.iter().zip(output_spans(&replacements)) {
            prop_assert_eq!(&output[span.clone()], replacement.text.as_str());
            restored.push_str(&output[copied..span.start]);
            restored.push_str(&source[replacement.span.clone()]);
            copied = span.end;
        }
        restored.push_str(&output[copied..]);
        prop_assert_eq!(restored, source);
    }

    /// (c) The output holds the pinned values where the old ones were, and pinning it again
    /// changes nothing.
    #[test]
    fn pinning_is_idempotent(manifest in manifest()) {
        let (source, _) = manifest.render();
        let before = locate(&source)?;
        let (output, replacements) = pin(&source)?;
        let after = locate(&output)?;
        let mut shift = 0isize;
        let mut replaced = replacements.iter().peekable();
        prop_assert_eq!(before.len(), after.len());
        for (old, new) in before.iter().zip(&after) {
            let start = shifted(old.span.start, shift);
            let (value, len) = match replaced.next_if(|r| r.span == old.span) {
                Some(replacement) => {
                    shift += replacement.text.len() as isize - old.span.len() as isize;
                    (pinned(&old.value), replacement.text.len())
                }
                None => (old.value.clone(), old.span.len()),
            };
            prop_assert_eq!(&new.span, &(start..start + len));
            prop_assert_eq!(&new.value, &value);
            prop_assert_eq!(new.style, old.style);
        }
        let (again, _) = pin(&output)?;
        prop_assert_eq!(again, output);
    }

    /// (d) The output parses, into the same events as the input but for the pinned values.
    #[test]
    fn output_parses_to_the_same_events(manifest in manifest()) {
        let (source, _) = manifest.render();
        let (output, replacements) = pin(&source)?;
        let old = events(&source)?;
        let new = events(&output)?;
        prop_assert_eq!(old.len(), new.len(), "in\n{}\nout\n{}", source, output);
        for ((old, old_span), (new, _)) in old.into_iter().zip(new) {
            let expected = match old {
                Event::Scalar(value, style, anchor, tag)
                    if replacements.iter().any(|r| old_span.contains(&r.span.start)) =>
                {
                    Event::Scalar(pinned(&value).into(), style, anchor, tag)
                }
                old => old,
            };
            prop_assert_eq!(new, expected);
        }
    }
}

/// Every event (with its span) or the first error, as the parser reads `source` through `input`.
fn read_through<I: saphyr_parser::Input>(
    parser: Parser<'_, I>,
) -> Vec<Result<(Event<'_>, saphyr_parser::Span), saphyr_parser::ScanError>> {
    let mut read = Vec::new();
    for event in parser {
        let failed = event.is_err();
        read.push(event);
        if failed {
            break;
        }
    }
    read
}

/// The vendored parser reads a `&str` a run of bytes at a time (vendor/saphyr-parser/PATCHES.md,
/// 2) and any other input a character at a time; both must read the same.
fn reads_alike(source: &str) -> Result<(), TestCaseError> {
    let by_runs = read_through(Parser::new_from_str(source));
    let by_chars = read_through(Parser::new_from_iter(source.chars()));
    prop_assert_eq!(by_runs, by_chars, "{:?}", source);
    Ok(())
}

/// Text made of what YAML's scanner decides on: blanks, breaks, indicators, quotes, a byte order
/// mark, NUL, and letters of one, two and three bytes.
fn yaml_like_text() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        " ", "  ", "    ", "\t", "\n", "\r\n", "\r", ":", ": ", "-", "- ", "#", " #", ",", "[",
        "]", "{", "}", "|", "|-", ">", "\"", "'", "\\", "&a", "*a", "!t", "?", "---", "...", "%",
        "a", "key", "im", "é", "注", "\u{FEFF}", "\0", "1", ".",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..120).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Generated manifests in every layout read alike.
    #[test]
    fn the_byte_runs_read_manifests_as_characters_do(manifest in manifest()) {
        reads_alike(&manifest.render().0)?;
    }

    /// So do YAML-like texts, valid or not: the same events, spans and first error.
    #[test]
    fn the_byte_runs_read_any_text_as_characters_do(text in yaml_like_text()) {
        reads_alike(&text)?;
    }
}

/// ... and every input of the YAML test suite, valid or not.
#[test]
fn the_byte_runs_read_the_yaml_test_suite_as_characters_do() {
    for (path, text) in yaml_test_suite_inputs() {
        reads_alike(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}

/// ... and every YAML and JSON file of the repository's test data.
#[test]
fn the_byte_runs_read_every_test_file_as_characters_do() {
    for path in test_data_files(&["yaml", "yml", "json"]) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        reads_alike(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}
