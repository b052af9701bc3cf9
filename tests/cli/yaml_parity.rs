//! The plugin reads YAML as kubectl and docker compose do: its verdict (read or refused) and the
//! images it finds, against go-yaml's (tests/oracle/goyaml: v2 as kubectl reads manifests, v3 as
//! Compose reads its files), over the YAML test suite's inputs, every YAML and JSON file under
//! tests/data, and a seeded generator of layout variants of real manifests and Compose files,
//! each of which go-yaml reads as exactly the same data as its source.
//!
//! Where they disagree today, the input is named in tests/data/yaml-parity/known-disagreements.txt
//! with its cause: the test fails on a disagreement not listed (and keeps the generated variant
//! under tests/data/yaml-parity/regressions/ when asked to) and on a listed one that is gone, so
//! the list only shrinks and is the measure of what remains.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use kubectl_immutable::core::reference::ImageReference;

use crate::support::plugin::Plugin;
use crate::support::test_data::{test_data, test_data_files, yaml_test_suite_inputs};

/// The generator's seed, and how many variants it keeps (each read by go-yaml as its source).
const SEED: u64 = 0x005E_ED28;
const VARIANTS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// go-yaml v2 document by document, or encoding/json (kubectl).
    Kubectl,
    /// go-yaml v3 (docker compose).
    Compose,
}

impl Reader {
    fn of_name(name: &str) -> Reader {
        let file = name.rsplit('/').next().unwrap_or(name);
        let compose = matches!(file, "compose.yaml" | "compose.yml")
            || ((file.starts_with("docker-compose") || file.starts_with("compose."))
                && (file.ends_with(".yml") || file.ends_with(".yaml")));
        if compose {
            Reader::Compose
        } else {
            Reader::Kubectl
        }
    }

    fn mode(self) -> &'static str {
        match self {
            Reader::Kubectl => "kubectl",
            Reader::Compose => "compose",
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Reader::Kubectl => "kubernetes",
            Reader::Compose => "compose",
        }
    }
}

/// One input: its name in the known-disagreements list, the file read, and by whom.
struct Input {
    name: String,
    path: PathBuf,
    reader: Reader,
}

#[derive(Debug, serde::Deserialize)]
struct OracleVerdict {
    accepted: bool,
    #[serde(default)]
    error: String,
    line: usize,
    images: Vec<String>,
    #[serde(default)]
    data: String,
}

#[derive(Debug)]
struct PluginVerdict {
    /// Whether the reader took the text (a refusal of a value it read, such as an image that is
    /// not a string, is not the reader's).
    read: bool,
    message: String,
    /// The images listed, when nothing was refused.
    images: Option<BTreeSet<String>>,
}

/// The first words of the plugin's refusals of text it cannot read (src/core/problem.rs).
const READER_REFUSALS: [&str; 3] = ["invalid YAML", "not UTF-8 text", "duplicate key"];

/// The reference reader's binary, built once into the cache by scripts/test-oracle.sh.
fn oracle_binary() -> PathBuf {
    let output = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-oracle.sh"))
        .arg("build")
        .output()
        .expect("bash runs");
    if !output.status.success() {
        crate::support::missing("go-yaml (scripts/test-oracle.sh build)");
    }
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// go-yaml's verdict on each file, in order, one run for all.
fn oracle(binary: &Path, reader: Reader, files: &[&Path]) -> Vec<OracleVerdict> {
    let mut verdicts = Vec::new();
    for batch in files.chunks(500) {
        let output = Command::new(binary)
            .args(["-mode", reader.mode()])
            .args(batch)
            .output()
            .expect("the oracle runs");
        assert!(
            output.status.success(),
            "oracle: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            verdicts.push(serde_json::from_str(line).expect("the oracle's JSON line"));
        }
    }
    assert_eq!(verdicts.len(), files.len());
    verdicts
}

/// The plugin's verdict: `pin --check` lists every image without a digest (`FILE:LINE: IMAGE`,
/// or `FILE:LINE:COL: IMAGE: why not pinnable`) and asks no registry; exit 2 is a refusal.
fn plugin(input: &Input) -> PluginVerdict {
    let file = input.path.to_str().expect("a UTF-8 path");
    let run = Plugin::new(["pin", "--check", "--kind", input.reader.kind(), "-f", file]).run();
    assert!(
        matches!(run.code, 0..=2),
        "{}: exit {}\n{}",
        input.name,
        run.code,
        run.stderr
    );
    let first = run.stderr.lines().next().unwrap_or_default();
    let message = first.replacen(&format!("error: {file}:"), "", 1);
    if run.code == 2 {
        let read = !READER_REFUSALS
            .iter()
            .any(|refusal| message.contains(refusal));
        return PluginVerdict {
            read,
            message,
            images: None,
        };
    }
    let images = run
        .stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(file)?.strip_prefix(':')?;
            Some(rest.split(": ").nth(1)?.to_string())
        })
        .collect();
    PluginVerdict {
        read: true,
        message,
        images: Some(images),
    }
}

/// What differs between the two readers on one input, if anything.
fn disagreement(reference: &OracleVerdict, plugin: &PluginVerdict) -> Option<String> {
    match (reference.accepted, plugin.read) {
        (true, false) => Some(format!("refused, go-yaml reads it: {}", plugin.message)),
        (false, true) => Some(format!(
            "read, go-yaml refuses it at line {}: {}",
            reference.line, reference.error
        )),
        (false, false) => None,
        (true, true) => {
            let images = plugin.images.as_ref()?;
            // `pin --check` lists the images without a digest, each once where it is written.
            let expected: BTreeSet<String> = reference
                .images
                .iter()
                .filter(|image| !image.contains('@'))
                .cloned()
                .collect();
            (&expected != images).then(|| {
                format!("read differently: go-yaml's images {expected:?}, the plugin's {images:?}")
            })
        }
    }
}

/// A deterministic generator (xorshift64*): the same variants on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

/// A `KEY: VALUE` line (or `- KEY: VALUE`) of block YAML.
struct KeyLine<'a> {
    /// Everything before the key: indentation and any `- `.
    prefix: &'a str,
    key: &'a str,
    /// The key's column.
    column: usize,
    /// What follows `: `, or empty.
    value: &'a str,
}

fn key_line(line: &str) -> Option<KeyLine<'_>> {
    let lead = line.len() - line.trim_start_matches(' ').len();
    let mut column = lead;
    if line[lead..].starts_with("- ") {
        column += 2;
    }
    let rest = &line[column..];
    let (key, value) = match rest.split_once(": ") {
        Some((key, value)) => (key, value),
        None => (rest.strip_suffix(':')?, ""),
    };
    let simple = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    (!key.is_empty() && key.chars().all(simple) && !value.starts_with(' ')).then_some(KeyLine {
        prefix: &line[..column],
        key,
        column,
        value,
    })
}

/// A value written plain that means the same in any context: in a flow collection, quoted, or
/// continued on the next line.
fn simple_plain(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.contains(|c: char| ",[]{}\t\\".contains(c))
        && !value.ends_with([' ', ':'])
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn text_of(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A written scalar, quoted (as JSON, which YAML reads alike) or plain.
fn item(rng: &mut Rng, value: &str) -> String {
    if rng.below(2) == 0 {
        serde_json::to_string(value).unwrap()
    } else {
        value.to_string()
    }
}

/// A block sequence of scalars under a key, written as a flow sequence: on one line, or one
/// item a line at any column with the closing `]` at any column, a comment after it or not.
fn flow_sequence(text: &str, rng: &mut Rng) -> Option<String> {
    let lines = lines_of(text);
    let mut candidates = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(key) = key_line(line) else { continue };
        if !key.value.is_empty() {
            continue;
        }
        let Some(first) = lines.get(index + 1) else {
            continue;
        };
        let indent = first.len() - first.trim_start_matches(' ').len();
        let items: Vec<&str> = lines[index + 1..]
            .iter()
            .map_while(|line| {
                let value = line.strip_prefix(&spaces(indent))?.strip_prefix("- ")?;
                simple_plain(value).then_some(value)
            })
            .collect();
        let after = lines.get(index + 1 + items.len());
        let ends = after.is_none_or(|line| line.len() - line.trim_start().len() <= key.column);
        if indent >= key.column && !items.is_empty() && ends {
            candidates.push((index, indent, items.len()));
        }
    }
    let (index, indent, count) = rng.pick(&candidates)?;
    let key = key_line(&lines[index]).unwrap();
    let values: Vec<String> = lines[index + 1..index + 1 + count]
        .iter()
        .map(|line| line.trim_start()[2..].to_string())
        .collect();
    let written: Vec<String> = values.iter().map(|value| item(rng, value)).collect();
    let comment = ["", "", " # flow", "# glued"][rng.below(4)];
    let mut replaced = Vec::new();
    if rng.below(4) == 0 {
        replaced.push(format!(
            "{}{}: [{}]{comment}",
            key.prefix,
            key.key,
            written.join(", ")
        ));
    } else {
        replaced.push(format!("{}{}: [", key.prefix, key.key));
        let columns = [0, key.column, key.column + 2, key.column + 4, indent];
        let item_column = rng.pick(&columns).unwrap();
        let close_column = rng
            .pick(&[0, key.column, key.column + 1, key.column + 2, indent, 99])
            .unwrap();
        for (number, value) in written.iter().enumerate() {
            let comma = if number + 1 < written.len() { "," } else { "" };
            replaced.push(format!("{}{value}{comma}", spaces(item_column)));
        }
        if close_column == 99 {
            replaced.last_mut().unwrap().push(']');
            replaced.last_mut().unwrap().push_str(comment);
        } else {
            replaced.push(format!("{}]{comment}", spaces(close_column)));
        }
    }
    let mut out = lines[..index].to_vec();
    out.extend(replaced);
    out.extend_from_slice(&lines[index + 1 + count..]);
    Some(text_of(&out))
}

/// One `KEY: VALUE` line that `takes`, picked at random, written as `rewrite` writes it.
fn rewrite_key_line(
    text: &str,
    rng: &mut Rng,
    takes: impl Fn(&KeyLine) -> bool,
    rewrite: impl FnOnce(&KeyLine, &mut Rng) -> String,
) -> Option<String> {
    let mut lines = lines_of(text);
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&index| key_line(&lines[index]).is_some_and(|key| takes(&key)))
        .collect();
    let index = rng.pick(&candidates)?;
    lines[index] = rewrite(&key_line(&lines[index]).unwrap(), rng);
    Some(text_of(&lines))
}

/// Whether a line can break the value (plain, with a space).
fn breakable(key: &KeyLine) -> bool {
    simple_plain(key.value) && key.value.contains(' ')
}

/// A plain value continued on the next line, at a column deeper than its key or not.
fn plain_continuation(text: &str, rng: &mut Rng) -> Option<String> {
    rewrite_key_line(text, rng, breakable, |key, rng| {
        let (head, tail) = key.value.split_once(' ').unwrap();
        let lead = key.prefix.len() - key.prefix.trim_start().len();
        let columns = [key.column + 1, key.column + 2, key.column + 6, lead + 1];
        let column = rng.pick(&columns).unwrap();
        format!(
            "{}{}: {head}\n{}{tail}",
            key.prefix,
            key.key,
            spaces(column)
        )
    })
}

/// A value double-quoted and continued on the next line at any column (further left than its
/// key too), by a line break or an escaped one.
fn quoted_continuation(text: &str, rng: &mut Rng) -> Option<String> {
    rewrite_key_line(text, rng, breakable, |key, rng| {
        let (head, tail) = key.value.split_once(' ').unwrap();
        let column = rng.pick(&[0, 1, key.column, key.column + 2]).unwrap();
        let head = serde_json::to_string(head).unwrap();
        let tail = serde_json::to_string(tail).unwrap();
        let (head, tail) = (&head[..head.len() - 1], &tail[1..]);
        let join = if rng.below(2) == 0 { "" } else { " \\" };
        format!(
            "{}{}: {head}{join}\n{}{tail}",
            key.prefix,
            key.key,
            spaces(column)
        )
    })
}

/// A tab after a key's `:`.
fn tab_after_colon(text: &str, rng: &mut Rng) -> Option<String> {
    rewrite_key_line(
        text,
        rng,
        |key| !key.value.is_empty(),
        |key, _| format!("{}{}:\t{}", key.prefix, key.key, key.value),
    )
}

/// A tab after a sequence entry's `-`.
fn tab_after_dash(text: &str, rng: &mut Rng) -> Option<String> {
    let mut lines = lines_of(text);
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&index| lines[index].trim_start().starts_with("- "))
        .collect();
    let index = rng.pick(&candidates)?;
    lines[index] = lines[index].replacen("- ", "-\t", 1);
    Some(text_of(&lines))
}

/// A line of blanks holding a tab, between two lines.
fn tab_blank_line(text: &str, rng: &mut Rng) -> Option<String> {
    let mut lines = lines_of(text);
    let index = 1 + rng.below(lines.len().max(2) - 1);
    let blank = rng.pick(&["\t", "  \t", "\t  ", ""]).unwrap();
    lines.insert(index.min(lines.len()), blank.to_string());
    Some(text_of(&lines))
}

/// A plain value written as a block scalar (`|-`, `>-`, with an indentation indicator or not).
fn block_scalar(text: &str, rng: &mut Rng) -> Option<String> {
    rewrite_key_line(
        text,
        rng,
        |key| simple_plain(key.value),
        |key, rng| {
            let lead = key.prefix.len() - key.prefix.trim_start().len();
            let (indicator, column) = match rng.below(4) {
                0 => ("|-".to_string(), key.column + 2),
                1 => (">-".to_string(), key.column + 2),
                2 => (format!("|{}-", key.column + 2 - lead), key.column + 2),
                _ => ("|-  # block".to_string(), key.column + 4),
            };
            let (prefix, name, value) = (key.prefix, key.key, key.value);
            format!("{prefix}{name}: {indicator}\n{}{value}", spaces(column))
        },
    )
}

/// An anchor on a value, of a name go-yaml takes or not.
fn anchor(text: &str, rng: &mut Rng) -> Option<String> {
    let takes = |key: &KeyLine| key.value.is_empty() || simple_plain(key.value);
    rewrite_key_line(text, rng, takes, |key, rng| {
        let name = rng.pick(&["a1", "image", "x-common", "web.v1"]).unwrap();
        let value = if key.value.is_empty() {
            String::new()
        } else {
            format!(" {}", key.value)
        };
        format!("{}{}: &{name}{value}", key.prefix, key.key)
    })
}

/// A `KEY: VALUE` brought in by a merge key instead: `<<: {KEY: VALUE}`.
fn merge_key(text: &str, rng: &mut Rng) -> Option<String> {
    rewrite_key_line(
        text,
        rng,
        |key| simple_plain(key.value),
        |key, _| format!("{}<<: {{{}: {}}}", key.prefix, key.key, key.value),
    )
}

/// An image written double-quoted, with an escape or not.
fn quoted_image(text: &str, rng: &mut Rng) -> Option<String> {
    let takes = |key: &KeyLine| key.key == "image" && simple_plain(key.value);
    rewrite_key_line(text, rng, takes, |key, rng| {
        let value = match rng.below(4) {
            0 => format!("\"{}\"", key.value),
            1 => format!("'{}'", key.value),
            2 => format!("\"{}\"", key.value.replace('/', "\\/")),
            _ => format!("\"{}\"", key.value.replace('/', "\\x2f")),
        };
        format!("{}{}: {value}", key.prefix, key.key)
    })
}

/// Document markers and directives around the documents.
fn document_markers(text: &str, rng: &mut Rng) -> Option<String> {
    Some(match rng.below(6) {
        0 => format!("---\n{text}"),
        1 => format!("--- # first\n{text}"),
        2 => format!("{text}...\n"),
        3 => format!("%YAML 1.1\n---\n{text}"),
        4 => format!("# a comment first\n\n{text}"),
        _ => text.replacen("\n---\n", "\n...\n---\n", 1),
    })
}

/// A byte order mark first, or starting a later document (files concatenated).
fn byte_order_mark(text: &str, rng: &mut Rng) -> Option<String> {
    if rng.below(2) == 0 || !text.contains("\n---\n") {
        Some(format!("\u{FEFF}{text}"))
    } else {
        Some(text.replacen("\n---\n", "\n\u{FEFF}---\n", 1))
    }
}

/// CR LF line ends, everywhere or on some lines.
fn line_ends(text: &str, rng: &mut Rng) -> Option<String> {
    let every = rng.below(2) == 0;
    let mut out = String::with_capacity(text.len() * 11 / 10);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) if every || rng.below(2) == 0 => {
                out.push_str(body);
                out.push_str("\r\n");
            }
            _ => out.push_str(line),
        }
    }
    Some(out)
}

type Mutation = fn(&str, &mut Rng) -> Option<String>;

/// Every layout change, in the order they are applied (those that see lines first, line ends
/// last).
const MUTATIONS: [(&str, Mutation); 13] = [
    ("flow-sequence", flow_sequence),
    ("plain-continuation", plain_continuation),
    ("quoted-continuation", quoted_continuation),
    ("block-scalar", block_scalar),
    ("anchor", anchor),
    ("merge-key", merge_key),
    ("quoted-image", quoted_image),
    ("tab-after-colon", tab_after_colon),
    ("tab-after-dash", tab_after_dash),
    ("tab-blank-line", tab_blank_line),
    ("document-markers", document_markers),
    ("byte-order-mark", byte_order_mark),
    ("crlf", line_ends),
];

/// The real files the variants are made of.
fn sources() -> Vec<PathBuf> {
    let data = test_data();
    let mut files: Vec<PathBuf> = test_data_files(&["yaml", "yml"])
        .into_iter()
        .filter(|path| {
            let name = path.to_string_lossy();
            let file = path.file_name().unwrap().to_string_lossy();
            (name.contains("/corpus/kube-prometheus/")
                && (file.ends_with("-deployment.yaml")
                    || file.ends_with("-daemonset.yaml")
                    || file == "prometheus-prometheus.yaml"
                    || file == "alertmanager-alertmanager.yaml"))
                || file == "ingress-nginx-deploy.yaml"
                || (name.contains("/docker/real/") && Reader::of_name(&file) == Reader::Compose)
                || name.contains("/yaml-parity/public/")
        })
        .collect();
    files.sort();
    assert!(
        files.len() > 10,
        "only {} sources under {}",
        files.len(),
        data.display()
    );
    files
}

/// A variant: its name (with the changes made) and text.
fn variant(index: usize, source: &Path, text: &str, rng: &mut Rng) -> Option<(String, String)> {
    let count = 1 + rng.below(3);
    let mut chosen: Vec<usize> = (0..count).map(|_| rng.below(MUTATIONS.len())).collect();
    chosen.sort_unstable();
    chosen.dedup();
    let mut text = text.to_string();
    let mut names = Vec::new();
    for choice in chosen {
        let (name, mutate) = MUTATIONS[choice];
        text = mutate(&text, rng)?;
        names.push(name);
    }
    // A Compose file is named by its folder (they are all docker-compose.yml or compose.yaml).
    let label = match Reader::of_name(&source.to_string_lossy()) {
        Reader::Kubectl => source.file_stem(),
        Reader::Compose => source.parent().and_then(Path::file_name),
    };
    let label = label.unwrap().to_string_lossy();
    let name = format!("gen-{index:04}-{label}-{}", names.join("+"));
    Some((name, text))
}

fn known_disagreements_file() -> PathBuf {
    test_data().join("yaml-parity/known-disagreements.txt")
}

/// The list: `NAME<TAB>CAUSE` a line, `#` comments.
fn known_disagreements() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(known_disagreements_file()).unwrap_or_default();
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, cause) = line.split_once('\t').unwrap_or((line, ""));
            (name.to_string(), cause.to_string())
        })
        .collect()
}

/// The file a generated variant is written to and kept as: its name says which reader reads it.
fn variant_file(name: &str, reader: Reader) -> String {
    match reader {
        Reader::Kubectl => format!("{name}.yaml"),
        Reader::Compose => format!("docker-compose.{name}.yml"),
    }
}

/// The layout variants of the sources that go-yaml reads as exactly their source's data.
fn variants(oracle_binary: &Path, dir: &Path) -> Vec<Input> {
    let sources = sources();
    let texts: Vec<String> = sources
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    let readers: Vec<Reader> = sources
        .iter()
        .map(|path| Reader::of_name(&path.file_name().unwrap().to_string_lossy()))
        .collect();
    let mut rng = Rng(SEED);
    let mut candidates = Vec::new();
    for index in 0..VARIANTS * 3 {
        let which = index % sources.len();
        let Some((name, text)) = variant(index, &sources[which], &texts[which], &mut rng) else {
            continue;
        };
        let path = dir.join(variant_file(&name, readers[which]));
        std::fs::write(&path, text).unwrap();
        candidates.push((
            which,
            Input {
                name,
                path,
                reader: readers[which],
            },
        ));
    }
    let mut kept = Vec::new();
    for reader in [Reader::Kubectl, Reader::Compose] {
        let of_reader: Vec<&Path> = sources
            .iter()
            .zip(&readers)
            .filter(|(_, r)| **r == reader)
            .map(|(path, _)| path.as_path())
            .collect();
        let originals: BTreeMap<&Path, OracleVerdict> = of_reader
            .iter()
            .copied()
            .zip(oracle(oracle_binary, reader, &of_reader))
            .collect();
        let mine: Vec<&(usize, Input)> = candidates
            .iter()
            .filter(|(_, input)| input.reader == reader)
            .collect();
        let files: Vec<&Path> = mine.iter().map(|(_, input)| input.path.as_path()).collect();
        for ((which, input), verdict) in mine.into_iter().zip(oracle(oracle_binary, reader, &files))
        {
            let original = &originals[sources[*which].as_path()];
            assert!(
                original.accepted,
                "{}: {}",
                sources[*which].display(),
                original.error
            );
            if verdict.accepted && verdict.data == original.data {
                kept.push((input.name.clone(), input.path.clone(), reader));
            }
        }
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    kept.truncate(VARIANTS);
    assert_eq!(
        kept.len(),
        VARIANTS,
        "too few variants read as their source"
    );
    kept.into_iter()
        .map(|(name, path, reader)| Input { name, path, reader })
        .collect()
}

/// Every input: the YAML test suite's, every YAML and JSON file of tests/data, the variants.
fn inputs(oracle_binary: &Path, dir: &Path) -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for (path, text) in yaml_test_suite_inputs() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let number = cases.entry(stem.clone()).or_default();
        *number += 1;
        let file = dir.join(format!("suite-{stem}-{number}.yaml"));
        std::fs::write(&file, text).unwrap();
        inputs.push(Input {
            name: format!("yaml-test-suite/{stem}#{number}"),
            path: file,
            reader: Reader::Kubectl,
        });
    }
    let data = test_data();
    for path in test_data_files(&["yaml", "yml", "json"]) {
        let name = path
            .strip_prefix(&data)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("yaml-test-suite/") {
            continue;
        }
        let reader = Reader::of_name(&name);
        inputs.push(Input { name, path, reader });
    }
    let generated = dir.join("gen");
    std::fs::create_dir(&generated).unwrap();
    inputs.extend(variants(oracle_binary, &generated));
    inputs
}

/// The plugin's verdict on each input, two at a time (the machine's other work goes on).
fn plugin_verdicts(inputs: &[Input]) -> Vec<PluginVerdict> {
    let half = inputs.len().div_ceil(2);
    std::thread::scope(|scope| {
        let workers: Vec<_> = inputs
            .chunks(half)
            .map(|chunk| scope.spawn(move || chunk.iter().map(plugin).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    })
}

#[test]
fn the_plugin_reads_what_go_yaml_reads_and_finds_the_same_images() {
    let oracle_binary = oracle_binary();
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(&oracle_binary, dir.path());
    let mut references: Vec<Option<OracleVerdict>> = inputs.iter().map(|_| None).collect();
    for reader in [Reader::Kubectl, Reader::Compose] {
        let indices: Vec<usize> = (0..inputs.len())
            .filter(|&i| inputs[i].reader == reader)
            .collect();
        let files: Vec<&Path> = indices.iter().map(|&i| inputs[i].path.as_path()).collect();
        for (index, verdict) in indices
            .into_iter()
            .zip(oracle(&oracle_binary, reader, &files))
        {
            references[index] = Some(verdict);
        }
    }
    let plugin = plugin_verdicts(&inputs);

    let mut found = BTreeMap::new();
    for ((input, reference), plugin) in inputs.iter().zip(&references).zip(&plugin) {
        if let Some(difference) = disagreement(reference.as_ref().unwrap(), plugin) {
            found.insert(input.name.clone(), difference);
        }
    }
    let known = known_disagreements();
    let new: Vec<(&String, &String)> = found
        .iter()
        .filter(|(name, _)| !known.contains_key(*name))
        .collect();
    let gone: Vec<&String> = known
        .keys()
        .filter(|name| !found.contains_key(*name))
        .collect();
    if std::env::var_os("YAML_PARITY_RECORD").is_some() {
        record(&inputs, &found);
    }
    assert!(
        new.is_empty() && gone.is_empty(),
        "{} inputs, {} disagreements\nnew (fix them, or list them in {} with their cause; \
         YAML_PARITY_RECORD=1 writes the list, YAML_PARITY_KEEP=1 keeps each generated one \
         under tests/data/yaml-parity/regressions):\n{}\n\
         fixed (remove from the list):\n{}",
        inputs.len(),
        found.len(),
        known_disagreements_file().display(),
        new.iter()
            .map(|(name, why)| format!("{name}\t{why}\n"))
            .collect::<String>(),
        gone.iter()
            .map(|name| format!("{name}\n"))
            .collect::<String>(),
    );
}

/// YAML_PARITY_RECORD=1: the list written anew (a listed cause kept, a new one as found);
/// YAML_PARITY_KEEP=1 too: each generated variant the readers disagree on kept as a regression
/// file, read on every run whatever the generator becomes.
fn record(inputs: &[Input], found: &BTreeMap<String, String>) {
    if std::env::var_os("YAML_PARITY_KEEP").is_some() {
        let regressions = test_data().join("yaml-parity/regressions");
        std::fs::create_dir_all(&regressions).unwrap();
        for input in inputs {
            if input.name.starts_with("gen-") && found.contains_key(&input.name) {
                let kept = regressions.join(variant_file(&input.name, input.reader));
                std::fs::copy(&input.path, kept).unwrap();
            }
        }
    }
    let known = known_disagreements();
    let mut list = String::from(
        "# Inputs the plugin reads unlike go-yaml today, each with its cause (tests/cli/yaml_parity.rs).\n\
         # The list only shrinks: remove an entry once the reader is fixed.\n",
    );
    for (name, found_cause) in found {
        let cause = known
            .get(name)
            .filter(|cause| !cause.is_empty())
            .unwrap_or(found_cause);
        list.push_str(&format!("{name}\t{cause}\n"));
    }
    std::fs::write(known_disagreements_file(), list).unwrap();
}

/// The public files that made the reader disagree with go-yaml (tests/data/yaml-parity/public),
/// pinned offline from a lock of made-up digests: the output is the file with only `@DIGEST`
/// added after images, and go-yaml reads it as the file with every image pinned.
#[test]
fn the_public_files_go_yaml_reads_are_pinned_byte_exact() {
    let oracle_binary = oracle_binary();
    let public = test_data().join("yaml-parity/public");
    let files: Vec<PathBuf> = test_data_files(&["yaml", "yml"])
        .into_iter()
        .filter(|path| path.starts_with(&public))
        .collect();
    assert!(files.len() >= 11, "only {} public files", files.len());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let reader = Reader::of_name(&name);
        let before = oracle(&oracle_binary, reader, &[file.as_path()]).remove(0);
        assert!(
            before.accepted,
            "{}: go-yaml: {}",
            file.display(),
            before.error
        );
        let images: BTreeSet<&String> = before
            .images
            .iter()
            .filter(|image| !image.contains(['@', '$']))
            .collect();
        // Each image, as the plugin writes it pinned (`:latest` added to a name without a tag),
        // and the reference the lock file names it by.
        let pinned: BTreeMap<&String, (String, String)> = images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                let reference = ImageReference::parse(image).unwrap();
                let digest = format!("sha256:{:064x}", index + 1);
                let latest = if reference.tag().is_none() {
                    ":latest"
                } else {
                    ""
                };
                (
                    *image,
                    (format!("{image}{latest}@{digest}"), reference.canonical()),
                )
            })
            .collect();
        let lock = serde_json::json!({
            "version": 1,
            "images": pinned
                .values()
                .map(|(written, canonical)| (canonical, written.split_once('@').unwrap().1))
                .collect::<BTreeMap<_, _>>(),
        });
        let dir = tempfile::tempdir().unwrap();
        let lock_file = dir.path().join("lock.json");
        std::fs::write(&lock_file, lock.to_string()).unwrap();
        let copy = dir.path().join(&name);
        std::fs::copy(&file, &copy).unwrap();
        let arguments = [
            "pin",
            "--offline",
            "--lock",
            "lock.json",
            "--kind",
            reader.kind(),
            "-f",
        ];
        let run = Plugin::new(arguments.into_iter().chain([name.as_str()]))
            .current_dir(dir.path())
            .run()
            .expect_code(0);

        let original = std::fs::read_to_string(&file).unwrap();
        let unpinned = pinned
            .iter()
            .fold(run.stdout.clone(), |text, (image, (written, _))| {
                text.replace(written, image)
            });
        let changed = original
            .lines()
            .zip(unpinned.lines())
            .position(|(before, after)| before != after);
        assert!(
            unpinned == original,
            "{}: bytes besides the pins changed (line index {changed:?})",
            file.display()
        );
        let output = dir.path().join(format!("pinned-{name}"));
        std::fs::write(&output, &run.stdout).unwrap();
        let after = oracle(&oracle_binary, reader, &[output.as_path()]).remove(0);
        let expected: BTreeSet<String> = before
            .images
            .iter()
            .map(|image| {
                pinned
                    .get(image)
                    .map_or(image, |(written, _)| written)
                    .clone()
            })
            .collect();
        assert!(
            after.accepted,
            "{}: go-yaml refuses the output",
            file.display()
        );
        assert_eq!(
            after.images.into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{}",
            file.display()
        );
    }
}
