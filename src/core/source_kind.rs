//! What a source is, guessed from its file name: Kubernetes manifests, a Dockerfile, or a
//! Compose file.

/// How a source's images are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    Kubernetes,
    Dockerfile,
    Compose,
}

impl SourceKind {
    /// The kind a file name says: `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile`
    /// (and `Containerfile.*`, `*.Containerfile`); `compose.yaml`, `compose.yml`,
    /// `docker-compose*.y*ml`, `compose.*.y*ml`; manifests otherwise.
    pub fn of_name(file_name: &str) -> SourceKind {
        let yaml = |rest: &str| rest.ends_with(".yaml") || rest.ends_with(".yml");
        let docker = ["Dockerfile", "Containerfile"].iter().any(|base| {
            file_name == *base
                || file_name.ends_with(&format!(".{base}"))
                || file_name.starts_with(&format!("{base}."))
        });
        if docker {
            SourceKind::Dockerfile
        } else if matches!(file_name, "compose.yaml" | "compose.yml")
            || (file_name.starts_with("docker-compose") && yaml(file_name))
            || (file_name.starts_with("compose.") && yaml(file_name))
        {
            SourceKind::Compose
        } else {
            SourceKind::Kubernetes
        }
    }

    /// Whether a directory walk takes a file of this name beside manifests.
    pub fn is_docker_name(file_name: &str) -> bool {
        SourceKind::of_name(file_name) != SourceKind::Kubernetes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        for (name, kind) in [
            ("Dockerfile", SourceKind::Dockerfile),
            ("web.Dockerfile", SourceKind::Dockerfile),
            ("Dockerfile.dev", SourceKind::Dockerfile),
            ("Containerfile", SourceKind::Dockerfile),
            ("compose.yaml", SourceKind::Compose),
            ("compose.yml", SourceKind::Compose),
            ("docker-compose.yml", SourceKind::Compose),
            ("docker-compose.prod.yaml", SourceKind::Compose),
            ("compose.override.yml", SourceKind::Compose),
            ("deploy.yaml", SourceKind::Kubernetes),
            ("dockerfile", SourceKind::Kubernetes),
            ("compose.json", SourceKind::Kubernetes),
        ] {
            assert_eq!(SourceKind::of_name(name), kind, "{name}");
        }
    }
}
