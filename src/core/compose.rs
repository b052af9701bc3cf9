//! The images of a Compose file, found by the same YAML locator as manifests' (byte spans,
//! anchors, merge keys and aliases as there) with rules of their own: `services.*.image` and
//! the `source` of a service's `type: image` volume. `x-*` extension fields are walked like
//! services, so an image in an anchored `x-common: &common` block that services merge
//! (`<<: *common`) is pinned where it is written. Each service is then read as Compose reads
//! it, its merge keys and `extends` followed: the `image:` of a service that builds (`build:`
//! written, merged or extended) names what is built and stays. A value Compose interpolates
//! (`${TAG}`, `$TAG`) cannot be pinned.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser};

use super::image_paths::{Condition, ImagePath};
use super::locate::{LocateError, LocatedImage, locate_in_parallel};
use super::manifest::{DEPTH_LIMIT, SCALAR_TEXT_LIMIT, node_limit};
use super::problem::Located as _;

/// The rules that find a Compose file's images.
pub fn rules() -> Vec<ImagePath> {
    let rule = |path: &str, condition: Condition| {
        let mut rule: ImagePath = path.parse().expect("built-in Compose paths are valid");
        rule.condition = Some(condition);
        rule
    };
    // A `build:` written beside the image; one merged or extended is found by [`Tree`].
    let without_build = || Condition::Without("build".to_string());
    let image_volume = || Condition::With("type".to_string(), "image".to_string());
    vec![
        rule("*:services.*.image", without_build()),
        rule("*:x-*.image", without_build()),
        rule("*:services.*.volumes[].source", image_volume()),
        rule("*:x-*.volumes[].source", image_volume()),
    ]
}

/// What a Compose file holds: its images, the values Compose interpolates (line, column, value),
/// the images that cannot be pinned for another reason (with why), and the problems that stop
/// it being pinned.
#[derive(Debug, Default)]
pub struct Scan {
    pub images: Vec<LocatedImage>,
    pub interpolated: Vec<LocatedImage>,
    pub unpinnable: Vec<(LocatedImage, String)>,
    pub errors: Vec<LocateError>,
}

/// The files a Compose file's services extend (`extends: {file: …}`), by the name written
/// there: each one's text, or why it is refused. A file missing here is one that could not be
/// read (it does not exist).
pub type Extended = HashMap<String, Result<String, String>>;

/// Every image of the Compose file `text`, whose services extend the files `extended`.
pub fn scan(text: &str, extended: &Extended) -> Scan {
    let (found, mut errors) = locate_in_parallel(text, &rules());
    for error in &mut errors {
        if let LocateError::NotAString { kind, .. } | LocateError::AliasedCollection { kind, .. } =
            error
            && kind.is_empty()
        {
            *kind = "a Compose service".to_string();
        }
    }
    let uses = match Tree::parse(text) {
        Ok(tree) => {
            errors.extend(tree.refused_extends(extended));
            let extended = parse_extended(extended);
            Some(tree.image_uses(&extended))
        }
        Err(Some(error)) => {
            errors.push(error);
            None
        }
        // Not YAML: the locator reports that.
        Err(None) => None,
    };
    let mut scan = Scan {
        errors,
        ..Scan::default()
    };
    for image in found {
        let at = (image.line, image.column);
        let judged = uses.as_ref().and_then(|uses| uses.get(&at));
        match judged {
            Some(Use::Built {
                pulled_by: None, ..
            }) => {}
            Some(Use::Built {
                service,
                pulled_by: Some(other),
            }) => {
                let why = format!(
                    "service {other} pulls it and service {service} builds it; not pinnable"
                );
                scan.unpinnable.push((image, why));
            }
            Some(Use::Unknown(why)) => {
                let why = format!("{why}; not pinnable");
                scan.unpinnable.push((image, why));
            }
            None if interpolates(&image.value) => scan.interpolated.push(image),
            None => scan.images.push(image),
        }
    }
    scan
}

/// The files `text`'s services extend (`extends: {file: …}`), as written.
pub fn extended_files(text: &str) -> Vec<String> {
    let Ok(tree) = Tree::parse(text) else {
        return Vec::new();
    };
    let mut files: Vec<String> = tree
        .extends_files()
        .map(|(file, _)| file.to_string())
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Each extended file parsed once, however many services extend it; `None` for one that cannot
/// be read or is not YAML.
fn parse_extended(extended: &Extended) -> HashMap<&str, Option<Tree>> {
    extended
        .iter()
        .map(|(file, text)| {
            let tree = text.as_ref().ok().and_then(|text| Tree::parse(text).ok());
            (file.as_str(), tree)
        })
        .collect()
}

/// How a written image value is used by the services that take it, where that keeps it as
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Use {
    /// A service that builds names it; another may pull it too.
    Built {
        service: String,
        pulled_by: Option<String>,
    },
    /// A service takes it, but what that service is cannot be known (an `extends` that cannot
    /// be followed).
    Unknown(String),
}

/// A key of a mapping, by the index of its text in [`Tree::keys`]: merging copies numbers, never
/// text, however long the keys.
type Key = usize;

/// A node of a YAML document, as far as Compose's service rules need it: scalars with where
/// they start, collections by the index of their nodes; an alias is its anchor's node, never
/// a copy.
#[derive(Debug)]
enum Node {
    Scalar {
        value: String,
        line: usize,
        column: usize,
    },
    /// Keys (a scalar key's, `None` for another key) and value nodes, in order; where it starts.
    Mapping {
        entries: Vec<(Option<Key>, usize)>,
        line: usize,
        column: usize,
    },
    Sequence(Vec<usize>),
}

/// The first document of a Compose file as [`Node`]s.
#[derive(Debug)]
struct Tree {
    nodes: Vec<Node>,
    /// The text of each key, and the key of each text.
    keys: Vec<String>,
    key_of: HashMap<String, Key>,
    /// The keys of each mapping that has merge keys, its merges followed: resolved once each
    /// when the tree is read, so a mapping merged from many places is walked once.
    merged: HashMap<usize, HashMap<Key, usize>>,
    /// The services (`services.*`), by name in order, and the first of each name.
    services: Vec<(Key, usize)>,
    service_of: HashMap<Key, usize>,
}

/// How deep `extends` are followed, and merges written inside merges (`<<: {<<: …}`; a chain of
/// anchors merging each other is resolved link by link, at any length): Compose files nest
/// them a few levels at most; a cycle or an absurd depth stops here, within the stack.
const MAX_DEPTH: usize = 32;

/// An error at `line`:`column`, worded as the manifest reader's limits are.
fn limit_error(line: usize, column: usize, message: String) -> LocateError {
    LocateError::Syntax {
        line,
        column,
        message,
    }
}

impl Tree {
    /// The tree of `text`'s first document; `Err(None)` when it is not YAML (the locator
    /// reports that), an error where it is over the limits manifests are read with: more than
    /// [`DEPTH_LIMIT`] levels, [`SCALAR_TEXT_LIMIT`] bytes of text, or [`node_limit`] values once
    /// its merge keys are expanded.
    fn parse(text: &str) -> Result<Tree, Option<LocateError>> {
        let mut tree = Tree {
            nodes: Vec::new(),
            keys: Vec::new(),
            key_of: HashMap::new(),
            merged: HashMap::new(),
            services: Vec::new(),
            service_of: HashMap::new(),
        };
        let mut anchors: HashMap<usize, usize> = HashMap::new();
        let mut aliased_keys: HashMap<usize, Key> = HashMap::new();
        // Open collections: the node, and for a mapping the key read so far.
        let mut open: Vec<(usize, Option<Option<Key>>)> = Vec::new();
        let mut text_bytes = 0;
        let attach = |nodes: &mut Vec<Node>,
                      open: &mut Vec<(usize, Option<Option<Key>>)>,
                      child: usize,
                      key: Option<Key>| {
            let Some((parent, pending)) = open.last_mut() else {
                return;
            };
            match &mut nodes[*parent] {
                Node::Sequence(items) => items.push(child),
                Node::Mapping { entries, .. } => match pending.take() {
                    Some(pending) => entries.push((pending, child)),
                    None => *pending = Some(key),
                },
                Node::Scalar { .. } => {}
            }
        };
        for event in Parser::new_from_str(text) {
            let (event, span) = event.map_err(|_| None)?;
            let (line, column) = (span.start.line(), span.start.col() + 1);
            match event {
                Event::DocumentEnd => break,
                Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                    if open.len() >= DEPTH_LIMIT {
                        let message = format!("nested more than {DEPTH_LIMIT} levels deep");
                        return Err(Some(limit_error(line, column, message)));
                    }
                    let node = tree.nodes.len();
                    tree.nodes
                        .push(if matches!(event, Event::MappingStart(..)) {
                            Node::Mapping {
                                entries: Vec::new(),
                                line,
                                column,
                            }
                        } else {
                            Node::Sequence(Vec::new())
                        });
                    if anchor != 0 {
                        anchors.insert(anchor, node);
                    }
                    attach(&mut tree.nodes, &mut open, node, None);
                    open.push((node, None));
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    open.pop();
                }
                Event::Scalar(value, _, anchor, _) => {
                    text_bytes += value.len();
                    if text_bytes > SCALAR_TEXT_LIMIT {
                        let message = format!(
                            "more than {} MiB of text in its values",
                            SCALAR_TEXT_LIMIT >> 20
                        );
                        return Err(Some(limit_error(line, column, message)));
                    }
                    let node = tree.nodes.len();
                    let key = tree.is_key_next(&open).then(|| tree.key(&value));
                    tree.nodes.push(Node::Scalar {
                        value: value.into_owned(),
                        line,
                        column,
                    });
                    if anchor != 0 {
                        anchors.insert(anchor, node);
                    }
                    attach(&mut tree.nodes, &mut open, node, key);
                }
                Event::Alias(anchor) => {
                    let node = *anchors.get(&anchor).ok_or(None)?;
                    // Once per anchor: an anchor's text aliased many times is not hashed again.
                    let key = match &tree.nodes[node] {
                        Node::Scalar { value, .. } if tree.is_key_next(&open) => {
                            Some(match aliased_keys.get(&node) {
                                Some(&key) => key,
                                None => {
                                    let key = tree.key(&value.clone());
                                    aliased_keys.insert(node, key);
                                    key
                                }
                            })
                        }
                        _ => None,
                    };
                    attach(&mut tree.nodes, &mut open, node, key);
                }
                Event::StreamStart
                | Event::StreamEnd
                | Event::DocumentStart(_)
                | Event::Nothing => {}
            }
        }
        if tree.nodes.is_empty() {
            return Err(None);
        }
        tree.merge_all(node_limit(text.len())).map_err(Some)?;
        if let Some(services) = tree.get(0, "services")
            && let Node::Mapping { entries, .. } = &tree.nodes[services]
        {
            tree.services = entries
                .iter()
                .filter_map(|&(name, node)| Some((name?, node)))
                .collect();
            for &(name, node) in tree.services.iter().rev() {
                tree.service_of.insert(name, node);
            }
        }
        Ok(tree)
    }

    /// Whether the next node read is a key: `open`'s innermost collection is a mapping that
    /// has no key pending.
    fn is_key_next(&self, open: &[(usize, Option<Option<Key>>)]) -> bool {
        matches!(open.last(), Some(&(parent, None)) if matches!(self.nodes[parent], Node::Mapping { .. }))
    }

    /// The key whose text is `text`, added if new.
    fn key(&mut self, text: &str) -> Key {
        if let Some(&key) = self.key_of.get(text) {
            return key;
        }
        self.keys.push(text.to_string());
        self.key_of.insert(text.to_string(), self.keys.len() - 1);
        self.keys.len() - 1
    }

    /// Resolves every mapping's merge keys, once each, copying at most `budget` keys in all.
    fn merge_all(&mut self, budget: usize) -> Result<(), LocateError> {
        let Some(&merge) = self.key_of.get("<<") else {
            return Ok(());
        };
        let mut merging = Merging {
            merge,
            limit: budget,
            budget,
            resolving: Vec::new(),
            merged: HashMap::new(),
        };
        for node in 0..self.nodes.len() {
            merging.resolve(&self.nodes, node)?;
        }
        self.merged = merging.merged;
        Ok(())
    }

    fn scalar(&self, node: usize) -> Option<&str> {
        match &self.nodes[node] {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value of `key` in the mapping `node`, as written (merge keys not followed).
    fn get(&self, node: usize, key: &str) -> Option<usize> {
        let key = *self.key_of.get(key)?;
        match &self.nodes[node] {
            Node::Mapping { entries, .. } => entries
                .iter()
                .find(|(k, _)| *k == Some(key))
                .map(|&(_, value)| value),
            _ => None,
        }
    }

    /// The value of `key` in the mapping `node` with its merge keys followed, as YAML merges
    /// them: its own keys first, then each merged mapping's (the earlier one first).
    fn effective(&self, node: usize, key: &str) -> Option<usize> {
        match self.merged.get(&node) {
            Some(keys) => keys.get(self.key_of.get(key)?).copied(),
            None => self.get(node, key),
        }
    }

    /// The services by name.
    fn services(&self) -> impl Iterator<Item = (&str, usize)> {
        self.services
            .iter()
            .map(|&(name, node)| (self.keys[name].as_str(), node))
    }

    /// Each `extends: {file: …}` of a service, as written, with the node of the file's name.
    fn extends_files(&self) -> impl Iterator<Item = (&str, usize)> {
        self.services().filter_map(|(_, service)| {
            let extends = self.effective(service, "extends")?;
            let file = self.get(extends, "file")?;
            Some((self.scalar(file)?, file))
        })
    }

    /// An error at each `extends: {file: …}` naming a file that was refused, with why.
    fn refused_extends(&self, extended: &Extended) -> Vec<LocateError> {
        let mut errors: Vec<LocateError> = self
            .extends_files()
            .filter_map(|(file, node)| {
                let why = extended.get(file)?.as_ref().err()?;
                let (line, column) = self.position(node)?;
                let message = format!("extends {file}, which {why}");
                Some(LocateError::Refused {
                    line,
                    column,
                    message,
                })
            })
            .collect();
        errors.sort_by_key(|error| error.position().map(|p| (p.line, p.column)));
        errors.dedup();
        errors
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.service_of.get(self.key_of.get(name)?).copied()
    }

    /// The service at `node` as Compose reads it: whether it builds, and where its image is
    /// written in this file (`None` for none, or one in another file); or why that cannot be
    /// known.
    fn service(
        &self,
        node: usize,
        extended: &HashMap<&str, Option<Tree>>,
        depth: usize,
    ) -> Result<Service, String> {
        let image = self.effective(node, "image");
        let mut service = Service {
            builds: self.effective(node, "build").is_some(),
            image: image.and_then(|image| self.position(image)),
            image_written: image.is_some(),
        };
        let Some(extends) = self.effective(node, "extends") else {
            return Ok(service);
        };
        if depth >= MAX_DEPTH {
            return Err("its extends go too deep".to_string());
        }
        let (base, file) = match self.scalar(extends) {
            Some(base) => (Some(base), None),
            None => (
                self.get(extends, "service").and_then(|s| self.scalar(s)),
                self.get(extends, "file").and_then(|f| self.scalar(f)),
            ),
        };
        let base = base.ok_or("its extends names no service")?;
        if interpolates(base) || file.is_some_and(interpolates) {
            return Err("its extends is interpolated".to_string());
        }
        let inherited = match file {
            None => {
                let node = self
                    .find(base)
                    .ok_or_else(|| format!("it extends {base}, which is not a service"))?;
                self.service(node, extended, depth + 1)?
            }
            Some(file) => {
                let tree = extended
                    .get(file)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| format!("it extends {file}, which cannot be read"))?;
                let node = tree
                    .find(base)
                    .ok_or_else(|| format!("it extends {base} of {file}, which is not there"))?;
                // The files that file extends are not read: its service must stand alone.
                if tree.effective(node, "extends").is_some() {
                    return Err(format!(
                        "it extends {base} of {file}, which extends another"
                    ));
                }
                let from = tree.service(node, &HashMap::new(), depth + 1)?;
                // Its image is written in the other file, pinned there if at all.
                Service {
                    image: None,
                    ..from
                }
            }
        };
        service.builds |= inherited.builds;
        if !service.image_written {
            service.image = inherited.image;
            service.image_written = inherited.image_written;
        }
        Ok(service)
    }

    fn position(&self, node: usize) -> Option<(usize, usize)> {
        match &self.nodes[node] {
            Node::Scalar { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    /// Each image value written in this file that a service builds, or takes through an
    /// `extends` that cannot be followed, by where it is written.
    fn image_uses(&self, extended: &HashMap<&str, Option<Tree>>) -> HashMap<(usize, usize), Use> {
        let mut built: HashMap<(usize, usize), String> = HashMap::new();
        let mut pulled: HashMap<(usize, usize), String> = HashMap::new();
        let mut unknown = HashMap::new();
        for (name, node) in self.services() {
            match self.service(node, extended, 0) {
                Ok(Service {
                    image: Some(at),
                    builds,
                    ..
                }) => {
                    let users = if builds { &mut built } else { &mut pulled };
                    users.entry(at).or_insert_with(|| name.to_string());
                }
                Ok(_) => {}
                Err(why) => {
                    let image = self.effective(node, "image");
                    if let Some(at) = image.and_then(|i| self.position(i)) {
                        let why = format!("service {name}: {why}");
                        unknown.entry(at).or_insert(Use::Unknown(why));
                    }
                }
            }
        }
        let mut uses = unknown;
        for (at, service) in built {
            let pulled_by = pulled.get(&at).cloned();
            uses.insert(at, Use::Built { service, pulled_by });
        }
        uses
    }
}

/// Merge keys being resolved: each mapping's keys once its merges are followed, computed once
/// and reused wherever it is merged again, within a budget of keys copied.
struct Merging {
    /// The key `<<`.
    merge: Key,
    /// Keys that may be copied from merged mappings in all, and that may still be.
    limit: usize,
    budget: usize,
    /// The mappings whose merges are being followed, innermost last.
    resolving: Vec<usize>,
    merged: HashMap<usize, HashMap<Key, usize>>,
}

impl Merging {
    /// Follows the merge keys of `node` (and of the mappings it merges), unless done.
    fn resolve(&mut self, nodes: &[Node], node: usize) -> Result<(), LocateError> {
        let Node::Mapping {
            entries,
            line,
            column,
        } = &nodes[node]
        else {
            return Ok(());
        };
        if self.merged.contains_key(&node) || !entries.iter().any(|e| e.0 == Some(self.merge)) {
            return Ok(());
        }
        let refuse = |message: String| Err(limit_error(*line, *column, message));
        if self.resolving.contains(&node) {
            return refuse("a merge key (`<<`) merges the mapping it is in".to_string());
        }
        if self.resolving.len() >= MAX_DEPTH {
            return refuse(format!(
                "merge keys (`<<`) nested more than {MAX_DEPTH} deep"
            ));
        }
        self.resolving.push(node);
        let mut keys: HashMap<Key, usize> = HashMap::new();
        let mut sources = Vec::new();
        for &(key, value) in entries {
            match key {
                Some(key) if key == self.merge => match &nodes[value] {
                    Node::Sequence(items) => sources.extend(items),
                    _ => sources.push(value),
                },
                Some(key) => {
                    keys.entry(key).or_insert(value);
                }
                None => {}
            }
        }
        for source in sources {
            self.resolve(nodes, source)?;
            let copied: Vec<(Key, usize)> = match (self.merged.get(&source), &nodes[source]) {
                (Some(merged), _) => merged.iter().map(|(&k, &v)| (k, v)).collect(),
                (None, Node::Mapping { entries, .. }) => entries
                    .iter()
                    .filter_map(|&(key, value)| Some((key?, value)))
                    .collect(),
                (None, _) => Vec::new(),
            };
            if copied.len() > self.budget {
                return refuse(format!(
                    "more than {} values once its merge keys (`<<`) are expanded (the limit against alias bombs)",
                    self.limit
                ));
            }
            self.budget -= copied.len();
            for (key, value) in copied {
                keys.entry(key).or_insert(value);
            }
        }
        self.resolving.pop();
        self.merged.insert(node, keys);
        Ok(())
    }
}

/// A service as Compose reads it.
#[derive(Debug, Clone, Copy)]
struct Service {
    builds: bool,
    /// Where its image is written in the file read, if it is.
    image: Option<(usize, usize)>,
    /// Whether it has an image at all (from another file, too).
    image_written: bool,
}

/// Whether Compose substitutes variables in `value`: a `$` that is not `$$`.
pub fn interpolates(value: &str) -> bool {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' {
            if chars.peek() == Some(&'$') {
                chars.next();
            } else {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(scan: &[LocatedImage]) -> Vec<(usize, &str)> {
        scan.iter().map(|i| (i.line, i.value.as_str())).collect()
    }

    #[test]
    fn service_images_but_not_built_ones() {
        let text = "\
x-common: &common
  image: redis:7
  restart: always
services:
  cache:
    <<: *common
  web:
    build: .
    image: example/web:dev
  db:
    image: \"postgres:16\"
    volumes:
      - type: image
        source: alpine:3.19
        target: /data
      - type: volume
        source: dbdata
        target: /var/lib/postgresql
      - ./local:/x
  app:
    image: ${REGISTRY}/app:${TAG:-1}
  image:
    image: busybox:1.36
volumes:
  image: {}
";
        let scan = scan(text, &HashMap::new());
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        assert_eq!(
            values(&scan.images),
            vec![
                (2, "redis:7"),
                (11, "postgres:16"),
                (14, "alpine:3.19"),
                (23, "busybox:1.36")
            ]
        );
        assert_eq!(
            values(&scan.interpolated),
            vec![(21, "${REGISTRY}/app:${TAG:-1}")]
        );
    }

    #[test]
    fn an_alias_to_an_unwalked_anchor_is_refused_as_for_manifests() {
        let text = "defaults: &d\n  image: a:1\nservices:\n  s:\n    <<: *d\n";
        let scan = scan(text, &HashMap::new());
        assert_eq!(
            scan.errors[0].to_string(),
            "image fields of a Compose service are reached through the alias `*d`, whose anchor is not at an image path; write them out"
        );
    }

    /// (line, value) of the images found, and `line: value: why` of the ones not pinnable.
    fn judged(text: &str, extended: &[(&str, &str)]) -> (Vec<(usize, String)>, Vec<String>) {
        let extended = extended
            .iter()
            .map(|(name, text)| (name.to_string(), Ok(text.to_string())))
            .collect();
        let scan = scan(text, &extended);
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        let images = scan
            .images
            .iter()
            .map(|i| (i.line, i.value.clone()))
            .collect();
        let unpinnable = scan
            .unpinnable
            .iter()
            .map(|(i, why)| format!("{}: {}: {why}", i.line, i.value))
            .collect();
        (images, unpinnable)
    }

    #[test]
    fn build_reached_through_a_merge_key_or_extends_keeps_the_image() {
        let text = "\
x-build: &build
  build: .
services:
  merged:
    <<: [*build]
    image: a:1
  base:
    build: .
  extended:
    extends: base
    image: b:1
  twice:
    extends: {service: extended}
    image: c:1
  pulled:
    image: d:1
";
        let (images, unpinnable) = judged(text, &[]);
        assert_eq!(images, vec![(16, "d:1".to_string())]);
        assert!(unpinnable.is_empty(), "{unpinnable:?}");
    }

    #[test]
    fn an_inherited_image_is_pinned_once_where_it_is_written() {
        let text = "\
x-redis: &redis
  image: redis:7
services:
  base:
    image: postgres:16
  db:
    extends: base
  db2:
    extends:
      service: db
  cache:
    <<: *redis
  unused-anchor-users: {}
";
        let (images, unpinnable) = judged(text, &[]);
        assert_eq!(
            images,
            vec![(2, "redis:7".to_string()), (5, "postgres:16".to_string())]
        );
        assert!(unpinnable.is_empty(), "{unpinnable:?}");
    }

    #[test]
    fn an_image_one_service_builds_and_another_pulls_is_not_pinnable() {
        let text = "\
x-redis: &redis
  image: redis:7
services:
  cache:
    <<: *redis
  built:
    <<: *redis
    build: .
  base:
    image: postgres:16
  own:
    extends: base
    build: .
";
        let (images, unpinnable) = judged(text, &[]);
        assert!(images.is_empty(), "{images:?}");
        assert_eq!(
            unpinnable,
            vec![
                "2: redis:7: service cache pulls it and service built builds it; not pinnable",
                "10: postgres:16: service base pulls it and service own builds it; not pinnable",
            ]
        );
    }

    #[test]
    fn extends_of_another_file_is_read_from_what_is_given() {
        let text = "\
services:
  worker:
    extends: {file: common.yaml, service: app}
    image: w:1
  proxy:
    extends: {file: common.yaml, service: proxy}
    image: p:1
  lost:
    extends: {file: gone.yaml, service: app}
    image: l:1
  deep:
    extends: {file: common.yaml, service: deeper}
    image: d:1
  missing:
    extends: nowhere
    image: m:1
  loop:
    extends: loop
    image: o:1
  dynamic:
    extends: {file: common.yaml, service: \"${NAME}\"}
    image: y:1
";
        let common = "services:\n  app: {build: .}\n  proxy: {image: nginx:1.25}\n  deeper: {extends: app}\n";
        assert_eq!(extended_files(text), vec!["common.yaml", "gone.yaml"]);
        let (images, unpinnable) = judged(text, &[("common.yaml", common)]);
        assert_eq!(images, vec![(7, "p:1".to_string())]);
        assert_eq!(
            unpinnable,
            vec![
                "10: l:1: service lost: it extends gone.yaml, which cannot be read; not pinnable",
                "13: d:1: service deep: it extends deeper of common.yaml, which extends another; not pinnable",
                "16: m:1: service missing: it extends nowhere, which is not a service; not pinnable",
                "19: o:1: service loop: its extends go too deep; not pinnable",
                "22: y:1: service dynamic: its extends is interpolated; not pinnable",
            ]
        );
    }

    #[test]
    fn merges_and_nesting_over_the_limits_are_refused_where_they_are() {
        let errors = |text: &str| -> Vec<String> {
            let scan = scan(text, &HashMap::new());
            scan.errors
                .iter()
                .map(|e| {
                    let at = e.position().expect("a place");
                    format!("{}:{}: {e}", at.line, at.column.unwrap_or(0))
                })
                .collect()
        };
        // A chain of merges of any length is resolved, each link once.
        let mut chain = "x-0: &m0 {image: a:1}\n".to_string();
        for n in 1..=40 {
            chain.push_str(&format!("x-{n}: &m{n} {{<<: *m{}}}\n", n - 1));
        }
        chain.push_str("services:\n  s: {<<: *m40}\n");
        assert_eq!(errors(&chain), Vec::<String>::new());
        let tree = Tree::parse(&chain).unwrap();
        let image = tree.effective(tree.find("s").unwrap(), "image");
        assert_eq!(image.and_then(|node| tree.scalar(node)), Some("a:1"));
        // Merges written inside merges are followed 32 deep, which keeps to the stack.
        let inline = format!(
            "services:\n  s: {}{{image: a:1}}{}\n",
            "{<<: ".repeat(40),
            "}".repeat(40)
        );
        assert_eq!(
            errors(&inline),
            vec!["2:166: invalid YAML: merge keys (`<<`) nested more than 32 deep"]
        );
        assert_eq!(
            errors("x-a: &a {<<: *a, image: a:1}\nservices:\n  s: {<<: *a}\n"),
            vec!["1:6: invalid YAML: a merge key (`<<`) merges the mapping it is in"]
        );
        let nested = format!("services:\n  s: {}{}\n", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            errors(&nested),
            vec!["2:68: invalid YAML: nested more than 64 levels deep"]
        );
        // Copies over the node budget, however few bytes ask for them.
        let keys: Vec<String> = (0..1000).map(|k| format!("k{k}: {k}")).collect();
        let mut wide = format!("x-a: &a {{{}}}\n", keys.join(", "));
        wide.push_str("services:\n");
        for s in 0..300 {
            wide.push_str(&format!("  s{s}: {{<<: [*a, *a]}}\n"));
        }
        // 2,000 keys a service: the 126th (s125, line 128) goes over 250,000.
        assert_eq!(
            errors(&wide),
            vec![
                "128:9: invalid YAML: more than 250000 values once its merge keys (`<<`) are expanded (the limit against alias bombs)"
            ]
        );
    }

    #[test]
    fn dollars_doubled_are_not_interpolation() {
        assert!(!interpolates("a$$b"));
        assert!(interpolates("a$b"));
        assert!(interpolates("${A}"));
    }
}

#[cfg(test)]
mod properties {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::scan;
    use crate::core::reference::Digest;
    use crate::core::rewrite::{Replacement, splice};

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A service of a Compose file: pulled, built, merged from the anchors, extending another.
    fn service() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("    image: redis:7\n".to_string()),
            Just("    image: \"postgres:16\"  # quoted\n".to_string()),
            Just("    build: .\n    image: example.com/app:dev\n".to_string()),
            Just("    <<: *common\n".to_string()),
            Just("    <<: *common\n    build: .\n".to_string()),
            Just("    <<: *built\n    image: example.com/web:dev\n".to_string()),
            Just("    extends: s0\n".to_string()),
            Just("    extends: {service: s1}\n    build: ./x\n".to_string()),
            Just("    image: ${TAG:-busybox:1.36}\n".to_string()),
            Just(
                "    image: nginx:1.25\n    volumes:\n      - type: image\n        source: alpine:3.19\n        target: /x\n"
                    .to_string()
            ),
        ]
    }

    fn compose() -> impl Strategy<Value = String> {
        (prop::collection::vec(service(), 1..8), any::<bool>()).prop_map(|(services, crlf)| {
            let mut text = "x-common: &common\n  image: busybox:1.36\nx-built: &built\n  build: .\nservices:\n".to_string();
            for (i, service) in services.iter().enumerate() {
                text.push_str(&format!("  s{i}:\n{service}"));
            }
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            }
        })
    }

    fn pin(text: &str) -> String {
        let replacements: Vec<Replacement> = scan(text, &HashMap::new())
            .images
            .iter()
            .filter(|image| !image.value.contains('@'))
            .map(|image| {
                let value = format!("{}@{DIGEST}", image.value);
                let digest = Digest::parse(DIGEST).unwrap();
                Replacement::pin(image.span.clone(), &value, image.style, &digest, None).unwrap()
            })
            .collect();
        splice(text, &replacements)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn pinning_twice_equals_pinning_once_and_only_image_spans_change(text in compose()) {
            let found = scan(&text, &HashMap::new());
            prop_assert!(found.errors.is_empty(), "{:?}", found.errors);
            let once = pin(&text);
            prop_assert_eq!(&pin(&once), &once);
            let again = scan(&once, &HashMap::new());
            prop_assert_eq!(again.images.len(), found.images.len());
            let outside = |text: &str, images: &[crate::core::locate::LocatedImage]| {
                let mut kept = String::new();
                let mut at = 0;
                for image in images {
                    kept.push_str(&text[at..image.span.start]);
                    at = image.span.end;
                }
                kept.push_str(&text[at..]);
                kept
            };
            for image in &again.images {
                prop_assert!(image.value.ends_with(DIGEST));
            }
            prop_assert_eq!(outside(&text, &found.images), outside(&once, &again.images));
            let why = |scan: &super::Scan| -> Vec<String> {
                scan.unpinnable.iter().map(|(image, why)| format!("{}:{}", image.line, why)).collect()
            };
            prop_assert_eq!(why(&again), why(&found));
        }
    }
}

#[cfg(test)]
mod merge_properties {
    use proptest::prelude::*;

    use super::{Node, Tree};

    /// Anchored mappings `x-aN`, each with some of the keys `k0`…`k3` (valued `N`) and a merge
    /// key naming any of the earlier ones, some more than once.
    fn merges() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                prop::collection::vec(0..4usize, 0..3),
                prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            ),
            1..12,
        )
        .prop_map(|mappings| {
            let mut text = String::new();
            for (n, (keys, merged)) in mappings.iter().enumerate() {
                let mut entries: Vec<String> = keys.iter().map(|k| format!("k{k}: {n}")).collect();
                entries.sort();
                entries.dedup();
                if n > 0 && !merged.is_empty() {
                    let aliases: Vec<String> = merged
                        .iter()
                        .map(|index| format!("*a{}", index.index(n)))
                        .collect();
                    entries.push(format!("<<: [{}]", aliases.join(", ")));
                }
                text.push_str(&format!("x-a{n}: &a{n} {{{}}}\n", entries.join(", ")));
            }
            text
        })
    }

    /// `key` of the mapping `node` as YAML merges it, by walking every merge again.
    fn walked(tree: &Tree, node: usize, key: &str) -> Option<usize> {
        if let Some(value) = tree.get(node, key) {
            return Some(value);
        }
        let merged = tree.get(node, "<<")?;
        let sources = match &tree.nodes[merged] {
            Node::Sequence(items) => items.clone(),
            _ => vec![merged],
        };
        sources
            .into_iter()
            .find_map(|source| walked(tree, source, key))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Each mapping's merges resolved once give what walking every merge again gives.
        #[test]
        fn merges_resolved_once_are_merges_walked(text in merges()) {
            let tree = Tree::parse(&text).expect("valid merges");
            let mut n = 0;
            while let Some(node) = tree.get(0, &format!("x-a{n}")) {
                for key in ["k0", "k1", "k2", "k3", "<<", "absent"] {
                    let value = |found: Option<usize>| found.and_then(|v| tree.scalar(v));
                    prop_assert_eq!(
                        value(tree.effective(node, key)),
                        value(walked(&tree, node, key)),
                        "x-a{}.{}", n, key
                    );
                }
                n += 1;
            }
        }
    }
}
