//! The YAML locator on arbitrary text: it never panics; the images it finds are ordered,
//! apart, on character boundaries; and pinning every image it found, then locating again,
//! finds the same images with the pinned values (no image lost, none gained, nothing else
//! read as one).

#![no_main]

use kubectl_immutable::core::image_paths::builtin_image_paths;
use kubectl_immutable::core::locate::locate_images;
use kubectl_immutable::core::reference::{Digest, ImageReference};
use kubectl_immutable::core::rewrite::{Replacement, splice};
use libfuzzer_sys::fuzz_target;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// What pinning writes for `value`, or `None` where it leaves it as it is.
fn pinned(value: &str) -> Option<String> {
    let reference = ImageReference::parse(value).ok()?;
    (reference.digest().is_none()).then(|| reference.pinned(DIGEST, false))
}

fuzz_target!(|source: &str| {
    let rules = builtin_image_paths();
    let Ok(images) = locate_images(source, &rules) else {
        return;
    };
    let mut end = 0;
    for image in &images {
        assert!(image.span.start >= end, "spans are ordered and apart");
        assert!(image.span.start <= image.span.end && image.span.end <= source.len());
        assert!(source.is_char_boundary(image.span.start));
        assert!(source.is_char_boundary(image.span.end));
        assert!(image.line >= 1 && image.column >= 1);
        end = image.span.end;
    }

    let replacements: Vec<Replacement> = images
        .iter()
        .filter_map(|image| {
            let value = pinned(&image.value)?;
            let digest = Digest::parse(DIGEST).expect("a digest");
            let pin = Replacement::pin(image.span.clone(), &value, image.style, &digest, None);
            Some(pin.expect("a reference pinned to DIGEST"))
        })
        .collect();
    let output = splice(source, &replacements);
    let again = locate_images(&output, &rules).expect("pinned output still parses");
    let values: Vec<&str> = again.iter().map(|image| image.value.as_str()).collect();
    let expected: Vec<String> = images
        .iter()
        .map(|image| pinned(&image.value).unwrap_or_else(|| image.value.clone()))
        .collect();
    assert_eq!(values, expected, "pinned output:\n{output}");
});
