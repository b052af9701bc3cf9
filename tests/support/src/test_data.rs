//! The repository's test data, read the same way by the plugin's unit tests and the integration
//! tests: the YAML test suite's inputs and the files under `tests/data`.

/// The inputs of the YAML test suite (tests/data/yaml-test-suite), valid or not, with the file
/// each is from: a case's `yaml` with the suite's stand-ins (its ReadMe) replaced.
pub fn yaml_test_suite_inputs() -> Vec<(std::path::PathBuf, String)> {
    #[derive(serde::Deserialize)]
    struct Case {
        yaml: Option<String>,
    }
    /// Longest tab first.
    const SHOWN: [(&str, &str); 8] = [
        ("———»", "\t"),
        ("——»", "\t"),
        ("—»", "\t"),
        ("»", "\t"),
        ("␣", " "),
        ("←", "\r"),
        ("⇔", "\u{FEFF}"),
        ("↵", ""),
    ];
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(test_data().join("yaml-test-suite")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "yaml") {
            continue;
        }
        let cases: Vec<Case> = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        // A case without `yaml` reads its predecessor's.
        let mut input = None;
        for case in cases {
            input = case.yaml.or(input);
            let Some(shown) = &input else { continue };
            let mut text = SHOWN.iter().fold(shown.clone(), |text, (stand_in, meant)| {
                text.replace(stand_in, meant)
            });
            if let Some(unterminated) = text.strip_suffix("∎\n") {
                text = unterminated.to_owned();
            }
            inputs.push((path.clone(), text));
        }
    }
    assert_eq!(inputs.len(), 406, "the suite's inputs at ccfa74e5");
    inputs
}

/// `tests/data`.
pub fn test_data() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// Every file under `tests/data` whose extension is one of `extensions`.
pub fn test_data_files(extensions: &[&str]) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![test_data()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else if path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| extensions.contains(&extension))
        {
            files.push(path);
        }
    }
    assert!(
        files.len() > 100,
        "only {} files under tests/data",
        files.len()
    );
    files
}
