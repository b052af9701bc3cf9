//! The image reference parser on arbitrary text: it never panics; an error points inside the
//! input at a character boundary; a reference it accepts prints as written, its canonical
//! form parses to itself, and pinning it keeps its name and adds the digest.

#![no_main]

use kubectl_immutable::core::reference::ImageReference;
use libfuzzer_sys::fuzz_target;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fuzz_target!(|input: &str| {
    let reference = match ImageReference::parse(input) {
        Ok(reference) => reference,
        Err(error) => {
            assert!(error.offset <= input.len() && input.is_char_boundary(error.offset));
            return;
        }
    };
    assert_eq!(reference.to_string(), input);
    let canonical = ImageReference::parse(&reference.canonical()).expect("canonical form parses");
    assert_eq!(canonical.canonical(), reference.canonical());
    assert_eq!(canonical.digest(), reference.digest());
    if reference.digest().is_none() {
        for digest_only in [false, true] {
            let pinned = ImageReference::parse(&reference.pinned(DIGEST, digest_only))
                .expect("a pinned reference parses");
            assert_eq!(pinned.written_name(), reference.written_name());
            assert_eq!(pinned.digest(), Some(DIGEST));
        }
    }
});
