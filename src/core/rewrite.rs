//! Splices new image values into the original bytes: everything outside the replaced spans is
//! copied unchanged, so comments, order, quoting, indentation and line endings survive.

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
    let mut copied = 0;
    for replacement in replacements {
        debug_assert!(replacement.span.start >= copied, "overlapping replacements");
        output.push_str(&source[copied..replacement.span.start]);
        output.push_str(&replacement.text);
        copied = replacement.span.end;
    }
    output.push_str(&source[copied..]);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

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
