//! Splices new image values into the original bytes: everything outside the replaced spans is
//! copied unchanged, so comments, order, quoting, indentation and line endings survive.

use std::io::Write;
use std::ops::Range;

use super::locate::ValueStyle;
use super::reference::{Digest, ImageReference, shortened};

/// New text for one byte span of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub span: Range<usize>,
    pub text: String,
}

impl Replacement {
    /// The replacement of an image value by `value`, its pin to `digest`, written in the style
    /// the old value used. `value` must be a reference pinned to `digest`, or, for a value
    /// composed from text as `written` (a Dockerfile's `golang:${GO_VERSION}`), a beginning of
    /// that text followed by `@digest`: then it needs no escaping in any style and ends no
    /// scalar early. Anything else is refused, in every build: whatever a registry or a file
    /// made of it, no text but a reference reaches the output.
    pub fn pin(
        span: Range<usize>,
        value: &str,
        style: ValueStyle,
        digest: &Digest,
        written: Option<&str>,
    ) -> Result<Self, NotAPin> {
        let refused = || NotAPin {
            value: shortened(value).escape_debug().to_string(),
        };
        let name = value
            .strip_suffix(digest.as_str())
            .and_then(|rest| rest.strip_suffix('@'))
            .ok_or_else(refused)?;
        let is_pin = match written {
            None => ImageReference::parse(value).is_ok_and(|r| r.digest() == Some(digest)),
            Some(written) => written.starts_with(name),
        };
        if !is_pin {
            return Err(refused());
        }
        let text = match style {
            ValueStyle::Plain | ValueStyle::Block => value.to_string(),
            ValueStyle::SingleQuoted => format!("'{value}'"),
            ValueStyle::DoubleQuoted => format!("\"{value}\""),
        };
        Ok(Replacement { span, text })
    }
}

/// A new value that is not a reference pinned to its digest: a fault of this program, refused
/// rather than written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing to write \"{value}\": not an image reference pinned to a digest")]
pub struct NotAPin {
    value: String,
}

/// Applies replacements sorted by position and not overlapping (spans of distinct scalars).
pub fn splice(source: &str, replacements: &[Replacement]) -> String {
    let grown: usize = replacements.iter().map(|r| r.text.len()).sum();
    let mut output = String::with_capacity(source.len() + grown);
    output.extend(pieces(source, replacements));
    output
}

/// [`splice`]'s output as the slices it is made of, in order and none empty: the source between
/// the replacements, and each replacement's text. A writer can send them one after another
/// instead of a second copy of the whole source.
pub fn pieces<'a>(
    source: &'a str,
    replacements: &'a [Replacement],
) -> impl Iterator<Item = &'a str> + Clone {
    let copied_up_to = std::iter::once(0).chain(replacements.iter().map(|r| r.span.end));
    let next = replacements.iter().map(Some).chain(std::iter::once(None));
    copied_up_to
        .zip(next)
        .flat_map(move |(copied, replacement)| match replacement {
            Some(replacement) => {
                debug_assert!(replacement.span.start >= copied, "overlapping replacements");
                [
                    &source[copied..replacement.span.start],
                    replacement.text.as_str(),
                ]
            }
            None => [&source[copied..], ""],
        })
        .filter(|piece| !piece.is_empty())
}

/// Sources one after another as one YAML stream, each given as the non-empty pieces it is made
/// of: a `---` stands between two unless the next one starts with its own, and a newline is added
/// only where a source without one is followed by another, so a single source comes out byte for
/// byte.
pub fn write_concatenated<'a, P>(
    out: &mut impl Write,
    sources: impl Iterator<Item = P>,
) -> std::io::Result<()>
where
    P: Iterator<Item = &'a str> + Clone,
{
    // Whether there was a source before, and whether it ended without a newline.
    let mut previous: Option<bool> = None;
    for pieces in sources {
        if let Some(unterminated) = previous {
            if unterminated {
                out.write_all(b"\n")?;
            }
            let start = pieces.clone().flat_map(str::bytes).take(3);
            if !start.eq(*b"---") {
                out.write_all(b"---\n")?;
            }
        }
        let mut last = "";
        for piece in pieces {
            out.write_all(piece.as_bytes())?;
            last = piece;
        }
        previous = Some(!last.is_empty() && !last.ends_with('\n'));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenates_sources_as_one_stream() {
        let concatenated = |sources: &[&[&str]]| {
            let mut out = Vec::new();
            write_concatenated(
                &mut out,
                sources.iter().map(|pieces| pieces.iter().copied()),
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            concatenated(&[&["a: 1"], &["---\nb: 2\n"], &["c: 3\n"]]),
            "a: 1\n---\nb: 2\n---\nc: 3\n"
        );
        // The same across pieces: a `---` split over two, a newline ending one, an empty source.
        assert_eq!(
            concatenated(&[
                &["a: ", "1"],
                &["-", "--", "\nb: 2\n"],
                &[],
                &["c: 3", "\n"]
            ]),
            "a: 1\n---\nb: 2\n---\n---\nc: 3\n"
        );
        assert_eq!(concatenated(&[&["x: 1", "\n"]]), "x: 1\n");
    }

    const A: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const B: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    fn pin(span: Range<usize>, value: &str, style: ValueStyle) -> Replacement {
        let digest = Digest::parse(&value[value.rfind('@').unwrap() + 1..]).unwrap();
        Replacement::pin(span, value, style, &digest, None).unwrap()
    }

    #[test]
    fn replaces_only_the_spans() {
        let source = "a: x # keep\nb: 'y'\n";
        let output = splice(
            source,
            &[
                pin(3..4, &format!("x@{A}"), ValueStyle::Plain),
                pin(15..18, &format!("y2@{B}"), ValueStyle::SingleQuoted),
            ],
        );
        assert_eq!(output, format!("a: x@{A} # keep\nb: 'y2@{B}'\n"));
    }

    #[test]
    fn pieces_are_the_spliced_text_without_a_copy() {
        let source = "image: a\nimage: b";
        let (a, b) = (format!("a@{A}"), format!("b@{B}"));
        let replacements = [
            pin(7..8, &a, ValueStyle::Plain),
            pin(16..17, &b, ValueStyle::Plain),
        ];
        let parts: Vec<&str> = pieces(source, &replacements).collect();
        assert_eq!(parts, ["image: ", a.as_str(), "\nimage: ", b.as_str()]);
        assert_eq!(parts.concat(), splice(source, &replacements));
        assert!(std::ptr::eq(parts[0].as_ptr(), source.as_ptr()));
        assert_eq!(pieces(source, &[]).collect::<Vec<_>>(), [source]);
        assert_eq!(pieces("", &[]).count(), 0);
    }

    #[test]
    fn keeps_the_quoting_style() {
        let value = format!("n@{A}");
        assert_eq!(
            pin(0..1, &value, ValueStyle::DoubleQuoted).text,
            format!("\"{value}\"")
        );
        assert_eq!(pin(0..1, &value, ValueStyle::Block).text, value);
    }

    /// The last line of defence against a digest that is not one (issue 27): whatever made the
    /// value, only a reference pinned to the given digest is written.
    #[test]
    fn refuses_a_value_that_is_not_a_reference_pinned_to_its_digest() {
        let digest = Digest::parse(A).unwrap();
        let refused = |value: &str, written: Option<&str>| {
            Replacement::pin(0..1, value, ValueStyle::DoubleQuoted, &digest, written)
                .expect_err(value)
                .to_string()
        };
        // Text smuggled in front of the digest, where a flow-style or JSON value ends at the quote.
        let injected = format!(r#"app:v1","securityContext":{{"privileged":true}},"x":"y@{A}"#);
        assert_eq!(
            refused(&injected, None),
            format!(
                "refusing to write \"{}\": not an image reference pinned to a digest",
                injected.escape_debug()
            )
        );
        refused(&format!("app:v1 # comment@{A}"), None);
        refused(&format!("app:v1\n- x@{A}"), None);
        // Another digest than the one resolved, or none.
        refused(&format!("app:v1@{B}"), None);
        refused("app:v1", None);
        // A composed value keeps only the beginning of its own text.
        refused(&format!("golang:${{GO}}\"@{A}"), Some("golang:${GO}"));
        let composed = format!("golang:${{GO}}@{A}");
        assert_eq!(
            Replacement::pin(
                0..1,
                &composed,
                ValueStyle::Plain,
                &digest,
                Some("golang:${GO}")
            )
            .unwrap()
            .text,
            composed
        );
        // Control characters are shown escaped, and a long value shortened.
        let long = format!("{}\u{0}@{A}", "a".repeat(300));
        let message = refused(&long, None);
        assert!(
            message.contains("aaa…") && !message.contains('\0'),
            "{message}"
        );
    }
}
