//! Rows 8: `pin -R -i` of a repository of generated Dockerfiles and Compose files against the
//! seeded registry through the proxy, and the same offline from the lock file it wrote. Each run
//! pins a fresh copy, checked file by file against the text expected with the registry's digests.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::measure::{self, Sample};
use crate::{Bench, Row, check_exit, in_round_trips, note, range, seconds, seed};

const DOCKERFILES: usize = 500;
const COMPOSE_FILES: usize = 200;

/// The repository's files (each file's path, its text, and its text pinned with the registry's
/// digests), how many image values they hold and how many distinct references.
struct Repository {
    files: Vec<(String, String, String)>,
    images: usize,
    distinct: usize,
}

/// `repository:tag` for slot `slot` of file `index`: repositories and tags spread over the
/// seeded ones.
fn reference(index: usize, slot: usize) -> String {
    let repository = (index * 7 + slot * 67) % seed::REPOSITORIES;
    format!(
        "{}:{}",
        seed::repository(repository),
        seed::TAGS[(index + slot) % seed::TAGS.len()]
    )
}

/// A multi-stage Dockerfile: a base from a global ARG default (pinned in the ARG line), one
/// composed with an ARG tag (pinned in the FROM line), a literal one; stages and a cache mount.
fn dockerfile(host: &str, index: usize, digests: Option<&BTreeMap<String, String>>) -> String {
    let pinned = |slot: usize| {
        let reference = reference(index, slot);
        let digest = digests.map_or(String::new(), |d| format!("@{}", d[&reference]));
        (reference, digest)
    };
    let (base, base_digest) = pinned(0);
    let (runtime, runtime_digest) = pinned(1);
    let (runtime_name, runtime_tag) = runtime.split_once(':').unwrap();
    let (last, last_digest) = pinned(2);
    format!(
        "# syntax=docker/dockerfile:1\n\
         ARG BASE={host}/{base}{base_digest}\n\
         ARG TAG={runtime_tag}\n\
         \n\
         FROM ${{BASE}} AS build\n\
         WORKDIR /src\n\
         RUN --mount=type=cache,target=/root/.cache \\\n    make build-{index}\n\
         \n\
         FROM {host}/{runtime_name}:${{TAG}}{runtime_digest} AS runtime\n\
         COPY --from=build /src/out /out\n\
         \n\
         FROM {host}/{last}{last_digest}\n\
         COPY --from=runtime /out /usr/local/bin\n\
         ENTRYPOINT [\"/usr/local/bin/app\"]\n"
    )
}

/// A Compose file: an image shared through an anchor, a built service (its image stays), two
/// pulled services, a `type: image` volume.
fn compose(host: &str, index: usize, digests: Option<&BTreeMap<String, String>>) -> String {
    let image = |slot: usize| {
        let reference = reference(DOCKERFILES + index, slot);
        let digest = digests.map_or(String::new(), |d| format!("@{}", d[&reference]));
        format!("{host}/{reference}{digest}")
    };
    format!(
        "x-common: &common\n  image: {}\n  restart: always\n\
         services:\n\
         \x20 api:\n    build: .\n    image: example.com/shop/api-{index}:dev\n\
         \x20 worker:\n    <<: *common\n    command: [\"work\"]\n\
         \x20 web:\n    image: {}\n    ports: [\"8080:80\"]\n\
         \x20 cache:\n    image: \"{}\"\n    volumes:\n      - type: image\n        source: {}\n        target: /data\n",
        image(0),
        image(1),
        image(2),
        image(3)
    )
}

fn repository(host: &str, digests: &BTreeMap<String, String>) -> Repository {
    let mut files = Vec::new();
    let mut references = Vec::new();
    for index in 0..DOCKERFILES {
        references.extend((0..3).map(|slot| reference(index, slot)));
        files.push((
            format!("services/svc-{index:03}/Dockerfile"),
            dockerfile(host, index, None),
            dockerfile(host, index, Some(digests)),
        ));
    }
    for index in 0..COMPOSE_FILES {
        references.extend((0..4).map(|slot| reference(DOCKERFILES + index, slot)));
        files.push((
            format!("stacks/stack-{index:03}/compose.yaml"),
            compose(host, index, None),
            compose(host, index, Some(digests)),
        ));
    }
    let images = references.len();
    references.sort();
    references.dedup();
    Repository {
        files,
        images,
        distinct: references.len(),
    }
}

fn write_inputs(repository: &Repository, dir: &Path) {
    for (path, input, _) in &repository.files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, input).unwrap();
    }
}

fn check_pinned(repository: &Repository, dir: &Path, what: &str) {
    for (path, _, pinned) in &repository.files {
        let written = fs::read_to_string(dir.join(path)).unwrap();
        assert_eq!(
            &written, pinned,
            "{what}: {path} is not pinned to the registry's digests"
        );
    }
}

impl Bench<'_> {
    /// Rows 8 and 8b.
    pub(crate) fn docker_rows(&self, rows: &mut Vec<Row>) {
        let host = self.proxy.host();
        let repository = repository(&host, &self.registry.digests);
        let files = format!(
            "{DOCKERFILES} Dockerfiles and {COMPOSE_FILES} Compose files ({} images, {} distinct)",
            repository.images, repository.distinct
        );
        note(&format!("pin -R -i of {files}"));
        let lock = self.work.join("docker.lock.json");
        let (stdout, stderr) = (self.work.join("docker.out"), self.work.join("docker.err"));
        let mut online = Sample::default();
        let mut offline = Sample::default();
        for run_index in 0..self.settings.runs {
            for (mode, sample) in [("online", &mut online), ("offline", &mut offline)] {
                let dir = self.work.join(format!("docker-{mode}-{run_index}"));
                write_inputs(&repository, &dir);
                let mut command = self.plugin();
                command.args(["pin", "-q", "-R", "-i", "-f"]).arg(&dir);
                if mode == "online" {
                    command
                        .args(["--insecure-registry", &host, "--lock"])
                        .arg(&lock);
                } else {
                    command.args(["--offline", "--lock"]).arg(&lock);
                }
                let run = measure::run(&mut command, Some(&stdout), Some(&stderr));
                check_exit(&run, &[0], &format!("pin -R -i ({mode})"), &stderr);
                check_pinned(&repository, &dir, mode);
                fs::remove_dir_all(&dir).unwrap();
                sample.push(run);
            }
        }
        let rtt = self.settings.rtt;
        rows.push(Row::new(
            format!(
                "8. `pin -R -i --lock` of a repository: {files}, {} ms RTT, cold",
                rtt.as_millis()
            ),
            online.times.len(),
            in_round_trips(&online, rtt),
        ));
        rows.push(Row::new(
            "8b. the same `--offline` from the lock file",
            offline.times.len(),
            format!(
                "**{}** (range {}; CPU {})",
                seconds(offline.median()),
                range(&offline),
                seconds(offline.median_cpu())
            ),
        ));
    }
}
