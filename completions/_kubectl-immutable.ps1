
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-immutable' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-immutable'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-immutable' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('pin', 'pin', [CompletionResultType]::ParameterValue, 'Resolve every image tag in a set of manifests to its registry digest')
            [CompletionResult]::new('postrender', 'postrender', [CompletionResultType]::ParameterValue, 'Helm''s post-renderer: pin the manifests on stdin, the pinned stream on stdout')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Pin, then server-side apply through the Kubernetes API: all or nothing')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what changes between two releases, object by object and image by image')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List a workload''s rollout revisions with the image digests each ran')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll a workload back to a revision''s template, every image pinned to the digest it ran')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Show containers whose running digest differs from what their template names')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script for kubectl-immutable')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-immutable;pin' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them')
            [CompletionResult]::new('--image-path', '--image-path', [CompletionResultType]::ParameterName, 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record reference -> digest in this lock file (sorted JSON)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('--signature-policy', '--signature-policy', [CompletionResultType]::ParameterName, 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'What every -f source is, whatever its name says (for stdin or odd names) [default: by name: Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile; compose.yaml, docker-compose*.yml, compose.*.yml; else Kubernetes manifests]. A Compose file''s `extends: {file: …}` is read only where it is a regular file (links followed) inside the current directory, or the directory named by -f (a file named alone: its own), as kustomize keeps to its root')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write the list of images (file, line, original, pinned, digest, platform)')
            [CompletionResult]::new('--report-file', '--report-file', [CompletionResultType]::ParameterName, 'Where --report goes [default: stderr]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How --check and --verify report what they find: text, GitHub workflow commands (annotations), a GitLab Code Quality report, or SARIF 2.1.0 (code scanning); on stdout')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--follow-links-outside', '--follow-links-outside', [CompletionResultType]::ParameterName, 'Follow a directory''s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Rewrite the files instead of printing them; a file that does not change is not touched')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Rewrite the files instead of printing them; a file that does not change is not touched')
            [CompletionResult]::new('--digest-only', '--digest-only', [CompletionResultType]::ParameterName, 'Write name@sha256:... instead of name:tag@sha256:....')
            [CompletionResult]::new('--pin-syntax', '--pin-syntax', [CompletionResultType]::ParameterName, 'Pin a Dockerfile''s `# syntax=` frontend image too')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'No network, nothing written: list every image without a digest; exit 1 if there is one. With a signature policy and --lock, also every digest written that the lock''s signature records, verified again with the policy''s keys, do not vouch for')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Check that every digest already written exists, and that a tag@digest''s tag still points at it')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Resolve every tag@digest again and, where the tag now points elsewhere, rewrite only its digest (name@digest is never touched); unpinned tags are pinned as usual')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-immutable;postrender' {
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record reference -> digest in this lock file (sorted JSON)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('--signature-policy', '--signature-policy', [CompletionResultType]::ParameterName, 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]')
            [CompletionResult]::new('--image-path', '--image-path', [CompletionResultType]::ParameterName, 'Where custom resources keep images, as KIND:dotted.path. Repeatable')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key')
            [CompletionResult]::new('--digest-only', '--digest-only', [CompletionResultType]::ParameterName, 'Write name@sha256:... instead of name:tag@sha256:....')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-immutable;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them')
            [CompletionResult]::new('--image-path', '--image-path', [CompletionResultType]::ParameterName, 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record reference -> digest in this lock file (sorted JSON)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('--signature-policy', '--signature-policy', [CompletionResultType]::ParameterName, 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use [default: the current context]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'The field manager the server records as owner of the applied fields')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'none: apply; server: what the server would store, nothing persisted; client: pin only')
            [CompletionResult]::new('--allow-unpinned', '--allow-unpinned', [CompletionResultType]::ParameterName, 'Apply even though this image cannot be pinned (as written, or its name). Repeatable')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the objects instead of one line each')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the objects instead of one line each')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s, 5m')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--follow-links-outside', '--follow-links-outside', [CompletionResultType]::ParameterName, 'Follow a directory''s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Take over fields another field manager owns')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-immutable;diff' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifests to compare with the live cluster: a file, a directory, or - for stdin. Repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifests to compare with the live cluster: a file, a directory, or - for stdin. Repeatable')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'With TYPE/NAME: a rollout revision to compare; once, against the current revision; twice, old then new [default: the previous against the current]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use [default: the current context]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests')
            [CompletionResult]::new('--image-path', '--image-path', [CompletionResultType]::ParameterName, 'Where custom resources keep images, as KIND:dotted.path. Repeatable')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Fields not to compare, in Argo CD''s ignoreDifferences shape: entries of group, kind, name, namespace, jsonPointers and jqPathExpressions, removed from both sides first')
            [CompletionResult]::new('--ignore-timeout', '--ignore-timeout', [CompletionResultType]::ParameterName, 'How long one of --ignore''s jqPathExpressions may run on one object (Argo CD''s default); longer is an error. Each also sees an empty environment and at most 1 GiB of memory')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: markdown is for a pull-request comment (cut between objects, with a note, past GitHub''s 65,536 characters)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: markdown is for a pull-request comment (cut between objects, with a note, past GitHub''s 65,536 characters)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the text output: auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'With -f: the field manager of the server-side dry runs, as `apply` writes with')
            [CompletionResult]::new('--allow-unpinned', '--allow-unpinned', [CompletionResultType]::ParameterName, 'With -f: compare even though this image cannot be pinned (as written, or its name). Repeatable')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record reference -> digest in this lock file (sorted JSON)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('--signature-policy', '--signature-policy', [CompletionResultType]::ParameterName, 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Read directories recursively')
            [CompletionResult]::new('--follow-links-outside', '--follow-links-outside', [CompletionResultType]::ParameterName, 'Follow a directory''s symbolic links that lead out of it (an error without it)')
            [CompletionResult]::new('--no-pin', '--no-pin', [CompletionResultType]::ParameterName, 'With -f: compare the manifests as written, not pinned as `apply` would send them')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-immutable;history' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use [default: the current context]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-immutable;rollback' {
            [CompletionResult]::new('--to-revision', '--to-revision', [CompletionResultType]::ParameterName, 'The revision to roll back to [default: the one before the current one]')
            [CompletionResult]::new('--allow-unpinned', '--allow-unpinned', [CompletionResultType]::ParameterName, 'Roll back even though no digest is known for this image (as written, or its name): it stays a tag. Repeatable')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use [default: the current context]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests')
            [CompletionResult]::new('--signature-policy', '--signature-policy', [CompletionResultType]::ParameterName, 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'The field manager the server records as owner of the fields the rollback changes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'none: roll back; server: what the server would store, nothing persisted; client: the object that would be sent')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the object instead of one line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the object instead of one line')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s, 5m')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-immutable;drift' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use [default: the current context]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace of objects that name none [default: the context''s, else default]')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record reference -> digest in this lock file (sorted JSON)')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]')
            [CompletionResult]::new('--registry-mirror', '--registry-mirror', [CompletionResultType]::ParameterName, 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer')
            [CompletionResult]::new('--registry-timeout', '--registry-timeout', [CompletionResultType]::ParameterName, 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every namespace')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-immutable;completion' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on stderr but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-immutable;help' {
            [CompletionResult]::new('pin', 'pin', [CompletionResultType]::ParameterValue, 'Resolve every image tag in a set of manifests to its registry digest')
            [CompletionResult]::new('postrender', 'postrender', [CompletionResultType]::ParameterValue, 'Helm''s post-renderer: pin the manifests on stdin, the pinned stream on stdout')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Pin, then server-side apply through the Kubernetes API: all or nothing')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what changes between two releases, object by object and image by image')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List a workload''s rollout revisions with the image digests each ran')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Roll a workload back to a revision''s template, every image pinned to the digest it ran')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Show containers whose running digest differs from what their template names')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script for kubectl-immutable')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-immutable;help;pin' {
            break
        }
        'kubectl-immutable;help;postrender' {
            break
        }
        'kubectl-immutable;help;apply' {
            break
        }
        'kubectl-immutable;help;diff' {
            break
        }
        'kubectl-immutable;help;history' {
            break
        }
        'kubectl-immutable;help;rollback' {
            break
        }
        'kubectl-immutable;help;drift' {
            break
        }
        'kubectl-immutable;help;completion' {
            break
        }
        'kubectl-immutable;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
