//! The Dockerfile reader on arbitrary text, as `pin --check` reads a Dockerfile: it never
//! panics and ends in time (ARG defaults expanded within their budget); every image it finds
//! is a span of the input on character boundaries, in order and apart, whose text is the
//! value unless the value is composed from ARG defaults written there.

#![no_main]

use kubectl_immutable::core::dockerfile::scan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let found = scan(text, true);
    let mut end = 0;
    for image in &found.images {
        assert!(image.span.start >= end, "spans are ordered and apart");
        assert!(image.span.start <= image.span.end && image.span.end <= text.len());
        assert!(text.is_char_boundary(image.span.start));
        assert!(text.is_char_boundary(image.span.end));
        assert!(image.line >= 1 && image.column >= 1);
        let written = image.written.as_deref().unwrap_or(&image.value);
        assert_eq!(&text[image.span.clone()], written);
        end = image.span.end;
    }
    for finding in found.unpinnable.iter().chain(&found.errors) {
        assert!(finding.line >= 1 && finding.column >= 1);
        assert!(!finding.message.contains('\n'), "{}", finding.message);
    }
});
