//! Finds the images of a Dockerfile (or Containerfile) with their exact byte spans, so the rest of
//! the pipeline (resolve, rewrite, lock, report) is the one manifests use.
//!
//! A small pure parser, as BuildKit reads the file: parser directives (`# escape=`, `# syntax=`),
//! line continuations with the escape character (comment and blank lines inside them dropped),
//! heredoc bodies skipped, comments, instructions in any case, CRLF. Images are the `FROM` bases
//! (not stage names, not `scratch`), `COPY --from=` and `RUN --mount=…,from=` that name no
//! stage, and, when asked, the `# syntax=` frontend. `FROM $BASE` whose global `ARG BASE=…`
//! default is a literal is pinned in the ARG line; any other interpolation is reported as not
//! pinnable, never guessed.

use std::collections::HashSet;
use std::ops::Range;

mod args;

use args::{GlobalArgs, sole_variable};

use super::locate::{LocatedImage, ObjectIdentity, ValueStyle};
use super::problem::{Located, Position};
use super::reference::ImageReference;

/// Something at a place in a Dockerfile: an image that cannot be pinned, or an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Finding {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Located for Finding {
    fn position(&self) -> Option<Position> {
        Some(Position::at(self.line, self.column))
    }
}

/// What a Dockerfile holds: its images in source order (each span once), the references that
/// cannot be pinned, and its errors (an instruction that names no image).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub images: Vec<LocatedImage>,
    pub unpinnable: Vec<Finding>,
    pub errors: Vec<Finding>,
}

/// Text of an instruction (a whole logical line, or one word of it) and where it is written:
/// its runs, each a stretch of the text written in one piece in the source. A continued line
/// starts a run at each continuation. The text is held once, never a record per character, so
/// a 200 MB line costs a few copies of itself.
#[derive(Debug, Clone, Default)]
struct Word {
    text: String,
    /// Each run: where it starts in `text`, and where in the source; in order.
    runs: Vec<(usize, usize)>,
}

impl Word {
    fn text(&self) -> &str {
        &self.text
    }

    /// `piece` written at `source`, after what is there.
    fn push(&mut self, piece: &str, source: usize) {
        if piece.is_empty() {
            return;
        }
        self.runs.push((self.text.len(), source));
        self.text.push_str(piece);
    }

    /// The run holding byte `at` of the text.
    fn run(&self, at: usize) -> usize {
        self.runs.partition_point(|&(start, _)| start <= at).max(1) - 1
    }

    /// Where byte `at` of the text is written in the source.
    fn source(&self, at: usize) -> usize {
        let (start, source) = self.runs[self.run(at)];
        source + at - start
    }

    /// Bytes `range` of the text, with where they are written.
    fn slice(&self, range: Range<usize>) -> Word {
        let mut word = Word::default();
        let first = self.run(range.start);
        for (index, &(start, source)) in self.runs.iter().enumerate().skip(first) {
            let end = self.runs.get(index + 1).map_or(self.text.len(), |r| r.0);
            let (from, to) = (start.max(range.start), end.min(range.end));
            if from >= to {
                break;
            }
            word.push(&self.text[from..to], source + from - start);
        }
        word
    }

    /// The word's bytes from byte `from` of its text on, if they are written in one piece.
    fn span_from(&self, from: usize) -> Option<Range<usize>> {
        self.span_of(from, self.text.len() - from)
    }

    /// Where `len` bytes from byte `from` of the text are written, if in one piece.
    fn span_of(&self, from: usize, len: usize) -> Option<Range<usize>> {
        if len == 0 || from + len > self.text.len() {
            return None;
        }
        let run = self.run(from);
        let end = self.runs.get(run + 1).map_or(self.text.len(), |r| r.0);
        let source = self.source(from);
        (from + len <= end).then_some(source..source + len)
    }
}

/// A `FROM` whose image is interpolated, judged once every `FROM` is read: an ARG default is
/// pinned in its ARG line only when nothing else composes it.
struct InterpolatedFrom {
    /// Where the image is written, if in one piece.
    span: Option<Range<usize>>,
    at: usize,
    written: String,
    composed: Result<String, String>,
    /// The one variable the image is written as (`${BASE}`, `$BASE`), if it is that.
    sole: Option<String>,
}

struct Lines<'a> {
    text: &'a str,
    /// Start of every physical line.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < text.len()),
        );
        Lines { text, starts }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Line `index` without its line break (`\n` or `\r\n`), and its start.
    fn get(&self, index: usize) -> (&'a str, usize) {
        let start = self.starts[index];
        let end = self
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (line, start)
    }

    /// 1-based line and column (in characters) of byte `at`.
    fn position(&self, at: usize) -> (usize, usize) {
        let index = self.starts.partition_point(|&start| start <= at) - 1;
        let column = self.text[self.starts[index]..at].chars().count() + 1;
        (index + 1, column)
    }
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// `# name=value` parser directive: its lowercase name, and the value's span in `line`.
fn directive(line: &str) -> Option<(String, Range<usize>)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value_start = line.len() - value.len();
    let leading = value.len() - value.trim_start().len();
    let trimmed = value.trim();
    let start = value_start + leading;
    Some((name.to_ascii_lowercase(), start..start + trimmed.len()))
}

/// Finds every image of `text`; `pin_syntax` includes the `# syntax=` frontend image.
pub fn scan(text: &str, pin_syntax: bool) -> Scan {
    let lines = Lines::new(text);
    let mut scan = Scan::default();
    let mut escape = '\\';
    let mut index = 0;
    let mut seen = Vec::new();
    // Parser directives: only at the very top, each once; anything else ends them.
    while index < lines.len() {
        let (line, start) = lines.get(index);
        let Some((name, value)) = directive(line) else {
            break;
        };
        if seen.contains(&name) || !matches!(name.as_str(), "syntax" | "escape" | "check") {
            break;
        }
        match name.as_str() {
            "escape" if &line[value.clone()] == "`" => escape = '`',
            "syntax" if pin_syntax && !value.is_empty() => {
                let span = start + value.start..start + value.end;
                push_image(&mut scan, &lines, span, "syntax");
            }
            _ => {}
        }
        seen.push(name);
        index += 1;
    }

    let mut parser = Parser {
        lines: &lines,
        scan,
        escape,
        args: GlobalArgs::default(),
        interpolated_froms: Vec::new(),
        stages: HashSet::new(),
        seen_from: false,
        over_limit_refused: false,
    };
    while index < lines.len() {
        let (line, _) = lines.get(index);
        if line.trim().is_empty() || is_comment(line) {
            index += 1;
            continue;
        }
        let (logical, next) = logical_line(&lines, index, escape);
        index = next;
        let words = split_words(&logical);
        drop(logical);
        let Some(instruction) = words.first().map(|w| w.text().to_ascii_lowercase()) else {
            continue;
        };
        // Heredoc bodies follow the instruction; they are never parsed.
        if matches!(instruction.as_str(), "run" | "copy" | "add") {
            for (word, strip_tabs) in heredocs(&words[1..]) {
                while index < lines.len() {
                    let (line, _) = lines.get(index);
                    index += 1;
                    let line = if strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    if line == word {
                        break;
                    }
                }
            }
        }
        parser.instruction(&instruction, &words);
    }
    parser.finish_interpolated_froms();
    let mut scan = parser.scan;
    scan.images.sort_by_key(|image| image.span.start);
    scan.images.dedup_by_key(|image| image.span.start);
    scan.unpinnable.sort_by_key(|f| (f.line, f.column));
    scan.errors.sort_by_key(|f| (f.line, f.column));
    scan
}

/// The text of the instruction starting at line `index`, its continuations joined (the escape
/// character and line break dropped, comment and blank lines inside dropped), and the index of
/// the line after it.
fn logical_line(lines: &Lines, mut index: usize, escape: char) -> (Word, usize) {
    let mut text = Word::default();
    let mut first = true;
    while index < lines.len() {
        let (line, start) = lines.get(index);
        index += 1;
        if !first && (is_comment(line) || line.trim().is_empty()) {
            continue;
        }
        first = false;
        let trimmed = line.trim_end();
        let continued = trimmed.ends_with(escape);
        let content = if continued {
            &trimmed[..trimmed.len() - escape.len_utf8()]
        } else {
            line
        };
        text.push(content, start);
        if !continued {
            break;
        }
    }
    (text, index)
}

/// Whitespace-separated words; a quoted stretch (`"a b"`) stays in one word.
fn split_words(line: &Word) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    for (at, c) in line.text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => {
                if let Some(start) = start.take() {
                    words.push(line.slice(start..at));
                }
                continue;
            }
            _ => {}
        }
        start.get_or_insert(at);
    }
    if let Some(start) = start {
        words.push(line.slice(start..line.text.len()));
    }
    words
}

/// The heredoc terminators an instruction's words open, in order, with whether leading tabs are
/// stripped: a word `<<EOF`, `<<-"EOF"` or `2<<EOF`, as BuildKit matches them.
fn heredocs(words: &[Word]) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for word in words {
        let text = word.text();
        let Some(after) = text
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .strip_prefix("<<")
        else {
            continue;
        };
        let (strip, after) = match after.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        if after.contains('<') {
            continue;
        }
        let name = after.trim_matches(['"', '\'']);
        if !name.is_empty() {
            found.push((name.to_string(), strip));
        }
    }
    found
}

struct Parser<'a, 'b> {
    lines: &'b Lines<'a>,
    scan: Scan,
    escape: char,
    args: GlobalArgs,
    interpolated_froms: Vec<InterpolatedFrom>,
    /// Stage names so far, lowercase.
    stages: HashSet<String>,
    seen_from: bool,
    over_limit_refused: bool,
}

impl Parser<'_, '_> {
    fn finding(&self, at: usize, message: String) -> Finding {
        let (line, column) = self.lines.position(at);
        Finding {
            line,
            column,
            message,
        }
    }

    /// An error at `at` where the ARG expansions went over their bound there, the first time.
    fn refuse_over_limit(&mut self, at: usize) {
        if self.args.over_limit() && !self.over_limit_refused {
            self.over_limit_refused = true;
            let finding = self.finding(at, args::over_limit_message());
            self.scan.errors.push(finding);
        }
    }

    fn instruction(&mut self, instruction: &str, words: &[Word]) {
        match instruction {
            "arg" if !self.seen_from => self.global_args(&words[1..]),
            "from" => self.from(words),
            "copy" => {
                for word in &words[1..] {
                    let text = word.text();
                    if !text.starts_with("--") {
                        break;
                    }
                    if text.starts_with("--from=") {
                        self.reference(word, "--from=".len(), "COPY --from");
                    }
                }
            }
            "run" => {
                for word in &words[1..] {
                    let text = word.text();
                    if !text.starts_with("--") {
                        break;
                    }
                    let Some(options) = text.strip_prefix("--mount=") else {
                        continue;
                    };
                    let mut offset = "--mount=".len();
                    for option in options.split(',') {
                        if option
                            .strip_prefix("from=")
                            .is_some_and(|value| !value.is_empty())
                        {
                            self.reference(word, offset + "from=".len(), "RUN --mount from");
                        }
                        offset += option.len() + 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// `ARG NAME=default …` before the first FROM: each default without its quotes, and where
    /// it is written.
    fn global_args(&mut self, words: &[Word]) {
        for word in words {
            let text = word.text();
            let Some((name, _)) = text.split_once('=') else {
                self.args.declare(text, None);
                continue;
            };
            let skip = name.len() + 1;
            let mut value = text[skip..].to_string();
            let mut span = word.span_from(skip);
            if let Some(inner) = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            {
                value = inner.to_string();
                span = span.map(|s| s.start + 1..s.end - 1);
            }
            if value.contains(['"', '\'', self.escape]) {
                self.args.declare_unknown(name, "quoted or escaped");
            } else {
                self.args.declare(name, Some((value, span)));
                self.refuse_over_limit(word.source(0));
            }
        }
    }

    fn from(&mut self, words: &[Word]) {
        self.seen_from = true;
        let mut rest = words[1..].iter().skip_while(|w| w.text().starts_with("--"));
        let Some(image) = rest.next() else {
            let at = words[0].source(0);
            self.scan
                .errors
                .push(self.finding(at, "FROM names no image".to_string()));
            return;
        };
        self.reference(image, 0, "FROM");
        if let (Some(as_word), Some(name)) = (rest.next(), rest.next())
            && as_word.text().eq_ignore_ascii_case("as")
        {
            self.stages.insert(name.text().to_ascii_lowercase());
        }
    }

    fn is_stage(&self, value: &str) -> bool {
        let lower = value.to_ascii_lowercase();
        lower == "scratch" || self.stages.contains(&lower)
    }

    /// The image written in `word` from character `from` on, found, skipped (a stage, a stage
    /// index, `scratch`) or reported as not pinnable.
    fn reference(&mut self, word: &Word, from: usize, what: &str) {
        let rest = &word.text()[from..];
        let value = match rest.find(',') {
            Some(comma) if what == "RUN --mount from" => rest[..comma].to_string(),
            _ => rest.to_string(),
        };
        let at = word.source(from);
        if self.is_stage(&value) || (what != "FROM" && value.chars().all(|c| c.is_ascii_digit())) {
            return;
        }
        if value.contains('$') {
            if what == "FROM" {
                self.interpolated_from(word, value, at);
                return;
            }
            // `COPY --from=$NAME` reads the stage's own ARGs and ENVs, and may name a stage.
            if !self.matches_a_stage(&value) {
                let finding = self.finding(
                    at,
                    format!("{what} {value}: the image is interpolated; not pinnable"),
                );
                self.scan.unpinnable.push(finding);
            }
            return;
        }
        match word.span_of(from, value.len()) {
            Some(span) => push_image(&mut self.scan, self.lines, span, what),
            None => {
                let finding = self.finding(
                    at,
                    format!("{what} {value}: the image is split across lines; not pinnable"),
                );
                self.scan.unpinnable.push(finding);
            }
        }
    }

    /// `FROM binary-$TARGETOS`: a stage chosen by an ARG, whatever the ARG is.
    fn matches_a_stage(&self, value: &str) -> bool {
        self.stages
            .iter()
            .any(|stage| matches_interpolated(value, stage))
    }

    /// A FROM image written with variables, expanded with the global ARGs; a stage it names (or
    /// may name) is left, the rest judged once every FROM is read.
    fn interpolated_from(&mut self, word: &Word, written: String, at: usize) {
        let composed = if written.contains(['"', '\'', self.escape]) {
            Err("the image is quoted or escaped".to_string())
        } else {
            self.args.expand(&written)
        };
        self.refuse_over_limit(at);
        match &composed {
            Ok(value) if self.is_stage(value) => return,
            Err(_) if self.matches_a_stage(&written) => return,
            _ => {}
        }
        let sole = sole_variable(&written).map(str::to_string);
        if sole.is_none() {
            self.args.compose(&written);
        }
        self.interpolated_froms.push(InterpolatedFrom {
            span: word.span_of(0, word.text.len()),
            at,
            written,
            composed,
            sole,
        });
    }

    /// Each interpolated FROM: its ARG's literal default pinned in the ARG line when the image is
    /// that one ARG and nothing composes the ARG into more; else the composed image, pinned by a
    /// digest written after the FROM's own text; or not pinnable, with why.
    fn finish_interpolated_froms(&mut self) {
        for from in std::mem::take(&mut self.interpolated_froms) {
            let InterpolatedFrom {
                span,
                at,
                written,
                composed,
                sole,
            } = from;
            let why = match composed {
                Err(why) => why,
                Ok(value) => {
                    let arg_line = sole.and_then(|name| self.args.literal_default(&name));
                    if let Some(span) = arg_line {
                        push_image(&mut self.scan, self.lines, span, "FROM");
                        continue;
                    }
                    match (ImageReference::parse(&value), span) {
                        (Ok(_), Some(span)) => {
                            let mut image = located(self.lines, span, "FROM");
                            image.value = value;
                            image.written = Some(written);
                            self.scan.images.push(image);
                            continue;
                        }
                        (Err(_), _) => {
                            format!("with the ARG defaults it is {value}, not an image reference")
                        }
                        (Ok(_), None) => "the image is split across lines".to_string(),
                    }
                }
            };
            let finding = self.finding(at, format!("FROM {written}: {why}; not pinnable"));
            self.scan.unpinnable.push(finding);
        }
    }
}

/// Whether `value`, each `$NAME` or `${…}` in it standing for any text, can be `stage`.
fn matches_interpolated(value: &str, stage: &str) -> bool {
    // The literal pieces between variables, in order.
    let mut pieces = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        pieces.push(&rest[..at]);
        let after = &rest[at + 1..];
        let end = if let Some(braced) = after.strip_prefix('{') {
            braced.find('}').map_or(after.len(), |e| e + 2)
        } else {
            after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len())
        };
        rest = &after[end..];
    }
    pieces.push(rest);
    // A bare `${NAME}` could be anything: it is judged by its ARG's default instead.
    if pieces.iter().all(|piece| piece.is_empty()) {
        return false;
    }
    let stage = stage.to_ascii_lowercase();
    let (first, last) = (
        pieces[0].to_ascii_lowercase(),
        pieces[pieces.len() - 1].to_ascii_lowercase(),
    );
    if stage.len() < first.len() + last.len()
        || !stage.starts_with(&first)
        || !stage[first.len()..].ends_with(&last)
    {
        return false;
    }
    let mut middle = &stage[first.len()..stage.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match middle.find(&piece.to_ascii_lowercase()) {
            Some(at) => middle = &middle[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn located(lines: &Lines, span: Range<usize>, what: &str) -> LocatedImage {
    let (line, column) = lines.position(span.start);
    LocatedImage {
        value: lines.text[span.clone()].to_string(),
        span,
        line,
        column,
        style: ValueStyle::Plain,
        object: ObjectIdentity {
            kind: "Dockerfile".to_string(),
            name: Some(what.to_string()),
        },
        container: None,
        single_field: false,
        written: None,
    }
}

fn push_image(scan: &mut Scan, lines: &Lines, span: Range<usize>, what: &str) {
    scan.images.push(located(lines, span, what));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Vec<(usize, usize, String)> {
        let scan = scan(text, false);
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        scan.images
            .iter()
            .map(|i| {
                assert_eq!(text[i.span.clone()], i.value);
                (i.line, i.column, i.value.clone())
            })
            .collect()
    }

    fn values(text: &str) -> Vec<String> {
        images(text).into_iter().map(|(_, _, v)| v).collect()
    }

    #[test]
    fn finds_bases_but_not_stages_or_scratch() {
        let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n\
                    from build AS test\n\
                    FROM scratch\n\
                    COPY --from=build /a /a\n\
                    COPY --from=0 /b /b\n\
                    COPY --chown=1 --from=nginx:1.25 /etc/nginx /etc/nginx\n\
                    RUN --mount=type=cache,target=/c --mount=type=bind,from=alpine:3.19,source=/,target=/x true\n\
                    RUN --mount=type=bind,from=build,target=/y true\n";
        assert_eq!(
            images(text),
            vec![
                (1, 32, "golang:1.22".to_string()),
                (6, 23, "nginx:1.25".to_string()),
                (7, 57, "alpine:3.19".to_string()),
            ]
        );
    }

    /// An image found: its line, value, and text as written where that differs.
    type Found = (usize, String, Option<String>);

    /// Each image found, and each not pinnable reference as `line:column: message`.
    fn judged(text: &str) -> (Vec<Found>, Vec<String>) {
        let scan = scan(text, false);
        let images = scan
            .images
            .iter()
            .map(|i| (i.line, i.value.clone(), i.written.clone()))
            .collect();
        let findings = scan
            .unpinnable
            .iter()
            .map(|f| format!("{}:{}: {}", f.line, f.column, f.message))
            .collect();
        (images, findings)
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn image(line: usize, value: &str, written: Option<&str>) -> Found {
        (line, value.to_string(), written.map(str::to_string))
    }

    #[test]
    fn arg_defaults_that_double_stop_at_the_text_limit() {
        let mut text = "ARG A0=xxxxxxxx\n".to_string();
        for i in 1..=40 {
            text.push_str(&format!("ARG A{i}=${{A{}}}$A{}\n", i - 1, i - 1));
        }
        text.push_str("FROM alpine:$A40\nFROM nginx:1.27\n");
        let scan = scan(&text, false);
        // 8 bytes doubled 23 times is 64 MiB: A23 is where the expansions go over it.
        let over = format!(
            "24:5: more than {} MiB of text once its ARG defaults are expanded",
            crate::core::manifest::SCALAR_TEXT_LIMIT >> 20
        );
        let errors: Vec<String> = scan
            .errors
            .iter()
            .map(|f| format!("{}:{}: {}", f.line, f.column, f.message))
            .collect();
        assert_eq!(errors, vec![over]);
        let found: Vec<&str> = scan.images.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(found, vec!["nginx:1.27"]);
    }

    #[test]
    fn an_image_continued_across_lines_keeps_where_each_piece_is_written() {
        let text = "FROM alp\\\nine:3.19\nCOPY \\\n  --from=nginx:1.27 /a /a\n";
        let scan = scan(text, false);
        assert_eq!(
            scan.unpinnable
                .iter()
                .map(|f| format!("{}:{}: {}", f.line, f.column, f.message))
                .collect::<Vec<_>>(),
            vec!["1:6: FROM alpine:3.19: the image is split across lines; not pinnable"]
        );
        assert_eq!(
            scan.images
                .iter()
                .map(|i| (i.line, i.column, i.value.as_str()))
                .collect::<Vec<_>>(),
            vec![(4, 10, "nginx:1.27")]
        );
    }

    #[test]
    fn global_arg_defaults_are_pinned_in_the_arg_line() {
        let text = "ARG BASE=debian:12\nARG TAG\nARG Q=\"alpine:3\"\nFROM ${BASE}\nFROM $BASE AS two\nFROM $Q\nFROM img:$TAG\nFROM ${NOPE}\n";
        let (images, findings) = judged(text);
        assert_eq!(
            images,
            vec![image(1, "debian:12", None), image(3, "alpine:3", None)]
        );
        assert_eq!(
            findings,
            vec![
                "7:6: FROM img:$TAG: ARG TAG has no default; not pinnable",
                "8:6: FROM ${NOPE}: no global ARG NOPE before the first FROM; not pinnable",
            ]
        );
        let (_, findings) = judged("ARG B\nFROM $B\n");
        assert_eq!(
            findings,
            vec!["2:6: FROM $B: ARG B has no default; not pinnable"]
        );
    }

    #[test]
    fn composed_images_are_pinned_in_the_from_line() {
        let text = format!(
            "ARG GO_VERSION=1.22\nARG REGISTRY=registry.example:5000\nARG TAG=\"7\"\nARG ALPINE=3.19\n\
                    FROM golang:${{GO_VERSION}}-alpine$ALPINE AS build\n\
                    FROM ${{REGISTRY}}/app:${{TAG}}\n\
                    FROM golang:${{GO_VERSION}}@{DIGEST}\n"
        );
        let text = text.as_str();
        let (images, findings) = judged(text);
        assert_eq!(
            images,
            vec![
                image(
                    5,
                    "golang:1.22-alpine3.19",
                    Some("golang:${GO_VERSION}-alpine$ALPINE")
                ),
                image(
                    6,
                    "registry.example:5000/app:7",
                    Some("${REGISTRY}/app:${TAG}")
                ),
                image(
                    7,
                    &format!("golang:1.22@{DIGEST}"),
                    Some(&format!("golang:${{GO_VERSION}}@{DIGEST}"))
                ),
            ]
        );
        assert!(findings.is_empty(), "{findings:?}");
        // The whole of each image is one span, the text as written.
        let scan = scan(text, false);
        for found in &scan.images {
            assert_eq!(Some(&text[found.span.clone()]), found.written.as_deref());
        }
    }

    #[test]
    fn an_arg_composed_into_more_is_pinned_in_each_from_line_not_in_its_arg_line() {
        // Pinning `ARG BASE` would give `debian:12@sha256:…-slim`; each FROM gets its digest.
        let text = "ARG BASE=debian:12\nARG CHAINED=${BASE}\nFROM ${BASE}\nFROM ${BASE}-slim\nFROM $CHAINED\n";
        let (images, findings) = judged(text);
        assert_eq!(
            images,
            vec![
                image(3, "debian:12", Some("${BASE}")),
                image(4, "debian:12-slim", Some("${BASE}-slim")),
                image(5, "debian:12", Some("$CHAINED")),
            ]
        );
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn what_is_not_known_is_never_guessed() {
        let text = "ARG A=1\nARG A\nARG B\nARG C=${B}\nARG Q=\"x\\\"y\"\nARG PINNED=debian:12@sha256:abc\n\
                    FROM stage:${A} AS s\n\
                    ARG LOCAL=2\n\
                    FROM img:${LOCAL}\n\
                    FROM img:${C}\n\
                    FROM img:${A:-2}\n\
                    FROM img-$TARGETARCH\n\
                    FROM img:${A\n\
                    FROM \"img:$A\"\n\
                    FROM ${PINNED}-slim\n\
                    FROM img:$A$Q\n";
        let (images, findings) = judged(text);
        // A later `ARG A` without a default keeps the earlier one, as BuildKit does.
        assert_eq!(images, vec![image(7, "stage:1", Some("stage:${A}"))]);
        assert_eq!(
            findings,
            vec![
                "9:6: FROM img:${LOCAL}: no global ARG LOCAL before the first FROM; not pinnable",
                "10:6: FROM img:${C}: ARG B has no default; not pinnable",
                "11:6: FROM img:${A:-2}: ${A:-2} is not a plain $NAME or ${NAME}; not pinnable",
                "12:6: FROM img-$TARGETARCH: TARGETARCH is set by the builder for each platform; not pinnable",
                "13:6: FROM img:${A: ${A is not a plain $NAME or ${NAME}; not pinnable",
                "14:6: FROM \"img:$A\": the image is quoted or escaped; not pinnable",
                "15:6: FROM ${PINNED}-slim: with the ARG defaults it is debian:12@sha256:abc-slim, not an image reference; not pinnable",
                "16:6: FROM img:$A$Q: the default of ARG Q is quoted or escaped; not pinnable",
            ]
        );
    }

    #[test]
    fn a_composed_image_keeps_its_text_and_gains_the_digest() {
        let text = "ARG IMAGE=registry.example:5000/app\nARG V=1.22\nFROM ${IMAGE}:1.0\nFROM golang:${V}\n";
        let scan = scan(text, false);
        let pinned = |index: usize, digest_only: bool| {
            let found = &scan.images[index];
            let reference = ImageReference::parse(&found.value).unwrap();
            found.pinned(&reference, "sha256:abc", digest_only)
        };
        assert_eq!(pinned(0, false), "${IMAGE}:1.0@sha256:abc");
        assert_eq!(pinned(0, true), "${IMAGE}@sha256:abc");
        assert_eq!(pinned(1, false), "golang:${V}@sha256:abc");
        // The tag is how the line reads the ARG: it stays, and the digest wins over it.
        assert_eq!(pinned(1, true), "golang:${V}@sha256:abc");
        let mut refreshed = scan.images[1].clone();
        refreshed.written = Some("golang:${V}@sha256:old".to_string());
        assert_eq!(
            refreshed.refreshed("sha256:old", "sha256:new").as_deref(),
            Some("golang:${V}@sha256:new")
        );
        refreshed.written = Some("${PINNED}".to_string());
        assert_eq!(refreshed.refreshed("sha256:old", "sha256:new"), None);
    }

    #[test]
    fn continuations_escape_heredocs_comments_and_crlf() {
        let text = "# escape=`\r\n\r\nFROM `\r\n  # a comment\r\n  alpine:3.19 `\r\n  AS a\r\nRUN <<EOF\r\nFROM not-me:1\r\nEOF\r\nRUN <<-\"END\" cat\n\tFROM nor-me:1\n\tEND\nfrom busybox:1.36\n";
        assert_eq!(
            images(text),
            vec![
                (5, 3, "alpine:3.19".to_string()),
                (13, 6, "busybox:1.36".to_string())
            ]
        );
        let backslash = "FROM \\\n ubuntu:24.04 AS x\nCOPY --from=x \\\n /a /b\n";
        assert_eq!(values(backslash), vec!["ubuntu:24.04"]);
    }

    #[test]
    fn a_stage_chosen_by_an_arg_is_a_stage() {
        let text = "FROM scratch AS binary-linux\nFROM binary-$TARGETOS AS binary\nFROM x-${A}-y\n";
        let scan = scan(text, false);
        assert!(scan.images.is_empty());
        assert_eq!(scan.unpinnable.len(), 1);
        assert_eq!(scan.unpinnable[0].line, 3);
        assert!(matches_interpolated("a-$X-b", "a-1-b"));
        assert!(!matches_interpolated("a-$X-b", "a-1-c"));
        assert!(!matches_interpolated("${X}", "anything"));
    }

    #[test]
    fn syntax_directive_only_when_asked() {
        let text = "# syntax=docker/dockerfile:1.7\nFROM a:1\n";
        assert_eq!(values(text), vec!["a:1"]);
        let with = scan(text, true);
        let found: Vec<_> = with.images.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(found, vec!["docker/dockerfile:1.7", "a:1"]);
        // After an instruction it is a comment.
        assert_eq!(scan("FROM a:1\n# syntax=x:1\n", true).images.len(), 1);
    }

    #[test]
    fn a_from_without_image_is_an_error() {
        let scan = scan("FROM --platform=linux/amd64\n", false);
        assert_eq!(scan.errors[0].message, "FROM names no image");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::scan;
    use crate::core::reference::{Digest, ImageReference};
    use crate::core::rewrite::{Replacement, splice};

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// Dockerfile lines: instructions with and without images, continuations, comments,
    /// heredocs, directives, in any case, with LF or CRLF.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("FROM alpine:3.19".to_string()),
            Just("from --platform=$BUILDPLATFORM golang:1.22 AS build".to_string()),
            Just("FROM build AS test".to_string()),
            Just("FROM scratch".to_string()),
            Just("FROM \\\n  # note\n  debian:12 \\\n  AS deb".to_string()),
            Just("ARG BASE=busybox:1.36".to_string()),
            Just("FROM ${BASE}".to_string()),
            Just("FROM img:${TAG}".to_string()),
            Just("ARG GO=1.22".to_string()),
            Just("FROM golang:${GO}-alpine AS go".to_string()),
            Just("FROM ${BASE}-slim".to_string()),
            Just("COPY --from=build /a /b".to_string()),
            Just("COPY --from=nginx:1.25 /etc/nginx /etc/nginx".to_string()),
            Just("RUN --mount=type=bind,from=alpine:3.19,target=/x true".to_string()),
            Just("RUN <<EOF\nFROM not-an-image:1\nEOF".to_string()),
            Just("RUN echo hi \\\n && echo there".to_string()),
            Just("# FROM commented:1".to_string()),
            Just(String::new()),
            "[a-zA-Z0-9 :/._=$-]{0,30}",
        ]
    }

    fn dockerfile() -> impl Strategy<Value = String> {
        (prop::collection::vec(line(), 0..12), any::<bool>()).prop_map(|(lines, crlf)| {
            let text = lines.join("\n") + "\n";
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            }
        })
    }

    fn pin(text: &str) -> String {
        let replacements: Vec<Replacement> = scan(text, true)
            .images
            .iter()
            .filter(|image| !image.value.contains('@'))
            .map(|image| {
                let value = match &image.written {
                    Some(_) => {
                        let reference = ImageReference::parse(&image.value).unwrap();
                        image.pinned(&reference, DIGEST, false)
                    }
                    None => format!("{}@{DIGEST}", image.value),
                };
                let digest = Digest::parse(DIGEST).unwrap();
                Replacement::pin(
                    image.span.clone(),
                    &value,
                    image.style,
                    &digest,
                    image.written.as_deref(),
                )
                .unwrap()
            })
            .collect();
        splice(text, &replacements)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn pinning_twice_equals_pinning_once_and_only_image_spans_change(text in dockerfile()) {
            let found = scan(&text, true);
            let once = pin(&text);
            prop_assert_eq!(&pin(&once), &once);
            // Outside the image spans, every byte is as it was.
            let mut kept = String::new();
            let mut at = 0;
            for image in &found.images {
                kept.push_str(&text[at..image.span.start]);
                at = image.span.end;
            }
            kept.push_str(&text[at..]);
            let again = scan(&once, true);
            prop_assert_eq!(again.images.len(), found.images.len());
            let mut kept_after = String::new();
            let mut at = 0;
            for image in &again.images {
                prop_assert!(image.value.ends_with(DIGEST));
                kept_after.push_str(&once[at..image.span.start]);
                at = image.span.end;
            }
            kept_after.push_str(&once[at..]);
            prop_assert_eq!(kept, kept_after);
            prop_assert_eq!(again.unpinnable, found.unpinnable);
        }
    }
}
