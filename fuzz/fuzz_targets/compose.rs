//! The Compose reader on arbitrary text, as `pin --check` reads a Compose file: it never panics
//! and ends in time (merge keys and `extends` resolved once each, within the budgets); every
//! image it finds, interpolated or judged not pinnable is a span of the input on character
//! boundaries whose text is the value; the input also stands as the file every service extends.

#![no_main]

use std::collections::HashMap;

use kubectl_immutable::core::compose::{extended_files, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let extended: HashMap<String, Result<String, String>> = extended_files(text)
        .into_iter()
        .map(|file| (file, Ok(text.to_string())))
        .collect();
    let found = scan(text, &extended);
    let judged = found.unpinnable.iter().map(|(image, _)| image);
    for image in found.images.iter().chain(&found.interpolated).chain(judged) {
        assert!(image.span.start <= image.span.end && image.span.end <= text.len());
        assert!(text.is_char_boundary(image.span.start));
        assert!(text.is_char_boundary(image.span.end));
        assert!(image.line >= 1 && image.column >= 1);
    }
});
