//! The two sides of `diff OLD NEW`: each a file, a directory, `-` or `REV:PATH`, read into
//! objects by identity.

use std::collections::BTreeMap;

use super::sources;
use crate::core::diff::ObjectSet;
use crate::core::manifest::object_key;
use crate::core::problem::{Position, Problem, Problems};

/// Both sides, each object under its identity (`namespace` for those that name none); every
/// problem of either side, each on its own line.
pub fn read_sides(
    old: &str,
    new: &str,
    recursive: bool,
    namespace: &str,
) -> Result<(ObjectSet, ObjectSet), Problems> {
    // The two sides are read on two cores: parsing is most of a large diff's time.
    let sides = std::thread::scope(|scope| {
        let old = scope.spawn(|| read_side(old, recursive, namespace));
        let new = read_side(new, recursive, namespace);
        (old.join().expect("reading a side does not panic"), new)
    });
    match sides {
        (Ok(old), Ok(new)) => Ok((old, new)),
        (old, new) => Err(Problems(
            [old.err(), new.err()]
                .into_iter()
                .flatten()
                .flat_map(|Problems(problems)| problems)
                .collect(),
        )),
    }
}

/// Every object of a side by identity; every problem in it, each on its own line.
fn read_side(side: &str, recursive: bool, namespace: &str) -> Result<ObjectSet, Problems> {
    let mut objects = ObjectSet::new();
    let mut places = BTreeMap::new();
    let mut problems = Vec::new();
    for source in sources::read_side(side, recursive)? {
        let Some(parsed) = sources::documents(&source, &mut problems) else {
            continue;
        };
        for parsed in parsed {
            let at = Problem::at(&source.name, Some(Position::line(parsed.line)), "");
            match object_key(&parsed.object, namespace) {
                Ok(key) => {
                    if let Some(first) = places.insert(key.clone(), at.place()) {
                        problems.push(Problem {
                            message: format!("{key} appears twice (first at {first})"),
                            ..at
                        });
                    }
                    objects.insert(key, parsed.object);
                }
                Err(reason) => problems.push(Problem {
                    message: reason,
                    ..at
                }),
            }
        }
    }
    Problems::or(problems, objects)
}
