//! Cobra's completion protocol: the answer kubectl reads back from `kubectl_complete-immutable`,
//! one candidate a line (`value<TAB>description`), then `:<directive>` as the last line.

use std::fmt::Write as _;

/// Cobra's `ShellCompDirective` bits, the number after the `:` on the last line.
pub mod directive {
    /// Complete file names if there are no candidates (the shell's default).
    pub const DEFAULT: u32 = 0;
    /// Something failed; the shell completes nothing.
    pub const ERROR: u32 = 1;
    /// No space after the completion.
    pub const NO_SPACE: u32 = 2;
    /// No file names, even without candidates.
    pub const NO_FILE_COMP: u32 = 4;
    /// The candidates are file extensions: complete files with one of them, and directories.
    pub const FILTER_FILE_EXT: u32 = 8;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
}

/// A protocol answer: the candidates and the directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: Option<String>,
}

impl Candidate {
    pub(super) fn new(value: impl Into<String>, description: Option<String>) -> Candidate {
        Candidate {
            value: value.into(),
            description,
        }
    }
}

impl Completions {
    pub(super) fn new(candidates: Vec<Candidate>, directive: u32) -> Completions {
        Completions {
            candidates,
            directive,
        }
    }

    /// No candidates, and no file names either.
    pub(super) fn none() -> Completions {
        Completions::new(Vec::new(), directive::NO_FILE_COMP)
    }

    /// No candidates: the shell completes file names (`directive` may narrow them).
    pub(super) fn files(directive: u32) -> Completions {
        Completions::new(Vec::new(), directive)
    }

    /// The values alone, in order.
    pub fn values(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| c.value.as_str()).collect()
    }

    /// The protocol text: `value\tdescription` lines, then `:directive`.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for candidate in &self.candidates {
            match &candidate.description {
                Some(description) => {
                    let _ = writeln!(text, "{}\t{description}", candidate.value);
                }
                None => {
                    let _ = writeln!(text, "{}", candidate.value);
                }
            }
        }
        let _ = writeln!(text, ":{}", self.directive);
        text
    }
}

/// The first sentence line of a help text, without its final period: what fits beside a
/// candidate.
pub(super) fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    line.strip_suffix('.').unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_text_is_candidates_then_the_directive() {
        let text = Completions::new(
            vec![
                Candidate::new("a", Some("first".into())),
                Candidate::new("b", None),
            ],
            directive::NO_FILE_COMP,
        )
        .render();
        assert_eq!(text, "a\tfirst\nb\n:4\n");
        assert_eq!(Completions::none().render(), ":4\n");
    }

    #[test]
    fn a_description_is_the_first_line_of_the_help_without_its_period() {
        assert_eq!(
            first_line("Read directories recursively.\n\nMore."),
            "Read directories recursively"
        );
        assert_eq!(first_line(""), "");
    }
}
