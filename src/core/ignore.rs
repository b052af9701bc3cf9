//! `diff --ignore FILE`: Argo CD's `ignoreDifferences`. The fields each entry points at are
//! removed from the objects it matches on both sides before they are compared, so what is left
//! decides the exit code, the summary and the image table.
//!
//! Matching is Argo CD's (`util/argo/normalizers/diff_normalizer.go`): `group` and `kind` are
//! globs (an empty or missing `group` is the core group), `name` and `namespace` match exactly
//! when given. A `jsonPointers` entry is an RFC 6901 pointer removed as a JSON patch `remove`
//! removes it; a `jqPathExpressions` entry `EXPR` runs as jq's `del(EXPR)`. A path an object does
//! not have, or a jq expression that fails on an object, leaves that object as it is.
//!
//! A jq expression comes from a file a pull request may change: it sees an empty environment
//! (`env` and `$ENV` are `{}`, as Argo CD runs gojq), and it runs through a [`JqRunner`], which
//! outside tests is a bounded process (`adapters::jq`): a program that runs too long, recurses
//! too deep or allocates too much is an error, never a hang or an abort.

use globset::{Glob, GlobMatcher};
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data::JustLut, unwrap_valr};
use jaq_json::{Num, Val};
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::diff::ObjectSet;
use super::manifest::{ManifestError, ObjectKey, syntax_error};
use super::problem::{Located, Position};

/// Every entry of an ignore file, compiled; its jq expressions by their index in
/// [`IgnoreRules::expressions`].
#[derive(Default)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
    expressions: Vec<String>,
}

struct Rule {
    group: GlobMatcher,
    kind: GlobMatcher,
    name: Option<String>,
    namespace: Option<String>,
    pointers: Vec<String>,
    /// Indexes into [`IgnoreRules::expressions`].
    expressions: Vec<usize>,
}

type JqFilter = jaq_core::Filter<JustLut<Val>>;

/// What is wrong with an ignore file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct IgnoreError {
    at: Option<(usize, usize)>,
    message: String,
}

impl Located for IgnoreError {
    fn position(&self) -> Option<Position> {
        self.at.map(|(line, column)| Position::at(line, column))
    }
}

/// One entry, as Argo CD's `ResourceIgnoreDifferences` spells it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    group: String,
    kind: Spanned<String>,
    name: Option<String>,
    namespace: Option<String>,
    #[serde(default)]
    json_pointers: Vec<Spanned<String>>,
    #[serde(default)]
    jq_path_expressions: Vec<Spanned<String>>,
    managed_fields_managers: Option<Spanned<Value>>,
}

/// `ignoreDifferences: [...]`, as an Application's `spec` holds it.
#[derive(Deserialize)]
struct Spec {
    #[serde(rename = "ignoreDifferences")]
    ignore_differences: Vec<Spanned<Entry>>,
}

/// A whole Argo CD Application: only its `spec.ignoreDifferences` is read.
#[derive(Deserialize)]
struct Application {
    spec: Spec,
}

impl IgnoreRules {
    /// Reads an ignore file: a list of entries, a mapping `ignoreDifferences: [...]`, or an Argo
    /// CD Application (its `spec.ignoreDifferences`).
    pub fn parse(text: &str) -> Result<IgnoreRules, IgnoreError> {
        let shape: Value = read(text)?;
        let entries = match &shape {
            Value::Array(_) => read::<Vec<Spanned<Entry>>>(text)?,
            Value::Object(fields) if fields.contains_key("ignoreDifferences") => {
                read::<Spec>(text)?.ignore_differences
            }
            Value::Object(fields) if fields.get("kind") == Some(&"Application".into()) => {
                read::<Application>(text)?.spec.ignore_differences
            }
            Value::Null => Vec::new(),
            _ => {
                return Err(IgnoreError {
                    at: Some((1, 1)),
                    message: "not an ignoreDifferences list: expected a list of entries, \
                              `ignoreDifferences:` with one, or an Argo CD Application"
                        .into(),
                });
            }
        };
        let mut expressions = Vec::new();
        let rules = entries
            .into_iter()
            .map(|entry| Rule::new(entry, &mut expressions))
            .collect::<Result<_, _>>()?;
        Ok(IgnoreRules { rules, expressions })
    }

    /// Every jq expression of the file, each checked to compile, in the order a [`JqRunner`]
    /// numbers them.
    pub fn expressions(&self) -> &[String] {
        &self.expressions
    }

    /// Removes what each matching entry points at from every object of `objects`; `jq` runs
    /// the jq expressions. Stops at the first expression `jq` could not run.
    pub fn apply<R: JqRunner>(
        &self,
        objects: &mut ObjectSet,
        jq: &mut R,
    ) -> Result<(), JqFailure<R::Error>> {
        for (key, object) in objects.iter_mut() {
            for rule in self.rules.iter().filter(|rule| rule.matches(key)) {
                for pointer in &rule.pointers {
                    remove_pointer(object, pointer);
                }
                for &index in &rule.expressions {
                    let rest = jq.delete(index, object).map_err(|source| JqFailure {
                        expression: self.expressions[index].clone(),
                        object: key.to_string(),
                        source,
                    })?;
                    if let Some(rest) = rest {
                        *object = rest;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs `del(EXPRESSION)` for the jq expression of index `expression`
/// ([`IgnoreRules::expressions`]) on an object.
pub trait JqRunner {
    type Error: std::error::Error + Send + Sync + 'static;
    /// The object after the deletion; `None` where the expression fails on it (left as it is).
    fn delete(&mut self, expression: usize, object: &Value) -> Result<Option<Value>, Self::Error>;
}

/// A jq expression that could not be run on an object: which, on which, and why.
#[derive(Debug, thiserror::Error)]
#[error("jqPathExpressions `{expression}` on {object}: {source}")]
pub struct JqFailure<E: std::error::Error + 'static> {
    pub expression: String,
    pub object: String,
    #[source]
    pub source: E,
}

/// The compiled deletions of an ignore file's jq expressions, run in this process without
/// bounds: inside the bounded process, and in tests.
pub struct JqDeletions(Vec<JqFilter>);

impl JqDeletions {
    pub fn compile(expressions: &[String]) -> Result<JqDeletions, String> {
        expressions
            .iter()
            .map(|expression| compile_deletion(expression))
            .collect::<Result<_, _>>()
            .map(JqDeletions)
    }

    /// `object` after deletion `index`, or `None` where it fails on it (`None` for an index
    /// out of range too).
    pub fn run(&self, index: usize, object: &Value) -> Option<Value> {
        run_deletion(self.0.get(index)?, object)
    }
}

impl JqRunner for JqDeletions {
    type Error = std::convert::Infallible;
    fn delete(&mut self, expression: usize, object: &Value) -> Result<Option<Value>, Self::Error> {
        Ok(self.run(expression, object))
    }
}

fn read<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, IgnoreError> {
    serde_saphyr::from_str(text).map_err(|error| match syntax_error(&error, &Default::default()) {
        ManifestError::Syntax { at, message } => IgnoreError { at, message },
        other => IgnoreError {
            at: None,
            message: other.to_string(),
        },
    })
}

/// `Spanned`'s location as a 1-based line and column.
fn at<T>(spanned: &Spanned<T>) -> Option<(usize, usize)> {
    let number = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Some((
        number(spanned.referenced.line()),
        number(spanned.referenced.column()),
    ))
}

impl Rule {
    /// The rule of `entry`; its jq expressions are added to `all`.
    fn new(entry: Spanned<Entry>, all: &mut Vec<String>) -> Result<Rule, IgnoreError> {
        let place = at(&entry);
        let Entry {
            group,
            kind,
            name,
            namespace,
            json_pointers,
            jq_path_expressions,
            managed_fields_managers,
        } = entry.value;
        if let Some(managers) = managed_fields_managers {
            return Err(IgnoreError {
                at: at(&managers),
                message: "managedFieldsManagers is not supported: name the fields with \
                          jsonPointers or jqPathExpressions"
                    .into(),
            });
        }
        if json_pointers.is_empty() && jq_path_expressions.is_empty() {
            return Err(IgnoreError {
                at: place,
                message: "an entry without jsonPointers or jqPathExpressions ignores nothing"
                    .into(),
            });
        }
        let glob = |pattern: &str, what: &str, place| {
            Glob::new(pattern)
                .map(|glob| glob.compile_matcher())
                .map_err(|error| IgnoreError {
                    at: place,
                    message: format!("{what} `{pattern}` is not a glob: {}", error.kind()),
                })
        };
        let pointers = json_pointers
            .into_iter()
            .map(|pointer| {
                check_pointer(&pointer.value)
                    .map(|()| pointer.value.clone())
                    .map_err(|reason| IgnoreError {
                        at: at(&pointer),
                        message: format!(
                            "jsonPointers: `{}` is not a JSON pointer (RFC 6901): {reason}",
                            pointer.value
                        ),
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut expressions = Vec::new();
        for expression in jq_path_expressions {
            compile_deletion(&expression.value).map_err(|reason| IgnoreError {
                at: at(&expression),
                message: format!(
                    "jqPathExpressions: `{}` is not a jq path expression: {reason}",
                    expression.value
                ),
            })?;
            expressions.push(all.len());
            all.push(expression.value);
        }
        Ok(Rule {
            group: glob(&group, "group", place)?,
            kind: glob(&kind.value, "kind", at(&kind))?,
            name,
            namespace,
            pointers,
            expressions,
        })
    }

    fn matches(&self, key: &ObjectKey) -> bool {
        self.group.is_match(&key.group)
            && self.kind.is_match(&key.kind)
            && self.name.as_ref().is_none_or(|name| *name == key.name)
            && self
                .namespace
                .as_ref()
                .is_none_or(|namespace| *namespace == key.namespace)
    }
}

/// Why `pointer` is not an RFC 6901 JSON pointer to a field, if it is not.
fn check_pointer(pointer: &str) -> Result<(), &'static str> {
    if pointer.is_empty() {
        return Err("it points at the whole object, not a field");
    }
    if !pointer.starts_with('/') {
        return Err("it must start with `/`");
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err("`~` must be followed by 0 or 1 (`~0` is `~`, `~1` is `/`)");
        }
    }
    Ok(())
}

/// Removes what a checked pointer points at, as a JSON patch `remove` does; nothing if it is
/// not there.
fn remove_pointer(object: &mut Value, pointer: &str) {
    let (parent, last) = pointer
        .rsplit_once('/')
        .expect("a checked pointer starts with /");
    let last = last.replace("~1", "/").replace("~0", "~");
    match object.pointer_mut(parent) {
        Some(Value::Object(fields)) => {
            fields.remove(&last);
        }
        Some(Value::Array(items)) => {
            let index = (last == "0" || !last.starts_with('0'))
                .then(|| last.parse::<usize>().ok())
                .flatten();
            if let Some(index) = index.filter(|&index| index < items.len()) {
                items.remove(index);
            }
        }
        _ => {}
    }
}

/// The one global variable of a program: `$ENV`, the environment it sees.
const GLOBAL_VARIABLES: [&str; 1] = ["$ENV"];

/// What `env` and `$ENV` are: an empty environment, as Argo CD gives gojq, so that an ignore
/// file cannot read a CI job's secrets (and steer the exit code by them).
const EMPTY_ENVIRONMENT: &str = "def env: {};";

/// `del(EXPRESSION)`, compiled with jq's standard library, the environment empty.
fn compile_deletion(expression: &str) -> Result<JqFilter, String> {
    // The expression alone first, so that `del(...)` cannot change what it means.
    load(expression)?;
    let program = format!("del({expression})");
    let arena = Arena::default();
    let empty_environment = jaq_core::load::parse(EMPTY_ENVIRONMENT, |p| p.defs())
        .expect("the definition of env parses");
    let modules = Loader::new(
        jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs())
            .chain(empty_environment),
    )
    .load(
        &arena,
        File {
            code: program.as_str(),
            path: (),
        },
    )
    .map_err(|errors| load_message(&errors))?;
    Compiler::default()
        .with_funs(
            jaq_core::funs()
                .chain(jaq_std::funs().filter(|(name, _, _)| *name != "env"))
                .chain(jaq_json::funs()),
        )
        .with_global_vars(GLOBAL_VARIABLES)
        .compile(modules)
        .map_err(|errors| {
            let undefined: Vec<String> = errors
                .iter()
                .flat_map(|(_, errors)| errors)
                .map(|(name, kind)| format!("undefined {} `{name}`", kind.as_str()))
                .collect();
            undefined.join("; ")
        })
}

/// Parses `code` as a jq program (with the standard definitions), for its errors.
fn load(code: &str) -> Result<(), String> {
    let arena = Arena::default();
    Loader::new(jaq_core::defs())
        .load(&arena, File { code, path: () })
        .map(drop)
        .map_err(|errors| load_message(&errors))
}

fn load_message(errors: &jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    let found = |rest: &str| match rest.chars().next() {
        None => "the end".to_string(),
        Some(_) => format!("`{}`", rest.chars().take(12).collect::<String>()),
    };
    let messages: Vec<String> = errors
        .iter()
        .flat_map(|(_, error)| match error {
            Error::Io(errors) => errors
                .iter()
                .map(|(path, reason)| format!("{path}: {reason}"))
                .collect::<Vec<_>>(),
            Error::Lex(errors) => errors
                .iter()
                .map(|(expected, rest)| {
                    format!("expected {} at {}", expected.as_str(), found(rest))
                })
                .collect(),
            Error::Parse(errors) => errors
                .iter()
                .map(|(expected, rest)| {
                    format!("expected {} at {}", expected.as_str(), found(rest))
                })
                .collect(),
        })
        .collect();
    messages.join("; ")
}

/// `object` after a compiled `del(...)`, or `None` where it fails on it.
fn run_deletion(filter: &JqFilter, object: &Value) -> Option<Value> {
    let context = Ctx::<JustLut<Val>>::new(&filter.lut, Vars::new([Val::obj(Default::default())]));
    let output = filter
        .id
        .run((context, to_jaq(object)))
        .map(unwrap_valr)
        .next()?
        .ok()?;
    from_jaq(&output)
}

/// A JSON value as jaq's, numbers as they were (integers as integers, however large).
fn to_jaq(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(value) => Val::Bool(*value),
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(integer), _) => Val::Num(Num::from_integral(integer)),
            (None, Some(integer)) => Val::Num(Num::from_integral(integer)),
            _ => Val::from(number.as_f64().unwrap_or_default()),
        },
        Value::String(text) => Val::utf8_str(text.clone().into_bytes()),
        Value::Array(items) => items.iter().map(to_jaq).collect(),
        Value::Object(fields) => Val::obj(
            fields
                .iter()
                .map(|(key, value)| (Val::utf8_str(key.clone().into_bytes()), to_jaq(value)))
                .collect(),
        ),
    }
}

/// jaq's value as JSON; `None` for what JSON has not (a NaN, a key that is not a string), which
/// a deletion never makes.
fn from_jaq(value: &Val) -> Option<Value> {
    Some(match value {
        Val::Null => Value::Null,
        Val::Bool(value) => Value::Bool(*value),
        Val::Num(Num::Int(integer)) => Value::from(i64::try_from(*integer).ok()?),
        Val::Num(Num::Float(float)) => Value::Number(serde_json::Number::from_f64(*float)?),
        // Big integers and decimals as written.
        Val::Num(number) => serde_json::from_str(&number.to_string()).ok()?,
        Val::TStr(text) | Val::BStr(text) => Value::String(String::from_utf8_lossy(text).into()),
        Val::Arr(items) => Value::Array(items.iter().map(from_jaq).collect::<Option<_>>()?),
        Val::Obj(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| match key {
                    Val::TStr(key) => Some((String::from_utf8_lossy(key).into(), from_jaq(value)?)),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::problem::positioned;
    use serde_json::json;

    fn key(group: &str, kind: &str, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            group: group.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    fn applied(rules: &str, key: ObjectKey, object: Value) -> Value {
        let mut objects = ObjectSet::from([(key.clone(), object)]);
        let rules = IgnoreRules::parse(rules).unwrap();
        let mut jq = JqDeletions::compile(rules.expressions()).unwrap();
        rules.apply(&mut objects, &mut jq).unwrap();
        objects.remove(&key).unwrap()
    }

    fn error(rules: &str) -> String {
        positioned(&IgnoreRules::parse(rules).err().expect("an error"))
    }

    #[test]
    fn pointers_remove_fields_of_matching_objects_only() {
        let rules = "- group: apps\n  kind: Deployment\n  jsonPointers: [/spec/replicas]\n";
        let deployment = json!({"kind": "Deployment", "spec": {"replicas": 3, "paused": false}});
        assert_eq!(
            applied(
                rules,
                key("apps", "Deployment", "shop", "web"),
                deployment.clone()
            ),
            json!({"kind": "Deployment", "spec": {"paused": false}})
        );
        // Argo CD: no group is the core group, so an apps/v1 Deployment is another kind.
        let core = "- kind: Deployment\n  jsonPointers: [/spec/replicas]\n";
        assert_eq!(
            applied(
                core,
                key("apps", "Deployment", "shop", "web"),
                deployment.clone()
            ),
            deployment
        );
        assert_eq!(
            applied(
                core,
                key("", "Deployment", "shop", "web"),
                deployment.clone()
            ),
            json!({"kind": "Deployment", "spec": {"paused": false}})
        );
    }

    #[test]
    fn group_and_kind_are_globs_name_and_namespace_exact() {
        let rules =
            "- group: '*'\n  kind: '*'\n  name: web\n  namespace: shop\n  jsonPointers: [/a]\n";
        let object = json!({"a": 1, "b": 2});
        let kept = json!({"b": 2});
        assert_eq!(
            applied(
                rules,
                key("apps", "Deployment", "shop", "web"),
                object.clone()
            ),
            kept
        );
        assert_eq!(
            applied(rules, key("", "ConfigMap", "shop", "web"), object.clone()),
            kept
        );
        assert_eq!(
            applied(rules, key("", "ConfigMap", "shop", "web2"), object.clone()),
            object
        );
        assert_eq!(
            applied(rules, key("", "ConfigMap", "other", "web"), object.clone()),
            object
        );
        let braces = "- group: '{apps,batch}'\n  kind: '*Set'\n  jsonPointers: [/a]\n";
        assert_eq!(
            applied(braces, key("apps", "StatefulSet", "s", "n"), object.clone()),
            kept
        );
        assert_eq!(
            applied(braces, key("batch", "Job", "s", "n"), object.clone()),
            object
        );
    }

    #[test]
    fn pointers_unescape_and_index_arrays_and_skip_what_is_not_there() {
        let rules = "- kind: ConfigMap\n  jsonPointers:\n  - /metadata/annotations/example.com~1owner\n  - /data/a~0b\n  - /list/1\n  - /list/07\n  - /missing/field\n";
        let object = json!({
            "metadata": {"annotations": {"example.com/owner": "x", "keep": "y"}},
            "data": {"a~b": "1", "c": "2"},
            "list": [0, 1, 2],
        });
        assert_eq!(
            applied(rules, key("", "ConfigMap", "s", "n"), object),
            json!({
                "metadata": {"annotations": {"keep": "y"}},
                "data": {"c": "2"},
                "list": [0, 2],
            })
        );
    }

    #[test]
    fn jq_path_expressions_delete_what_they_select() {
        let rules = r#"
ignoreDifferences:
- group: admissionregistration.k8s.io
  kind: MutatingWebhookConfiguration
  jqPathExpressions:
  - .webhooks[]?.clientConfig.caBundle
  - .metadata.labels | with_entries(select(.key | test("^injected"))) | keys[] as $k | .[$k]
- kind: Pod
  jqPathExpressions: ['.spec.containers[] | select(.name == "sidecar")']
"#;
        let webhook = json!({
            "webhooks": [{"name": "a", "clientConfig": {"caBundle": "Zm9v", "url": "u"}}],
            "metadata": {"labels": {"keep": "1"}},
        });
        assert_eq!(
            applied(
                rules,
                key(
                    "admissionregistration.k8s.io",
                    "MutatingWebhookConfiguration",
                    "",
                    "w"
                ),
                webhook
            ),
            json!({
                "webhooks": [{"name": "a", "clientConfig": {"url": "u"}}],
                "metadata": {"labels": {"keep": "1"}},
            })
        );
        let pod = json!({"spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}});
        assert_eq!(
            applied(rules, key("", "Pod", "s", "p"), pod),
            json!({"spec": {"containers": [{"name": "app"}]}})
        );
        // An expression that fails on an object (`.spec.containers[]` of no spec) leaves it.
        let other = json!({"kind": "Pod", "n": 1.5, "big": 12345678901234567890u64});
        assert_eq!(
            applied(rules, key("", "Pod", "s", "q"), other.clone()),
            other
        );
    }

    #[test]
    fn jq_expressions_see_an_empty_environment() {
        // HOME and PATH are set wherever the tests run.
        assert!(std::env::var_os("PATH").is_some());
        let rules = "- kind: ConfigMap\n  jqPathExpressions:\n  - .a | select(env.HOME != null)\n  \
                     - .b | select($ENV.PATH != null)\n  - .c | select(env == {} and $ENV == {})\n";
        assert_eq!(
            applied(
                rules,
                key("", "ConfigMap", "s", "n"),
                json!({"a": 1, "b": 2, "c": 3})
            ),
            json!({"a": 1, "b": 2})
        );
    }

    #[test]
    fn what_a_jq_deletion_leaves_is_the_object_as_it_was() {
        let rules = "- kind: ConfigMap\n  jqPathExpressions: [.drop]\n";
        let rest = json!({
            "float": 1.5,
            "exponent": 1e100,
            "negative": -7,
            "big": 12345678901234567890u64,
            "text": "é \u{1F600} \"quoted\" \\ \n\t\u{0001}",
            "nested": [null, true, {"": []}],
        });
        let mut object = rest.clone();
        object["drop"] = json!("x");
        assert_eq!(applied(rules, key("", "ConfigMap", "s", "n"), object), rest);
    }

    #[test]
    fn an_application_and_an_empty_file_are_read() {
        let application = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  project: default\n  ignoreDifferences:\n  - kind: Service\n    jsonPointers: [/spec/clusterIP]\n";
        assert_eq!(
            applied(
                application,
                key("", "Service", "s", "n"),
                json!({"spec": {"clusterIP": "10.0.0.1", "type": "ClusterIP"}})
            ),
            json!({"spec": {"type": "ClusterIP"}})
        );
        assert!(IgnoreRules::parse("").unwrap().rules.is_empty());
        assert!(IgnoreRules::parse("# nothing\n").unwrap().rules.is_empty());
    }

    proptest::proptest! {
        /// Any key, `~` and `/` in it escaped as RFC 6901 says, is a pointer that removes that key
        /// and nothing else.
        #[test]
        fn an_escaped_key_removes_exactly_that_key(
            key in "[a-z~/.0-9]{0,12}",
            other in "[A-Z]{1,4}",
        ) {
            let pointer = format!("/data/{}", key.replace('~', "~0").replace('/', "~1"));
            proptest::prop_assert!(check_pointer(&pointer).is_ok());
            let mut object = json!({"data": {key.clone(): 1, other.clone(): 2}});
            remove_pointer(&mut object, &pointer);
            proptest::prop_assert_eq!(object, json!({"data": {other: 2}}));
        }
    }

    #[test]
    fn bad_files_are_reported_where_they_are_wrong() {
        assert_eq!(
            error("- kind: Service\n  jsonPointers: [spec/clusterIP]\n"),
            "2:18: jsonPointers: `spec/clusterIP` is not a JSON pointer (RFC 6901): it must start with `/`"
        );
        assert_eq!(
            error("- kind: Service\n  jsonPointers:\n  - /a~2b\n"),
            "3:5: jsonPointers: `/a~2b` is not a JSON pointer (RFC 6901): `~` must be followed by 0 or 1 (`~0` is `~`, `~1` is `/`)"
        );
        assert_eq!(
            error("- kind: Service\n  jqPathExpressions: ['.spec[']\n"),
            "2:23: jqPathExpressions: `.spec[` is not a jq path expression: expected closing bracket at the end"
        );
        assert_eq!(
            error("- kind: Service\n  jqPathExpressions: ['nosuch(.a)']\n"),
            "2:23: jqPathExpressions: `nosuch(.a)` is not a jq path expression: undefined filter `nosuch`"
        );
        assert!(
            error("- kind: Service\n  jsonPointer: [/a]\n")
                .starts_with("2:3: unknown field `jsonPointer`"),
            "{}",
            error("- kind: Service\n  jsonPointer: [/a]\n")
        );
        assert_eq!(
            error("- kind: Service\n"),
            "1:3: an entry without jsonPointers or jqPathExpressions ignores nothing"
        );
        assert_eq!(
            error("- kind: '*'\n  managedFieldsManagers: [kube-controller-manager]\n"),
            "2:26: managedFieldsManagers is not supported: name the fields with jsonPointers or jqPathExpressions"
        );
        assert_eq!(
            error("- kind: '[a'\n  jsonPointers: [/a]\n"),
            "1:9: kind `[a` is not a glob: unclosed character class; missing ']'"
        );
        assert_eq!(error("a: [\n"), "1:4: unclosed bracket '['");
        assert_eq!(
            error("kind: Service\n"),
            "1:1: not an ignoreDifferences list: expected a list of entries, `ignoreDifferences:` with one, or an Argo CD Application"
        );
    }
}
