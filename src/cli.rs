//! The command line, as typed. `commands` turns it into settings before any I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::core::image_paths::ImagePath;
use crate::core::mirror::Mirror;
use crate::core::platform::Platform;

/// `pin`'s exit codes, shown under its help.
macro_rules! pin_exit_codes {
    () => {
        "Exit codes:
  0  done (nothing unpinned with --check, every digest confirmed with --verify)
  1  --check found an unpinned image, or --verify found a digest that is gone, a tag that moved,
     or a digest the signature policy refuses
  2  error: bad input, an image that cannot be resolved, a registry that refuses, a digest the
     signature policy refuses; nothing written"
    };
}

const ROOT_EXAMPLES: &str = "\
Examples:
  # Pin every image of a GitOps repository in place, recording tag -> digest
  kubectl immutable pin -f k8s/ -R --in-place --lock immutable.lock

  # What changes between two releases, images first
  kubectl immutable diff release-1.4/ release-1.5/ -R

  # Every command explains itself, with examples
  kubectl immutable pin --help";

const EXIT_CODES: &str = "\
Exit codes:
  0  done, nothing found
  1  something found: an unpinned image (pin --check), a moved tag (pin --verify), differences (diff)
  2  error; nothing written";

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-immutable",
    bin_name = "kubectl immutable",
    // The crate version and the commit it was built from: `0.1.0 (abc1234)` (see build.rs).
    version = env!("KUBECTL_IMMUTABLE_VERSION"),
    about = "Immutable deployments: every container image named by its content digest",
    after_help = format!("{ROOT_EXAMPLES}\n\n{EXIT_CODES}")
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Print nothing on stderr but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log to stderr what is sent and received, as kubectl's -v: 1-5 retries and why,
    /// insecure-registry probes, credentials found or not, the API server's refusals; 6 also
    /// every registry and API request with its status and time, and mirror routing; 7 request
    /// headers; 8 answer headers; 9 the libraries' debug events. Credentials, tokens and
    /// cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug)
    /// adds tracing targets.
    #[arg(
        short = 'v',
        long = "v",
        value_name = "LEVEL",
        default_value_t = 0,
        hide_default_value = true,
        global = true
    )]
    pub verbosity: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve every image tag in a set of manifests to its registry digest.
    #[command(after_help = PIN_EXAMPLES)]
    Pin(Box<PinArgs>),
    /// Helm's post-renderer: pin the manifests on stdin, the pinned stream on stdout.
    #[command(after_help = POSTRENDER_EXAMPLES)]
    Postrender(Box<PostrenderArgs>),
    /// Pin, then server-side apply through the Kubernetes API: all or nothing.
    #[command(after_help = APPLY_EXAMPLES)]
    Apply(Box<ApplyArgs>),
    /// Show what changes between two releases, object by object and image by image.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(Box<DiffArgs>),
    /// List a workload's rollout revisions with the image digests each ran.
    #[command(after_help = HISTORY_EXAMPLES)]
    History(Box<HistoryArgs>),
    /// Roll a workload back to a revision's template, every image pinned to the digest it ran.
    #[command(after_help = ROLLBACK_EXAMPLES)]
    Rollback(Box<RollbackArgs>),
    /// Show containers whose running digest differs from what their template names.
    #[command(after_help = DRIFT_EXAMPLES)]
    Drift(Box<DriftArgs>),
    /// Print a shell completion script for kubectl-immutable.
    #[command(after_help = COMPLETION_EXAMPLES)]
    Completion {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const COMPLETION_EXAMPLES: &str = "\
Examples:
  # bash: completion for kubectl-immutable in every new shell
  echo 'source <(kubectl-immutable completion bash)' >> ~/.bashrc

  # zsh: into a directory on $fpath
  kubectl-immutable completion zsh > \"${fpath[1]}/_kubectl-immutable\"

  # `kubectl immutable <TAB>` is completed by kubectl (1.26 and later) instead: put
  # completions/kubectl_complete-immutable from the release archive on PATH.

Exit codes:
  0  script printed
  2  error: unknown shell";

const PIN_EXAMPLES: &str = concat!(
    "Examples:
  # Pinned manifests on stdout
  kubectl immutable pin -f deploy.yaml

  # Rewrite a GitOps repository in place, recording tag -> digest for review
  kubectl immutable pin -f k8s/ -R --in-place --lock immutable.lock

  # Helm or Kustomize output, pinned to one platform's manifest, straight to kubectl
  helm template chart | kubectl immutable pin -f - --platform linux/arm64 | kubectl apply -f -

  # CI gate without network: exit 1 if any image is not pinned
  kubectl immutable pin -f k8s/ -R --check

  # The same gate as GitHub annotations, a GitLab Code Quality report, or SARIF
  kubectl immutable pin -f k8s/ -R --check --format github
  kubectl immutable pin -f k8s/ -R --check --format gitlab > gl-code-quality-report.json
  kubectl immutable pin -f k8s/ -R --verify --format sarif > immutable.sarif

  # A tag was rebuilt: move its pins (only the digests change), the lock file with them
  kubectl immutable pin -f k8s/ -R --refresh --in-place --lock immutable.lock

  # Only digests cosign-signed by the key the policy names for them
  kubectl immutable pin -f k8s/ -R --in-place --signature-policy policy.yaml

",
    pin_exit_codes!()
);

#[derive(Debug, Args)]
pub struct PinArgs {
    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub signatures: SignatureArgs,

    /// Rewrite the files instead of printing them; a file that does not change is not touched.
    #[arg(short = 'i', long, help_heading = "Output", conflicts_with = "check")]
    pub in_place: bool,

    /// Write name@sha256:... instead of name:tag@sha256:....
    #[arg(long, help_heading = "Output")]
    pub digest_only: bool,

    /// What every -f source is, whatever its name says (for stdin or odd names) [default: by
    /// name: Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile; compose.yaml,
    /// docker-compose*.yml, compose.*.yml; else Kubernetes manifests]. A Compose file's
    /// `extends: {file: …}` is read only where it is a regular file (links followed) inside the
    /// current directory, or the directory named by -f (a file named alone: its own), as
    /// kustomize keeps to its root.
    #[arg(long, value_enum, value_name = "KIND", help_heading = "Input")]
    pub kind: Option<crate::core::source_kind::SourceKind>,

    /// Pin a Dockerfile's `# syntax=` frontend image too.
    #[arg(long, help_heading = "Input")]
    pub pin_syntax: bool,

    /// Write the list of images (file, line, original, pinned, digest, platform).
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub report: Option<ReportFormat>,

    /// Where --report goes [default: stderr].
    #[arg(
        long,
        value_name = "FILE",
        value_hint = clap::ValueHint::FilePath,
        requires = "report",
        help_heading = "Output"
    )]
    pub report_file: Option<PathBuf>,

    /// No network, nothing written: list every image without a digest; exit 1 if there is one.
    /// With a signature policy and --lock, also every digest written that the lock's signature
    /// records, verified again with the policy's keys, do not vouch for.
    #[arg(long, help_heading = "Mode")]
    pub check: bool,

    /// Check that every digest already written exists, and that a tag@digest's tag still points at it.
    #[arg(long, help_heading = "Mode", conflicts_with = "check")]
    pub verify: bool,

    /// How --check and --verify report what they find: text, GitHub workflow commands
    /// (annotations), a GitLab Code Quality report, or SARIF 2.1.0 (code scanning); on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FindingsFormat::Text, help_heading = "Mode")]
    pub format: FindingsFormat,

    /// Resolve every tag@digest again and, where the tag now points elsewhere, rewrite only its
    /// digest (name@digest is never touched); unpinned tags are pinned as usual.
    #[arg(long, help_heading = "Mode", conflicts_with_all = ["check", "verify"])]
    pub refresh: bool,
}

/// Which manifests, and where their images are: shared by `pin` and `apply`.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f
    /// takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "PATH",
        num_args = 1..,
        value_hint = clap::ValueHint::AnyPath,
        add = crate::commands::complete::CompleteAs::Manifests,
        required = true,
        help_heading = "Input"
    )]
    pub filenames: Vec<String>,

    /// Read directories recursively.
    #[arg(short = 'R', long, help_heading = "Input")]
    pub recursive: bool,

    /// Follow a directory's symbolic links that lead out of it. Without it such a link is an
    /// error (exit 2, nothing read, printed or written), so a link added in a pull request
    /// cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json).
    #[arg(long, help_heading = "Input")]
    pub follow_links_outside: bool,

    /// Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g.
    /// Rollout:spec.template.spec.containers[].image. Repeatable.
    #[arg(long = "image-path", value_name = "KIND:PATH", help_heading = "Input")]
    pub image_paths: Vec<ImagePath>,

    /// Config file [default: .kubectl-immutable.yaml in the working directory, if present].
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, help_heading = "Input")]
    pub config: Option<PathBuf>,
}

/// How tags become digests: shared by `pin`, `apply` and `diff -f`.
#[derive(Debug, Clone, Args)]
pub struct ResolveArgs {
    /// Record reference -> digest in this lock file (sorted JSON).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, help_heading = "Mode")]
    pub lock: Option<PathBuf>,

    /// Resolve only from the lock file; no network. With a signature policy, the signature
    /// each digest's record holds is verified again with the policy's key.
    #[arg(long, requires = "lock", help_heading = "Mode")]
    pub offline: bool,

    /// Pin this platform's manifest instead of the multi-platform index: os/arch[/variant].
    #[arg(long, value_name = "OS/ARCH", add = crate::commands::complete::CompleteAs::Platform, help_heading = "Registry")]
    pub platform: Option<Platform>,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How registries are reached: shared by every command that asks one (`rollback` asks for
/// signatures only).
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Resolve names under SOURCE at TARGET, writing the original name, e.g.
    /// docker.io=127.0.0.1:5000/docker.io. Repeatable.
    #[arg(
        long = "registry-mirror",
        value_name = "SOURCE=TARGET",
        help_heading = "Registry"
    )]
    pub registry_mirrors: Vec<Mirror>,

    /// Allow plain HTTP or an unverified certificate for this registry host, and a registry's
    /// credentials in plain HTTP to a token service on it (one on the insecure registry's own
    /// host needs no naming). Repeatable.
    #[arg(
        long = "insecure-registry",
        value_name = "HOST[:PORT]",
        help_heading = "Registry"
    )]
    pub insecure_registries: Vec<String>,

    /// Requests in flight at once to each registry that speaks HTTP/1.1, each on its own
    /// connection. A registry that answers in HTTP/2 gets every request at once on one
    /// connection, as many as it lets run together. The default keeps a run to 64 connections
    /// to a registry (a browser opens 6 a host) while 200 references still take only 4 waves
    /// after the first answer.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..), help_heading = "Registry")]
    pub concurrency: u16,

    /// Seconds each registry request may take before it is retried; also the longest wait a
    /// registry's Retry-After is honoured for (a longer one fails at once), and how long a
    /// credential helper may take to answer (then it is stopped).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Registry")]
    pub registry_timeout: u64,
}

/// `--signature-policy`: shared by the commands that write, send or compare digests.
#[derive(Debug, Clone, Args)]
pub struct SignatureArgs {
    /// Write or send only digests this cosign signature policy accepts, those written by hand
    /// too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the
    /// config file's, if any].
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, help_heading = "Registry")]
    pub signature_policy: Option<PathBuf>,
}

const POSTRENDER_EXAMPLES: &str = "\
Examples:
  # Helm 4, with the plugin installed (helm plugin install ./helm/immutable from the archive)
  helm install web ./chart --post-renderer immutable

  # Helm 3: the binary itself, this subcommand as its argument
  helm install web ./chart --post-renderer kubectl-immutable --post-renderer-args postrender

  # Pinned from the reviewed lock file only, no registry
  helm install web ./chart --post-renderer immutable \\
    --post-renderer-args=--offline --post-renderer-args=--lock=immutable.lock

Reads the whole stream on stdin (it refuses a terminal), writes it back with only the image values
pinned: comments, `# Source:` lines and annotations stay byte for byte. Flags and the config
file are pin's. Empty input is empty output. Nothing but errors on stderr, one per line.

Helm 3 never shows hooks to a post-renderer: gate them in CI with
  helm template web ./chart | kubectl immutable pin --check -f -

Exit codes:
  0  pinned stream written
  2  error: an image that cannot be resolved, bad input; nothing written on stdout";

/// `postrender`: `pin -f -` as Helm runs a post-renderer.
#[derive(Debug, Args)]
pub struct PostrenderArgs {
    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub signatures: SignatureArgs,

    /// Where custom resources keep images, as KIND:dotted.path. Repeatable.
    #[arg(long = "image-path", value_name = "KIND:PATH", help_heading = "Input")]
    pub image_paths: Vec<ImagePath>,

    /// Config file [default: .kubectl-immutable.yaml in the working directory, if present].
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, help_heading = "Input")]
    pub config: Option<PathBuf>,

    /// Write name@sha256:... instead of name:tag@sha256:....
    #[arg(long, help_heading = "Output")]
    pub digest_only: bool,
}

const DIFF_EXAMPLES: &str = "\
Examples:
  # Two manifest sets: files, directories, or - for one of them
  kubectl immutable diff release-1.4/ release-1.5/ -R

  # Two git revisions of a GitOps repository, without a checkout
  kubectl immutable diff v1.4:k8s/ HEAD:k8s/ -R

  # For CI bots
  kubectl immutable diff old.yaml new.yaml -o json

  # A pull-request comment: summary, image table, a collapsed diff per object
  kubectl immutable diff v1.4:k8s/ HEAD:k8s/ -R -o markdown > comment.md

  # A release against the live cluster: what `apply` would change (images pinned as apply
  # pins them; --offline --lock pins from the lock file alone)
  kubectl immutable diff -f release-1.5/ -R -n shop

  # A Deployment's current rollout revision against the previous one
  kubectl immutable diff deployment/web -n shop

  # Two rollout revisions of a StatefulSet
  kubectl immutable diff sts/db --revision 3 --revision 5

  # Without the fields a controller writes (Argo CD's ignoreDifferences: a list, or an
  # Application whose spec.ignoreDifferences to use)
  kubectl immutable diff -f release-1.5/ -R --ignore ignore.yaml

Exit codes (as kubectl diff):
  0  no differences
  1  differences (those --ignore leaves)
  2  error";

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old release: a file, a directory, - for stdin, or REV:PATH from the git repository
    /// around the working directory (a path that exists on disk wins). Alone, TYPE/NAME of a
    /// deployment, statefulset or daemonset whose rollout revisions to compare.
    #[arg(
        value_name = "OLD|TYPE/NAME",
        value_hint = clap::ValueHint::AnyPath,
        add = crate::commands::complete::CompleteAs::WorkloadOrPath,
        required_unless_present = "filenames",
        conflicts_with = "filenames"
    )]
    pub old: Option<String>,

    /// The new release, as OLD.
    #[arg(value_name = "NEW", value_hint = clap::ValueHint::AnyPath, conflicts_with = "revisions")]
    pub new: Option<String>,

    /// Manifests to compare with the live cluster: a file, a directory, or - for stdin.
    /// Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "PATH", value_hint = clap::ValueHint::AnyPath, add = crate::commands::complete::CompleteAs::Manifests)]
    pub filenames: Vec<String>,

    /// With TYPE/NAME: a rollout revision to compare; once, against the current revision;
    /// twice, old then new [default: the previous against the current].
    #[arg(long = "revision", value_name = "N", conflicts_with = "filenames", value_parser = clap::value_parser!(u64).range(1..))]
    pub revisions: Vec<u64>,

    /// Read directories recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Follow a directory's symbolic links that lead out of it (an error without it).
    #[arg(long)]
    pub follow_links_outside: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Where custom resources keep images, as KIND:dotted.path. Repeatable.
    #[arg(long = "image-path", value_name = "KIND:PATH")]
    pub image_paths: Vec<ImagePath>,

    /// Config file [default: .kubectl-immutable.yaml in the working directory, if present].
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub config: Option<PathBuf>,

    /// Fields not to compare, in Argo CD's ignoreDifferences shape: entries of group, kind,
    /// name, namespace, jsonPointers and jqPathExpressions, removed from both sides first.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub ignore: Option<PathBuf>,

    /// How long one of --ignore's jqPathExpressions may run on one object (Argo CD's default);
    /// longer is an error. Each also sees an empty environment and at most 1 GiB of memory.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = positive_duration, requires = "ignore")]
    pub ignore_timeout: Duration,

    /// Output format: markdown is for a pull-request comment (cut between objects, with a note,
    /// past GitHub's 65,536 characters).
    #[arg(short = 'o', long, value_enum, default_value_t = DiffOutput::Text)]
    pub output: DiffOutput,

    /// Colour the text output: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// With -f: compare the manifests as written, not pinned as `apply` would send them.
    #[arg(long, requires = "filenames", help_heading = "Live (-f)")]
    pub no_pin: bool,

    /// With -f: the field manager of the server-side dry runs, as `apply` writes with.
    #[arg(
        long,
        default_value = "kubectl-immutable",
        requires = "filenames",
        help_heading = "Live (-f)"
    )]
    pub field_manager: String,

    /// With -f: compare even though this image cannot be pinned (as written, or its name).
    /// Repeatable.
    #[arg(
        long,
        value_name = "IMAGE",
        requires = "filenames",
        help_heading = "Live (-f)"
    )]
    pub allow_unpinned: Vec<String>,

    /// With -f, how images are pinned before the comparison: as `apply` pins them.
    #[command(flatten)]
    pub resolve: ResolveArgs,

    // With -f (unless --no-pin): the digests compared are judged as `apply` judges those it
    // sends.
    #[command(flatten)]
    pub signatures: SignatureArgs,
}

const HISTORY_EXAMPLES: &str = "\
Examples:
  # Revisions, when, why, and the image digest of every container
  kubectl immutable history deployment/web -n shop

  # For scripts
  kubectl immutable history sts/db -o json

A digest marked (from pod) is what the revision's running pods pulled for a tag (their
status.containerStatuses[].imageID); a tag without a running pod shows (no digest).

Exit codes:
  0  listed
  2  error: not a deployment, statefulset or daemonset; not found; the cluster refuses";

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The workload: deployment/NAME, statefulset/NAME or daemonset/NAME (deploy, sts, ds).
    #[arg(value_name = "TYPE/NAME", add = crate::commands::complete::CompleteAs::Workload)]
    pub workload: String,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,
}

const ROLLBACK_EXAMPLES: &str = "\
Examples:
  # Back to the revision before the current one, with the digests that revision ran
  kubectl immutable rollback deployment/web -n shop

  # To revision 3, waiting for the rollout
  kubectl immutable rollback sts/db --to-revision 3 --wait

  # What would be stored, nothing persisted
  kubectl immutable rollback deploy/web --dry-run=server -o yaml

Unlike `kubectl rollout undo`, which re-applies the old template's tags (a tag that moved since
deploys the new image), this writes the old template with every image pinned to the digest its
pods ran (status.containerStatuses[].imageID): a new template, so a new revision. An image
without a known digest is refused unless --allow-unpinned names it.

Otherwise it stores what rollout undo stores: the pod template replaced whole by the
revision's (nothing of the current template stays, whichever field manager set it), and for a
Deployment, the annotations of the revision's ReplicaSet (its kubernetes.io/change-cause among
them) beside the Deployment's own rollout annotations; every other field as it is. The update
is sent only if the workload did not change since it was read (its resourceVersion; where only
its status changed, as its controller updates it, it is sent again, at most 3 times); if it
did, nothing is changed (exit 2): run the rollback again.

Exit codes:
  0  rolled back (or nothing to change)
  1  its rollout did not finish (--wait)
  2  stopped before anything was changed: no such revision, a digest not known, the workload
     changed since it was read, the server refused it";

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The workload: deployment/NAME, statefulset/NAME or daemonset/NAME (deploy, sts, ds).
    #[arg(value_name = "TYPE/NAME", add = crate::commands::complete::CompleteAs::Workload)]
    pub workload: String,

    /// The revision to roll back to [default: the one before the current one].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub to_revision: Option<u64>,

    /// Roll back even though no digest is known for this image (as written, or its name): it
    /// stays a tag. Repeatable.
    #[arg(long, value_name = "IMAGE")]
    pub allow_unpinned: Vec<String>,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub signatures: SignatureArgs,

    // With a signature policy, where signatures are looked up.
    #[command(flatten)]
    pub registry: RegistryArgs,

    /// The field manager the server records as owner of the fields the rollback changes.
    #[arg(long, default_value = "kubectl-immutable", help_heading = "Apply")]
    pub field_manager: String,

    /// none: roll back; server: what the server would store, nothing persisted; client: the
    /// object that would be sent.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, default_missing_value = "client", help_heading = "Apply")]
    pub dry_run: DryRun,

    /// Print the object instead of one line.
    #[arg(short = 'o', long, value_enum, help_heading = "Apply")]
    pub output: Option<ApplyOutput>,

    #[command(flatten)]
    pub wait: WaitArgs,
}

const DRIFT_EXAMPLES: &str = "\
Examples:
  # Every Deployment, StatefulSet and DaemonSet of the namespace
  kubectl immutable drift -n shop

  # Some workloads, for a script
  kubectl immutable drift deployment/web sts/db -o json

  # Every namespace; tags resolved through a mirror
  kubectl immutable drift -A --registry-mirror docker.io=mirror.local/docker.io

Each running container's digest (its status.containerStatuses[].imageID) is compared with the
image its template names. A pinned template drifts when a pod runs another digest. A tag-only
template drifts when its pods run different digests of the tag, or when the registry's digest
for the tag has moved since they pulled it (one request per distinct tag). Pods not running
yet are listed as pending, not as drift.

Exit codes:
  0  no drift
  1  drift
  2  error";

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Workloads: deployment/NAME, statefulset/NAME or daemonset/NAME [default: every one of
    /// the namespace].
    #[arg(value_name = "TYPE/NAME", add = crate::commands::complete::CompleteAs::Workload)]
    pub workloads: Vec<String>,

    /// Every namespace.
    #[arg(
        short = 'A',
        long,
        conflicts_with = "workloads",
        help_heading = "Cluster"
    )]
    pub all_namespaces: bool,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// How tags are resolved for a tag-only template, as `pin` resolves them.
    #[command(flatten)]
    pub resolve: ResolveArgs,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,
}

const APPLY_EXAMPLES: &str = "\
Examples:
  # Pin every image, check every object with a server-side dry run, then apply them all
  kubectl immutable apply -f k8s/ -R -n shop

  # What the API server would store, nothing persisted
  kubectl immutable apply -f k8s/ -R --dry-run=server -o yaml

  # Helm output, waiting for the rollouts
  helm template chart | kubectl immutable apply -f - --wait --timeout 5m

  # Only digests from the reviewed lock file, no registry
  kubectl immutable apply -f k8s/ -R --offline --lock immutable.lock

  # Nothing sent unless every digest is signed as the policy says
  kubectl immutable apply -f k8s/ -R --signature-policy policy.yaml

Exit codes:
  0  applied (or nothing to change)
  1  some objects failed while applying for real, or a rollout did not finish (--wait)
  2  stopped before anything but the release's own Namespaces and CRDs was applied";

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub sources: SourceArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    #[command(flatten)]
    pub signatures: SignatureArgs,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// The field manager the server records as owner of the applied fields.
    #[arg(long, default_value = "kubectl-immutable", help_heading = "Apply")]
    pub field_manager: String,

    /// Take over fields another field manager owns.
    #[arg(long, help_heading = "Apply")]
    pub force_conflicts: bool,

    /// none: apply; server: what the server would store, nothing persisted; client: pin only.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, default_missing_value = "client", help_heading = "Apply")]
    pub dry_run: DryRun,

    /// Apply even though this image cannot be pinned (as written, or its name). Repeatable.
    #[arg(long, value_name = "IMAGE", help_heading = "Apply")]
    pub allow_unpinned: Vec<String>,

    /// Print the objects instead of one line each.
    #[arg(short = 'o', long, value_enum, help_heading = "Apply")]
    pub output: Option<ApplyOutput>,

    #[command(flatten)]
    pub wait: WaitArgs,
}

/// `--wait` and `--timeout`: shared by `apply` and `rollback`.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl
    /// rollout status` judges it.
    #[arg(long, help_heading = "Apply")]
    pub wait: bool,

    /// How long --wait waits, e.g. 90s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration, help_heading = "Apply")]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    None,
    Server,
    Client,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyOutput {
    Name,
    Yaml,
    Json,
}

/// kubectl's connection flags.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config].
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, add = crate::commands::complete::CompleteAs::Kubeconfig, help_heading = "Cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use [default: the current context].
    #[arg(long, value_name = "NAME", add = crate::commands::complete::CompleteAs::Context, help_heading = "Cluster")]
    pub context: Option<String>,

    /// The namespace of objects that name none [default: the context's, else default].
    #[arg(short = 'n', long, add = crate::commands::complete::CompleteAs::Namespace, help_heading = "Cluster")]
    pub namespace: Option<String>,

    /// The length of time to wait before giving up on a single server request. Non-zero values
    /// should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't
    /// timeout requests.
    ///
    /// It bounds each silence: connecting (at most 10s), sending, and each wait for the next
    /// bytes of the answer, so an answer still arriving is never cut. A request given up is
    /// sent again, as one whose connection dropped. A bare number is seconds, as kubectl reads
    /// it. The default is the API server's own limit for a request (the plugin never watches);
    /// kubectl's is 0, which waits for ever.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = request_timeout, help_heading = "Cluster")]
    pub request_timeout: Duration,
}

/// `--request-timeout` as kubectl reads it (client-go's `clientcmd.ParseTimeout`): a whole
/// number is seconds, despite its help (`5` is 5s; `0` is no timeout), anything else a duration
/// with its unit, read as `--timeout` is.
fn request_timeout(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text).map_err(|_| {
        "Invalid timeout value. Timeout must be a single integer in seconds, or an integer \
         followed by a corresponding time unit (e.g. 1s | 2m | 3h)"
            .to_string()
    })
}

/// A duration with its unit (`1s`, `500ms`), not zero.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("must be more than zero".to_string()),
        Err(error) => Err(format!("{error} (e.g. 1s, 500ms)")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffOutput {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    Text,
    Github,
    Gitlab,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_repeated_and_typed_flags() {
        let cli = Cli::try_parse_from([
            "kubectl-immutable",
            "pin",
            "-f",
            "a.yaml",
            "-f",
            "-",
            "--platform",
            "linux/arm64",
            "--registry-mirror",
            "docker.io=localhost:5000",
            "--image-path",
            "Prometheus:spec.image",
        ])
        .unwrap();
        let Command::Pin(pin) = cli.command else {
            panic!("not pin")
        };
        assert_eq!(pin.sources.filenames, ["a.yaml", "-"]);
        assert_eq!(pin.resolve.platform.unwrap().to_string(), "linux/arm64");
        assert_eq!(
            pin.sources.image_paths[0].to_string(),
            "Prometheus:spec.image"
        );
    }

    #[test]
    fn diff_takes_two_sides_a_workload_or_filenames() {
        let diff = |args: &[&str]| {
            let argv = ["kubectl-immutable", "diff"]
                .into_iter()
                .chain(args.iter().copied());
            match Cli::try_parse_from(argv).unwrap().command {
                Command::Diff(diff) => diff,
                _ => panic!("not diff"),
            }
        };
        let sides = diff(&["a", "b"]);
        assert_eq!(
            (sides.old.as_deref(), sides.new.as_deref()),
            (Some("a"), Some("b"))
        );
        let live = diff(&["-f", "a", "-f", "-", "-R"]);
        assert_eq!(
            (live.old, live.filenames),
            (None, vec!["a".into(), "-".into()])
        );
        let rollout = diff(&["deploy/web", "--revision", "3", "--revision", "5"]);
        assert_eq!(rollout.old.as_deref(), Some("deploy/web"));
        assert_eq!(rollout.revisions, [3, 5]);
    }

    #[test]
    fn refuses_contradictions() {
        for args in [
            vec!["pin", "-f", "a", "--check", "--in-place"],
            vec!["pin", "-f", "a", "--offline"],
            vec!["pin", "-f", "a", "--platform", "linux"],
            vec!["pin"],
            vec!["diff"],
            vec!["diff", "a", "b", "c"],
            vec!["diff", "a", "b", "-f", "c"],
            vec!["diff", "deploy/web", "-f", "c"],
            vec!["diff", "a", "b", "--revision", "1"],
            vec!["diff", "-f", "a", "--revision", "1"],
            vec!["diff", "deploy/web", "--revision", "0"],
            vec!["history"],
            vec!["history", "deploy/web", "--request-timeout", "-1"],
            vec!["history", "deploy/web", "--request-timeout", "5x"],
            vec!["history", "deploy/web", "--request-timeout", "soon"],
            vec!["history", "deploy/web", "--request-timeout", ""],
        ] {
            let argv = std::iter::once("kubectl-immutable").chain(args.iter().copied());
            assert!(Cli::try_parse_from(argv).is_err(), "{args:?}");
        }
    }

    #[test]
    fn request_timeout_is_read_as_kubectl_reads_it() {
        let timeout = |args: &[&str]| {
            let argv = ["kubectl-immutable"]
                .into_iter()
                .chain(args.iter().copied());
            let cluster = match Cli::try_parse_from(argv).map(|cli| cli.command) {
                Ok(Command::History(history)) => history.cluster,
                Ok(Command::Apply(apply)) => apply.cluster,
                Ok(Command::Diff(diff)) => diff.cluster,
                Ok(_) => panic!("not a cluster command"),
                Err(error) => return Err(error.to_string()),
            };
            Ok(cluster.request_timeout)
        };
        let history = |value: &str| timeout(&["history", "deploy/web", "--request-timeout", value]);
        assert_eq!(
            timeout(&["history", "deploy/web"]),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(history("0"), Ok(Duration::ZERO));
        assert_eq!(history("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(history("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(history("1.5s"), Ok(Duration::from_millis(1500)));
        // kubectl's help asks for a unit, but kubectl reads a whole number as seconds.
        assert_eq!(history("5"), Ok(Duration::from_secs(5)));
        let refused = history("5x").unwrap_err();
        assert!(
            refused.contains("invalid value '5x' for '--request-timeout <DURATION>': Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)"),
            "{refused}"
        );
        // Every command that talks to a cluster takes it.
        assert_eq!(
            timeout(&["diff", "-f", "a", "--request-timeout", "3s"]),
            Ok(Duration::from_secs(3))
        );
        assert_eq!(
            timeout(&["apply", "-f", "a", "--request-timeout", "0"]),
            Ok(Duration::ZERO)
        );
    }
}
