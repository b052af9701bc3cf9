//! Proves, line by line and without the YAML parser, that a document is well-formed YAML of a
//! plain block shape whose root names a kind no image rule applies to: such a document holds no
//! image and cannot make the locator fail, so a large stream's locator skips it (issue 19: the
//! CRDs of real manifests are most of their bytes and hold no image).
//!
//! The shape is deliberately narrow: block mappings with plain keys and block sequences; plain,
//! quoted and block scalars; `{}` and `[]`; comments. Anything else (flow collections, anchors,
//! aliases, tags, directives, tabs, carriage returns, control characters, a byte order mark, a
//! plain value continued past a comment or by a line holding `: `, a duplicate key at any level,
//! deep nesting) is not proven, and the document is parsed as before. A document proven here is
//! one the parser reads without error (the property tests below and the YAML test suite).

use std::collections::HashSet;

use super::image_paths::ImagePath;

/// Whether `document` (one document's text, from its `---` line if it has one) is proven
/// well-formed and of a kind no rule of `rules` applies to.
pub fn holds_no_image(document: &str, rules: &[ImagePath]) -> bool {
    let uncovered =
        |kind: &str| !kind.ends_with("List") && !rules.iter().any(|rule| rule.matches_kind(kind));
    // A proven kind is a `kind:` line at the start of a line, most often the second: a workload
    // is known by it without proving the rest.
    let written = document.lines().find_map(|line| line.strip_prefix("kind:"));
    if !written.is_some_and(|kind| uncovered(kind.trim())) {
        return false;
    }
    plain_shape(document).is_some_and(|kind| kind.is_some_and(uncovered))
}

/// Nesting beyond this is left to the parser (and the locator's own limits).
const MAX_DEPTH: usize = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Mapping,
    Sequence,
}

struct Level<'a> {
    indent: usize,
    collection: Collection,
    keys: Keys<'a>,
}

/// A mapping's keys: foldhash, as std's SipHash was a tenth of the offline pass.
type Keys<'a> = HashSet<&'a str, foldhash::fast::RandomState>;

/// What the lines that follow may continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    /// A key or `-` with nothing after it: a deeper line is its value; for a key, so is a
    /// sequence at the key's own indentation.
    Value {
        parent: usize,
        of_key: bool,
    },
    /// A plain scalar: lines indented at least this much continue it.
    Plain {
        min_indent: usize,
    },
    /// A quoted scalar not closed yet.
    Quoted {
        single: bool,
        min_indent: usize,
    },
    /// A block scalar in a collection at `parent`; its content indentation once known.
    Block {
        parent: usize,
        content: Option<usize>,
    },
}

/// `Some(kind)` (the root mapping's plain `kind`, if any) when `document` is proven well-formed
/// YAML of the plain shape; `None` when it is not proven.
fn plain_shape(document: &str) -> Option<Option<&str>> {
    let bytes = document.as_bytes();
    if bytes
        .iter()
        .any(|&byte| (byte < 0x20 && byte != b'\n') || byte == 0x7F)
        || (bytes.contains(&0xEF) && document.contains('\u{FEFF}'))
    {
        return None;
    }
    let mut levels: Vec<Level> = Vec::new();
    let mut open = Open::Nothing;
    let mut kind = None;
    let mut started = false;
    for (number, line) in document.split('\n').enumerate() {
        if number == 0 && line.starts_with("---") {
            if !is_blank_or_comment(&line[3..], false) {
                return None;
            }
            continue;
        }
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = &line[indent..];
        // Lines inside a scalar first: they are content, whatever they look like.
        match open {
            Open::Quoted { single, min_indent } => {
                if content.is_empty() {
                    continue;
                }
                if indent < min_indent {
                    return None;
                }
                open = match quoted_end(content, single)? {
                    Some(rest) if is_blank_or_comment(rest, false) => Open::Nothing,
                    Some(_) => return None,
                    None => open,
                };
                continue;
            }
            Open::Block {
                parent,
                content: block_indent,
            } => {
                if content.is_empty() {
                    if block_indent.is_none() && indent > 0 {
                        // A leading line of spaces only: the parser's rules about its length
                        // are not worth proving here.
                        return None;
                    }
                    continue;
                }
                match block_indent {
                    Some(block_indent) if indent >= block_indent => continue,
                    None if indent > parent => {
                        open = Open::Block {
                            parent,
                            content: Some(indent),
                        };
                        continue;
                    }
                    _ => open = Open::Nothing,
                }
            }
            Open::Plain { min_indent } => {
                if content.is_empty() {
                    continue;
                }
                if indent >= min_indent {
                    if !plain_continuation(content) {
                        return None;
                    }
                    continue;
                }
                open = Open::Nothing;
            }
            Open::Nothing | Open::Value { .. } => {}
        }
        if content.is_empty() || content.starts_with('#') {
            // A comment or an empty line; one inside a plain scalar ended it above, and a
            // deeper line after it fails below.
            continue;
        }
        let entry = if content == "-" || content.starts_with("- ") {
            Collection::Sequence
        } else {
            Collection::Mapping
        };
        // Where this line belongs: a new collection under an open value, or a level that is
        // already there.
        let nested = match open {
            Open::Value { parent, of_key } => {
                indent > parent || (of_key && indent == parent && entry == Collection::Sequence)
            }
            _ => false,
        };
        if nested {
            if levels.len() >= MAX_DEPTH {
                return None;
            }
            levels.push(Level {
                indent,
                collection: entry,
                keys: Keys::default(),
            });
        } else if !started {
            if indent != 0 || entry != Collection::Mapping {
                return None;
            }
            started = true;
            levels.push(Level {
                indent: 0,
                collection: Collection::Mapping,
                keys: Keys::default(),
            });
        } else {
            while levels.last().is_some_and(|level| level.indent > indent) {
                levels.pop();
            }
            // A sequence that is a key's value at the key's own indentation ends where the
            // next key of that mapping starts.
            if entry == Collection::Mapping
                && levels.last().is_some_and(|level| {
                    level.indent == indent && level.collection == Collection::Sequence
                })
                && levels.len() >= 2
                && levels[levels.len() - 2].indent == indent
            {
                levels.pop();
            }
            match levels.last() {
                Some(level) if level.indent == indent && level.collection == entry => {}
                _ => return None,
            }
        }
        let root = levels.len() == 1;
        let mut column = indent;
        let mut rest = content;
        // `- ` entries: what follows the dash is a node of its own, a mapping if it is a key.
        if entry == Collection::Sequence {
            let after = &rest[1..];
            let spaces = after.len() - after.trim_start_matches(' ').len();
            rest = &after[spaces..];
            column += 1 + spaces;
            if is_blank_or_comment(rest, spaces > 0 || rest.is_empty()) {
                open = Open::Value {
                    parent: indent,
                    of_key: false,
                };
                continue;
            }
            if rest.starts_with("- ") || rest == "-" {
                return None;
            }
            match key_and_value(rest) {
                Some(_) => {
                    if levels.len() >= MAX_DEPTH {
                        return None;
                    }
                    levels.push(Level {
                        indent: column,
                        collection: Collection::Mapping,
                        keys: Keys::default(),
                    });
                }
                None => {
                    open = value(rest, indent)?;
                    continue;
                }
            }
        }
        let (key, value_text) = key_and_value(rest)?;
        let level = levels.last_mut().expect("a level was pushed or found");
        if !level.keys.insert(key) {
            return None;
        }
        if root && key == "kind" {
            kind = Some(plain_word(value_text)?);
        }
        if is_blank_or_comment(value_text, true) {
            open = Open::Value {
                parent: column,
                of_key: true,
            };
        } else {
            open = value(value_text, column)?;
        }
    }
    match open {
        Open::Quoted { .. } => None,
        _ if started => Some(kind),
        _ => None,
    }
}

/// A plain key of the characters Kubernetes field names use, and the text after its `: `.
fn key_and_value(text: &str) -> Option<(&str, &str)> {
    let end = text
        .bytes()
        .position(|byte| !(byte.is_ascii_alphanumeric() || b"_$./-".contains(&byte)))
        .unwrap_or(text.len());
    let (key, rest) = text.split_at(end);
    let first = *key.as_bytes().first()?;
    // The parser takes a key of over 1024 characters for a scalar that is no key.
    if first == b'-' || first == b'.' || key.len() > 512 {
        return None;
    }
    let rest = rest.strip_prefix(':')?;
    if rest.is_empty() {
        return Some((key, rest));
    }
    let value = rest.strip_prefix(' ')?;
    Some((key, value.trim_start_matches(' ')))
}

/// The scalar a value starts with, in a collection at `parent`: what the next lines may
/// continue, or `None` where it is not proven.
fn value(text: &str, parent: usize) -> Option<Open> {
    let first = text.as_bytes()[0];
    match first {
        b'\'' | b'"' => {
            let single = first == b'\'';
            Some(match quoted_end(&text[1..], single)? {
                Some(rest) if is_blank_or_comment(rest, false) => Open::Nothing,
                Some(_) => return None,
                None => Open::Quoted {
                    single,
                    min_indent: parent + 1,
                },
            })
        }
        b'|' | b'>' => {
            let header = &text[1..];
            let chomping = header.strip_prefix(['-', '+']).unwrap_or(header);
            is_blank_or_comment(chomping, false).then_some(Open::Block {
                parent,
                content: None,
            })
        }
        b'{' | b'[' => {
            let rest = text
                .strip_prefix("{}")
                .or_else(|| text.strip_prefix("[]"))?;
            is_blank_or_comment(rest, false).then_some(Open::Nothing)
        }
        _ => {
            let (scalar, comment) = plain_text(text)?;
            if !plain_start(scalar) {
                return None;
            }
            // A comment ends a plain scalar; a line continuing it after one is an error the
            // parser reports, so none may follow.
            Some(if comment {
                Open::Nothing
            } else {
                Open::Plain {
                    min_indent: parent + 1,
                }
            })
        }
    }
}

/// A plain scalar may start with this text: not with an indicator, nor with `-`, `?` or `:`
/// before a space.
fn plain_start(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes.first() {
        None => false,
        Some(b'-' | b'?' | b':') => bytes.get(1).is_some_and(|&next| next != b' '),
        Some(first) => !b",[]{}#&*!|>'\"%@`".contains(first),
    }
}

/// A plain scalar's text on a line, before a comment (` #`), and whether one follows; `None`
/// where the text holds a `:` before a space or the end, which would make it a key.
fn plain_text(text: &str) -> Option<(&str, bool)> {
    let bytes = text.as_bytes();
    for (at, &byte) in bytes.iter().enumerate() {
        match byte {
            b':' if matches!(bytes.get(at + 1), None | Some(b' ')) => return None,
            b'#' if at > 0 && bytes[at - 1] == b' ' => return Some((&text[..at - 1], true)),
            _ => {}
        }
    }
    Some((text, false))
}

/// A line continuing a plain scalar: no comment and no `: `. Any other first character is text
/// there (the scanner reads on to the end of the scalar; `"2m", "1h")` in argo-cd's CRDs).
fn plain_continuation(text: &str) -> bool {
    !text.starts_with('#') && plain_text(text).is_some_and(|(_, comment)| !comment)
}

/// Nothing but spaces and, after at least one space (or at the start when `may_start`: the text
/// follows a space already), a comment.
fn is_blank_or_comment(text: &str, may_start: bool) -> bool {
    let trimmed = text.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && (may_start || trimmed.len() < text.len()))
}

/// A root `kind` written as a plain word.
fn plain_word(text: &str) -> Option<&str> {
    let word = plain_text(text)?.0.trim_end_matches(' ');
    (!word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphanumeric())).then_some(word)
}

/// Where a quoted scalar whose text starts `text` (after the opening quote, or a continued
/// line) closes on this line: `Some(Some(after the quote))`, `Some(None)` if it goes on, `None`
/// if it holds an escape that is not proven valid.
fn quoted_end(text: &str, single: bool) -> Option<Option<&str>> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match (single, bytes[at]) {
            (true, b'\'') => {
                if bytes.get(at + 1) == Some(&b'\'') {
                    at += 2;
                    continue;
                }
                return Some(Some(&text[at + 1..]));
            }
            (false, b'"') => return Some(Some(&text[at + 1..])),
            (false, b'\\') => {
                let escape = *bytes.get(at + 1)?;
                let digits = match escape {
                    b'x' => 2,
                    b'u' => 4,
                    b'U' => 8,
                    b'0' | b'a' | b'b' | b't' | b'n' | b'v' | b'f' | b'r' | b'e' | b' ' | b'"'
                    | b'\'' | b'\\' | b'N' | b'_' | b'L' | b'P' => 0,
                    _ => return None,
                };
                let hex = text.get(at + 2..at + 2 + digits)?;
                if digits > 0 {
                    let code = u32::from_str_radix(hex, 16).ok()?;
                    if !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                        return None;
                    }
                    char::from_u32(code)?;
                }
                at += 2 + digits;
            }
            _ => at += 1,
        }
    }
    // A line that ends inside a double-quoted scalar with a trailing `\` escapes the break:
    // proven only without one.
    Some(None)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use saphyr_parser::Parser;

    use super::*;
    use crate::core::image_paths::builtin_image_paths;
    use crate::core::locate::{document_bounds, locate_images};
    use kubectl_immutable_test_support::test_data::{
        test_data, test_data_files, yaml_test_suite_inputs,
    };

    /// The parser reads `text` without an error.
    fn parses(text: &str) -> bool {
        Parser::new_from_str(text).all(|event| event.is_ok())
    }

    /// Whatever is proven parses, and holds no image for the locator.
    fn proven_means_parsed(text: &str) -> Result<(), TestCaseError> {
        if plain_shape(text).is_some() {
            prop_assert!(parses(text), "proven but not parsed: {:?}", text);
        }
        if holds_no_image(text, &builtin_image_paths()) {
            let found = locate_images(text, &builtin_image_paths());
            prop_assert_eq!(found, Ok(Vec::new()), "{:?}", text);
        }
        Ok(())
    }

    /// The documents of `text`, each from its `---` line, as the locator cuts them.
    fn documents(text: &str) -> Vec<&str> {
        document_bounds(text)
            .windows(2)
            .map(|pair| &text[pair[0]..pair[1]])
            .collect()
    }

    /// Lines a CRD's schema is made of, at their indentation, and lines that break it.
    const LINES: &[&str] = &[
        "a: b",
        "kind: CustomResourceDefinition",
        "kind: Deployment",
        "kind: PodList",
        "type: object",
        "description: text that goes on",
        "  on the next line",
        "description: 'it''s quoted",
        "  and goes on'",
        "description: \"a \\u00e9 b\"",
        "description: \"bad \\q\"",
        "description: |-",
        "  block line",
        "    deeper block line",
        "description: >",
        "properties:",
        "  spec:",
        "    type: string",
        "- name: x",
        "  image: nginx",
        "-",
        "- - a",
        "items: {}",
        "items: [a]",
        "enum:",
        "- A",
        "x-kubernetes-preserve-unknown-fields: true",
        "# a comment",
        "key: value # comment",
        "key: a: b",
        "key: &anchor x",
        "key: *alias",
        "key: !tag x",
        "key: -",
        "key: - a",
        "key:",
        "  ",
        "",
        "\tkey: tab",
        "key: x\r",
        "---",
        "...",
        "%YAML 1.2",
        "\"quoted\": key",
        "a:b: c",
        "key: 'open",
        "key: \"open",
        "  closed'",
        "@x: y",
        "key: `x`",
        "key: ? x",
        "? complex",
        ": value",
        "key: é ✓",
        "\"2m\", \"1h\")",
        "- not a list",
        "[not flow",
        "*not alias",
        "!not tag",
        "&not anchor",
        "|not block",
        "? not key",
        "% percent",
        "@ at",
        ",comma",
        "words # comment",
    ];

    fn document() -> impl Strategy<Value = String> {
        prop::collection::vec((0usize..8, prop::sample::select(LINES)), 0..24).prop_map(|lines| {
            lines
                .into_iter()
                .map(|(depth, line)| format!("{}{line}\n", "  ".repeat(depth)))
                .collect()
        })
    }

    /// A node of a generated block-style document.
    #[derive(Debug, Clone)]
    enum Node {
        Mapping(Vec<Node>),
        Sequence(Vec<Node>),
        /// A scalar's lines as written after `key: ` or `- ` (the first) and below it.
        Scalar(Vec<String>),
    }

    /// Words of plain scalars, including ones that look like indicators inside a line.
    const WORDS: &[&str] = &[
        "a",
        "word",
        "b-c",
        "x:y",
        "http://x/y",
        "1",
        "true",
        "-1",
        "é",
        "注",
        "a#b",
        "[a]",
        "{b}",
        "'s",
        "\"q\"",
        "*",
        "&",
        "!",
        "|",
        ">",
        "%",
        "@",
        ",",
        "?x",
        ":x",
    ];

    fn words(count: std::ops::Range<usize>) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), count).prop_map(|words| words.join(" "))
    }

    fn scalar() -> impl Strategy<Value = Node> {
        prop_oneof![
            // plain, on one line or more; the first word starts a plain scalar
            (
                prop::sample::select(&["a", "word", "1", "b-c", "é"][..]),
                prop::collection::vec(words(1..4), 0..3)
            )
                .prop_map(|(first, more)| {
                    let mut lines = vec![first.to_string()];
                    lines.extend(more);
                    Node::Scalar(lines)
                }),
            prop::collection::vec(words(0..4), 1..3).prop_map(|lines| {
                let text = lines.join("\n").replace('\'', "''");
                Node::Scalar(format!("'{text}'").split('\n').map(str::to_owned).collect())
            }),
            prop::collection::vec(words(0..4), 1..3).prop_map(|lines| {
                let text = lines.join("\n").replace('\\', "\\\\").replace('"', "\\\"");
                Node::Scalar(
                    format!("\"{text} \\u00e9\\t\"")
                        .split('\n')
                        .map(str::to_owned)
                        .collect(),
                )
            }),
            (
                prop::sample::select(&["|", "|-", "|+", ">", ">-"][..]),
                prop::collection::vec(words(0..4), 1..4)
            )
                .prop_map(|(header, lines)| {
                    let mut all = vec![header.to_string()];
                    all.extend(
                        lines
                            .into_iter()
                            .map(|line| if line.is_empty() { "x".into() } else { line }),
                    );
                    Node::Scalar(all)
                }),
            Just(Node::Scalar(vec!["{}".into()])),
            Just(Node::Scalar(vec!["[]".into()])),
        ]
    }

    fn node() -> impl Strategy<Value = Node> {
        scalar().prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..5).prop_map(Node::Mapping),
                prop::collection::vec(inner, 1..5).prop_map(Node::Sequence),
            ]
        })
    }

    /// Renders `node` as the value of a key (`in_key`) or a sequence entry written at
    /// `column` (where the key or the `-` is), appending to `out`; `lead` is what the line
    /// starts with (`key:` or `-`); `compact` writes a key's sequence at the key's column.
    fn render(node: &Node, lead: &str, column: usize, compact: bool, out: &mut Vec<String>) {
        let pad = " ".repeat(column);
        match node {
            Node::Scalar(lines) => {
                out.push(format!("{pad}{lead} {}", lines[0]));
                for line in &lines[1..] {
                    out.push(format!("{pad}  {line}"));
                }
            }
            Node::Mapping(entries) => {
                let first = out.len();
                out.push(format!("{pad}{lead}"));
                for (i, entry) in entries.iter().enumerate() {
                    render(entry, &format!("key{i}:"), column + 2, compact, out);
                }
                if lead == "-" && compact {
                    // `- key0: …`: the first entry on the dash's line.
                    let entry = out.remove(first + 1);
                    out[first] = format!("{pad}- {}", &entry[column + 2..]);
                }
            }
            Node::Sequence(items) => {
                out.push(format!("{pad}{lead}"));
                let at = if compact && lead.ends_with(':') {
                    column
                } else {
                    column + 2
                };
                for item in items {
                    render(item, "-", at, !compact, out);
                }
            }
        }
    }

    /// A generated CRD-like document, and the lines it was written as.
    fn crd() -> impl Strategy<Value = Vec<String>> {
        (
            prop::collection::vec(node(), 1..5),
            any::<bool>(),
            0usize..3,
        )
            .prop_map(|(entries, compact, comments)| {
                let mut lines = vec!["---".to_string(), "kind: CustomResourceDefinition".into()];
                for (i, entry) in entries.iter().enumerate() {
                    render(entry, &format!("field{i}:"), 0, compact, &mut lines);
                }
                for i in 0..comments {
                    lines.insert(2 + i, "# a comment".into());
                }
                lines
            })
    }

    /// What may be done to one line of a generated document.
    #[derive(Debug, Clone)]
    enum Mutation {
        Indent(usize, isize),
        Insert(usize, usize, &'static str),
        Delete(usize),
        Byte(usize, usize, char),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (any::<usize>(), -2isize..3).prop_map(|(at, by)| Mutation::Indent(at, by)),
            (any::<usize>(), 0usize..8, prop::sample::select(LINES))
                .prop_map(|(at, depth, line)| Mutation::Insert(at, depth, line)),
            any::<usize>().prop_map(Mutation::Delete),
            (
                any::<usize>(),
                any::<usize>(),
                prop::sample::select(
                    &[
                        ':', '#', '\'', '"', '-', '\\', ' ', '|', '{', '&', '*', '!', '?'
                    ][..]
                )
            )
                .prop_map(|(at, offset, c)| Mutation::Byte(at, offset, c)),
        ]
    }

    fn mutate(lines: &mut Vec<String>, mutation: &Mutation) {
        let pick = |at: usize, lines: &Vec<String>| at % lines.len().max(1);
        match *mutation {
            Mutation::Indent(at, by) => {
                let at = pick(at, lines);
                if let Some(line) = lines.get_mut(at) {
                    if by > 0 {
                        line.insert_str(0, &" ".repeat(by as usize));
                    } else {
                        let spaces = line.len() - line.trim_start_matches(' ').len();
                        line.drain(..spaces.min(by.unsigned_abs()));
                    }
                }
            }
            Mutation::Insert(at, depth, text) => {
                let at = pick(at, lines);
                lines.insert(at, format!("{}{text}", "  ".repeat(depth)));
            }
            Mutation::Delete(at) => {
                let at = pick(at, lines);
                if at < lines.len() {
                    lines.remove(at);
                }
            }
            Mutation::Byte(at, offset, c) => {
                let at = pick(at, lines);
                if let Some(line) = lines.get_mut(at) {
                    let boundaries: Vec<usize> = line
                        .char_indices()
                        .map(|(i, _)| i)
                        .chain([line.len()])
                        .collect();
                    line.insert(boundaries[offset % boundaries.len()], c);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8192))]

        /// Generated documents, well-formed or not: what is proven parses.
        #[test]
        fn a_proven_document_parses(text in document()) {
            proven_means_parsed(&text)?;
        }

        /// Generated CRDs in block style are proven (the shape is what real CRDs are made of),
        /// and read by the locator as holding no image.
        #[test]
        fn a_generated_crd_is_proven(lines in crd()) {
            let text = lines.join("\n") + "\n";
            prop_assert!(plain_shape(&text).is_some(), "not proven:\n{}", text);
            proven_means_parsed(&text)?;
        }

        /// The same CRDs, broken in up to three places: whatever is still proven parses.
        #[test]
        fn a_broken_crd_is_proven_only_if_it_parses(
            lines in crd(),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let mut lines = lines;
            for mutation in &mutations {
                mutate(&mut lines, mutation);
            }
            proven_means_parsed(&(lines.join("\n") + "\n"))?;
        }

        /// The same from the root's indentation, so that more of them are proven.
        #[test]
        fn a_proven_document_from_the_root_parses(
            lines in prop::collection::vec((0usize..4, prop::sample::select(LINES)), 1..24)
        ) {
            let mut text = String::from("kind: CustomResourceDefinition\n");
            for (depth, line) in lines {
                text.push_str(&"  ".repeat(depth));
                text.push_str(line);
                text.push('\n');
            }
            proven_means_parsed(&text)?;
        }
    }

    /// The YAML test suite's inputs, made to be hard: whatever is proven parses.
    #[test]
    fn every_proven_input_of_the_yaml_test_suite_parses() {
        let mut proven = 0;
        for (path, input) in yaml_test_suite_inputs() {
            if plain_shape(&input).is_some() {
                proven += 1;
                assert!(
                    parses(&input),
                    "{}: proven, not parsed: {input:?}",
                    path.display()
                );
            }
        }
        assert!(
            proven > 20,
            "only {proven} suite inputs proven: the test proves little"
        );
    }

    /// Every document of the repository's test data: what is proven parses and holds no
    /// image; and the argo-cd CRDs, most of its bytes, are proven.
    #[test]
    fn every_proven_test_document_parses_and_the_crds_are_proven() {
        for path in test_data_files(&["yaml", "yml"]) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for document in documents(&text) {
                proven_means_parsed(document)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            }
        }
        let argo =
            std::fs::read_to_string(test_data().join("corpus/argo-cd-install.yaml")).unwrap();
        let skipped: usize = documents(&argo)
            .into_iter()
            .filter(|document| holds_no_image(document, &builtin_image_paths()))
            .map(str::len)
            .sum();
        assert!(
            skipped * 10 > argo.len() * 9,
            "only {skipped} of {} bytes proven image-free",
            argo.len()
        );
    }
}
