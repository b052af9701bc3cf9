//! Splices new image values into the original bytes: everything outside the replaced spans is
//! copied unchanged, so comments, order, quoting, indentation and line endings survive.

use std::io::Write;
use std::ops::Range;

use super::locate::ValueStyle;

/// New text for one byte span of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub span: Range<usize>,
    pub text: String,
}

impl Replacement {
    /// Writes `value` in the style the old value used. Image references never hold a quote,
    /// backslash, or whitespace, so no style needs escaping.
    pub fn in_style(span: Range<usize>, value: &str, style: ValueStyle) -> Self {
        debug_assert!(!value.contains(['\'', '"', '\\', ' ', '\n', '#']));
        let text = match style {
            ValueStyle::Plain | ValueStyle::Block => value.to_string(),
            ValueStyle::SingleQuoted => format!("'{value}'"),
            ValueStyle::DoubleQuoted => format!("\"{value}\""),
        };
        Replacement { span, text }
    }
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

    #[test]
    fn replaces_only_the_spans() {
        let source = "a: x # keep\nb: 'y'\n";
        let output = splice(
            source,
            &[
                Replacement::in_style(3..4, "x@sha256:1", ValueStyle::Plain),
                Replacement::in_style(15..18, "y2", ValueStyle::SingleQuoted),
            ],
        );
        assert_eq!(output, "a: x@sha256:1 # keep\nb: 'y2'\n");
    }

    #[test]
    fn pieces_are_the_spliced_text_without_a_copy() {
        let source = "image: a\nimage: b";
        let replacements = [
            Replacement::in_style(7..8, "a@sha256:1", ValueStyle::Plain),
            Replacement::in_style(16..17, "b@sha256:2", ValueStyle::Plain),
        ];
        let parts: Vec<&str> = pieces(source, &replacements).collect();
        assert_eq!(parts, ["image: ", "a@sha256:1", "\nimage: ", "b@sha256:2"]);
        assert_eq!(parts.concat(), splice(source, &replacements));
        assert!(std::ptr::eq(parts[0].as_ptr(), source.as_ptr()));
        assert_eq!(pieces(source, &[]).collect::<Vec<_>>(), [source]);
        assert_eq!(pieces("", &[]).count(), 0);
    }

    #[test]
    fn keeps_the_quoting_style() {
        assert_eq!(
            Replacement::in_style(0..1, "n", ValueStyle::DoubleQuoted).text,
            "\"n\""
        );
        assert_eq!(
            Replacement::in_style(0..1, "n", ValueStyle::Block).text,
            "n"
        );
    }
}
