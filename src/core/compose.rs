//! The images of a Compose file, found by the same YAML locator as manifests' (byte spans,
//! anchors, merge keys and aliases as there) with rules of their own: `services.*.image`
//! unless the service has `build:` (its `image:` names what is built), and the `source` of a
//! service's `type: image` volume. `x-*` extension fields are walked like services, so an image
//! in an anchored `x-common: &common` block that services merge (`<<: *common`) is pinned where
//! it is written. A value Compose interpolates (`${TAG}`, `$TAG`) cannot be pinned.

use super::image_paths::{Condition, ImagePath};
use super::locate::{LocateError, LocatedImage, locate_in_parallel};

/// The rules that find a Compose file's images.
pub fn rules() -> Vec<ImagePath> {
    let rule = |path: &str, condition: Condition| {
        let mut rule: ImagePath = path.parse().expect("built-in Compose paths are valid");
        rule.condition = Some(condition);
        rule
    };
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
/// and the problems that stop it being pinned.
#[derive(Debug, Default)]
pub struct Scan {
    pub images: Vec<LocatedImage>,
    pub interpolated: Vec<LocatedImage>,
    pub errors: Vec<LocateError>,
}

/// Every image of the Compose file `text`.
pub fn scan(text: &str) -> Scan {
    let (found, mut errors) = locate_in_parallel(text, &rules());
    for error in &mut errors {
        if let LocateError::NotAString { kind, .. } | LocateError::AliasedCollection { kind, .. } =
            error
            && kind.is_empty()
        {
            *kind = "a Compose service".to_string();
        }
    }
    let (interpolated, images) = found
        .into_iter()
        .partition(|image| interpolates(&image.value));
    Scan {
        images,
        interpolated,
        errors,
    }
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
        let scan = scan(text);
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
        let scan = scan(text);
        assert_eq!(
            scan.errors[0].to_string(),
            "image fields of a Compose service are reached through the alias `*d`, whose anchor is not at an image path; write them out"
        );
    }

    #[test]
    fn dollars_doubled_are_not_interpolation() {
        assert!(!interpolates("a$$b"));
        assert!(interpolates("a$b"));
        assert!(interpolates("${A}"));
    }
}
