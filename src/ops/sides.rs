//! The two sides of `diff OLD NEW`: each a file, a directory, `-` or `REV:PATH`, read into
//! objects by identity.
//!
//! Most of a large diff's time is parsing, and most documents of two releases are written the
//! same on both sides. So each side's text is cut into pieces of whole documents, and a piece
//! written byte for byte the same on both sides is parsed once: its objects are the same on
//! both, counted as unchanged and not kept. Only the rest is parsed per side and compared.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::sources;
use crate::adapters::fs::{Links, Source};
use crate::core::diff::ObjectSet;
use crate::core::manifest::{
    ManifestError, ObjectKey, ParsedObject, document_pieces, object_key, parse_documents,
};
use crate::core::problem::{Position, Problem, Problems};

/// Both sides' objects that differ in their text, by identity, and how many objects the two
/// write byte for byte the same (unchanged without being compared).
#[derive(Debug, Default)]
pub struct Sides {
    pub old: ObjectSet,
    pub new: ObjectSet,
    pub same: usize,
}

/// Both sides, each object under its identity (`namespace` for those that name none); every
/// problem of either side, each on its own line.
pub fn read_sides(
    old: &str,
    new: &str,
    recursive: bool,
    links: Links,
    namespace: &str,
) -> Result<Sides, Problems> {
    // The two sides are read on two cores.
    let read = std::thread::scope(|scope| {
        let old = scope.spawn(|| sources::read_side(old, recursive, links));
        let new = sources::read_side(new, recursive, links);
        (old.join().expect("reading a side does not panic"), new)
    });
    let (old, new) = match read {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            // Each side says all that is wrong with it: what could not be read, else what
            // could not be parsed.
            let problems = |side: Result<Vec<Source>, Problems>| match side {
                Ok(sources) => objects_of(&sources, namespace).err(),
                Err(problems) => Some(problems),
            };
            return Err(Problems(
                [problems(old), problems(new)]
                    .into_iter()
                    .flatten()
                    .flat_map(|Problems(problems)| problems)
                    .collect(),
            ));
        }
    };
    match shared_pieces(&old, &new, namespace) {
        Some(sides) => sides,
        // A piece the reader refused: each side as a whole, for the messages it gives.
        None => both(objects_of(&old, namespace), objects_of(&new, namespace)),
    }
}

fn both(
    old: Result<ObjectSet, Problems>,
    new: Result<ObjectSet, Problems>,
) -> Result<Sides, Problems> {
    match (old, new) {
        (Ok(old), Ok(new)) => Ok(Sides { old, new, same: 0 }),
        (old, new) => Err(Problems(
            [old.err(), new.err()]
                .into_iter()
                .flatten()
                .flat_map(|Problems(problems)| problems)
                .collect(),
        )),
    }
}

/// Every object of `sources` by identity; every problem in them, each on its own line.
fn objects_of(sources: &[Source], namespace: &str) -> Result<ObjectSet, Problems> {
    let mut side = Side::new(namespace);
    for source in sources {
        match parse_documents(&source.text) {
            Ok(parsed) => side.add(source, 0, parsed),
            Err(error) => side.problems.push(Problem::located(&source.name, &error)),
        }
    }
    Problems::or(side.problems, side.objects)
}

/// A source cut into pieces of whole documents, or kept whole where it cannot be cut.
struct Cut<'a> {
    source: &'a Source,
    pieces: Option<Vec<(usize, &'a str)>>,
}

fn cut(sources: &[Source]) -> Vec<Cut<'_>> {
    sources
        .iter()
        .map(|source| Cut {
            source,
            pieces: document_pieces(&source.text),
        })
        .collect()
}

fn piece_texts<'a>(cuts: &[Cut<'a>]) -> HashSet<&'a str> {
    cuts.iter()
        .flat_map(|cut| cut.pieces.iter().flatten())
        .map(|&(_, text)| text)
        .collect()
}

type Parsed = Result<Vec<ParsedObject>, ManifestError>;

/// Each object of a piece by the line it starts on, and its identity or why it has none.
type Identities = Vec<(usize, Result<ObjectKey, String>)>;

/// A piece parsed: its objects, or for one written the same on both sides only who they are
/// (its objects are not kept).
enum Piece {
    Objects(Parsed),
    Same(Result<Identities, ManifestError>),
}

/// Both sides with the pieces written the same on both parsed once; `None` where a piece does
/// not parse on its own.
fn shared_pieces(
    old: &[Source],
    new: &[Source],
    namespace: &str,
) -> Option<Result<Sides, Problems>> {
    let (old, new) = (cut(old), cut(new));
    let old_texts = piece_texts(&old);
    let shared: HashSet<&str> = piece_texts(&new)
        .into_iter()
        .filter(|text| old_texts.contains(text))
        .collect();

    // What to parse: each shared piece once, each other piece, each source kept whole.
    let mut work: Vec<&str> = shared.iter().copied().collect();
    for cut in old.iter().chain(&new) {
        match &cut.pieces {
            Some(pieces) => work.extend(
                pieces
                    .iter()
                    .map(|&(_, text)| text)
                    .filter(|text| !shared.contains(text)),
            ),
            None => work.push(&cut.source.text),
        }
    }
    let mut parsed = parse_in_parallel(work, &shared, namespace);
    let same_pieces: HashMap<&str, Identities> = shared
        .iter()
        .map(|&text| match parsed.remove(text) {
            Some(Piece::Same(Ok(identities))) => Some((text, identities)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    // A text parsed once may be written twice on one side; the second is parsed again.
    let mut take = |text: &str| -> Parsed {
        match parsed.remove(text) {
            Some(Piece::Objects(objects)) => objects,
            _ => parse_documents(text),
        }
    };

    let mut sides = Vec::new();
    let mut same = 0;
    for (cuts, is_old) in [(&old, true), (&new, false)] {
        let mut side = Side::new(namespace);
        for cut in cuts.iter() {
            let Some(pieces) = &cut.pieces else {
                match take(&cut.source.text) {
                    Ok(objects) => side.add(cut.source, 0, objects),
                    Err(error) => side
                        .problems
                        .push(Problem::located(&cut.source.name, &error)),
                }
                continue;
            };
            let mut lines_before = 0;
            let mut counted_to = 0;
            for &(start, text) in pieces {
                lines_before += cut.source.text[counted_to..start]
                    .bytes()
                    .filter(|&b| b == b'\n')
                    .count();
                counted_to = start;
                if let Some(identities) = same_pieces.get(text) {
                    if is_old {
                        same += identities.len();
                    }
                    side.identify(cut.source, lines_before, identities);
                } else {
                    side.add(cut.source, lines_before, take(text).ok()?);
                }
            }
        }
        sides.push(Problems::or(side.problems, side.objects));
    }
    let new = sides.pop().expect("two sides");
    let old = sides.pop().expect("two sides");
    Some(both(old, new).map(|sides| Sides { same, ..sides }))
}

/// Each text parsed, on every core; of the `shared` ones only the identities are kept.
fn parse_in_parallel<'a>(
    work: Vec<&'a str>,
    shared: &HashSet<&str>,
    namespace: &str,
) -> HashMap<&'a str, Piece> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = work.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(chunk)
            .map(|texts| {
                scope.spawn(move || {
                    texts
                        .iter()
                        .map(|&text| {
                            let parsed = parse_documents(text);
                            let piece = if shared.contains(text) {
                                Piece::Same(parsed.map(|objects| {
                                    objects
                                        .iter()
                                        .map(|o| (o.line, object_key(&o.object, namespace)))
                                        .collect()
                                }))
                            } else {
                                Piece::Objects(parsed)
                            };
                            (text, piece)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("parsing does not panic"))
            .collect()
    })
}

/// One side's objects as they are read, with where each identity was first seen.
struct Side<'a> {
    namespace: &'a str,
    objects: ObjectSet,
    places: BTreeMap<ObjectKey, String>,
    problems: Vec<Problem>,
}

impl<'a> Side<'a> {
    fn new(namespace: &'a str) -> Self {
        Side {
            namespace,
            objects: ObjectSet::new(),
            places: BTreeMap::new(),
            problems: Vec::new(),
        }
    }

    /// The objects of `source` parsed from its text after `lines_before` lines, kept.
    fn add(&mut self, source: &Source, lines_before: usize, parsed: Vec<ParsedObject>) {
        for parsed in parsed {
            let key = object_key(&parsed.object, self.namespace);
            if let Some(key) = self.identify_one(source, parsed.line + lines_before, key) {
                self.objects.insert(key, parsed.object);
            }
        }
    }

    /// As [`Side::add`], for objects written the same on the other side: identified (a second
    /// object of the same identity is a problem all the same), not kept.
    fn identify(&mut self, source: &Source, lines_before: usize, identities: &Identities) {
        for (line, key) in identities {
            self.identify_one(source, line + lines_before, key.clone());
        }
    }

    fn identify_one(
        &mut self,
        source: &Source,
        line: usize,
        key: Result<ObjectKey, String>,
    ) -> Option<ObjectKey> {
        let at = Problem::at(&source.name, Some(Position::line(line)), "");
        match key {
            Ok(key) => {
                if let Some(first) = self.places.insert(key.clone(), at.place()) {
                    self.problems.push(Problem {
                        message: format!("{key} appears twice (first at {first})"),
                        ..at
                    });
                }
                Some(key)
            }
            Err(reason) => {
                self.problems.push(Problem {
                    message: reason,
                    ..at
                });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::core::diff::diff;

    /// Documents as releases write them, and ones that test the cut: a List, an object written
    /// twice, a piece of comments only, CRLF, a `---` with a comment after it, a document the
    /// reader refuses, one with an anchor (its source is kept whole), a directive.
    const DOCUMENTS: [&str; 12] = [
        "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
        "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: w\n",
        "kind: Service\nmetadata:\n  name: b\n  namespace: x\nspec:\n  ports: [{port: 80}]\n",
        "kind: Service\nmetadata:\n  name: b\n  namespace: x\nspec:\n  ports: [{port: 81}]\n",
        "kind: List\nitems:\n- kind: Pod\n  metadata: {name: c}\n- kind: Pod\n  metadata: {name: d}\n",
        "# only a comment\n",
        "kind: Secret\r\nmetadata:\r\n  name: e\r\ndata: {}\r\n",
        "kind: Pod\nmetadata:\n  name: f\nspec: {containers: [{image: \"x\\u0061\"}]}\n",
        "kind: Pod\nmetadata:\n  name: [unclosed\n",
        "kind: Pod\nmetadata: &m\n  name: g\nspec:\n  m: *m\n",
        "metadata:\n  name: no-kind\n",
        "- not a mapping\n",
    ];

    fn sources(side: &str, files: &[Vec<(usize, bool)>]) -> Vec<Source> {
        files
            .iter()
            .enumerate()
            .map(|(i, documents)| Source {
                name: format!("{side}/{i}.yaml"),
                path: None,
                text: documents
                    .iter()
                    .map(|&(document, comment)| {
                        let marker = if comment { "--- # next\n" } else { "---\n" };
                        format!("{marker}{}", DOCUMENTS[document])
                    })
                    .collect(),
            })
            .collect()
    }

    fn side() -> impl Strategy<Value = Vec<Vec<(usize, bool)>>> {
        prop::collection::vec(
            prop::collection::vec((0..DOCUMENTS.len(), any::<bool>()), 0..5),
            1..4,
        )
    }

    /// What `diff` makes of the sides, or the problems, as text.
    fn outcome(sides: Result<Sides, Problems>) -> String {
        match sides {
            Ok(sides) => {
                let mut report = diff(&sides.old, &sides.new, &[]);
                report.summary.unchanged += sides.same;
                format!("{report:?}")
            }
            Err(Problems(problems)) => format!("{problems:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Parsing the pieces written the same on both sides once gives the report, or the
        /// problems, that parsing each side whole gives.
        #[test]
        fn shared_pieces_give_what_whole_sides_give(old in side(), new in side()) {
            let (old, new) = (sources("a", &old), sources("b", &new));
            let whole = both(objects_of(&old, "default"), objects_of(&new, "default"));
            let shared = shared_pieces(&old, &new, "default")
                .unwrap_or_else(|| both(objects_of(&old, "default"), objects_of(&new, "default")));
            prop_assert_eq!(outcome(shared), outcome(whole));
        }
    }

    #[test]
    fn a_piece_written_the_same_on_both_sides_is_counted_not_kept() {
        let old = sources("a", &[vec![(0, false), (2, false), (4, true)]]);
        let new = sources("b", &[vec![(0, false), (3, false)], vec![(4, true)]]);
        let sides = shared_pieces(&old, &new, "default")
            .expect("every piece parses")
            .expect("no problem");
        // The ConfigMap's and the List's pieces are the same text; the Service changed.
        assert_eq!(sides.same, 1 + 2);
        assert_eq!(sides.old.len(), 1);
        assert_eq!(sides.new.len(), 1);
    }
}
