
use builtin;
use str;

set edit:completion:arg-completer[kubectl-immutable] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'kubectl-immutable'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'kubectl-immutable'= {
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand pin 'Resolve every image tag in a set of manifests to its registry digest'
            cand postrender 'Helm''s post-renderer: pin the manifests on stdin, the pinned stream on stdout'
            cand apply 'Pin, then server-side apply through the Kubernetes API: all or nothing'
            cand diff 'Show what changes between two releases, object by object and image by image'
            cand history 'List a workload''s rollout revisions with the image digests each ran'
            cand rollback 'Roll a workload back to a revision''s template, every image pinned to the digest it ran'
            cand drift 'Show containers whose running digest differs from what their template names'
            cand completion 'Print a shell completion script for kubectl-immutable'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-immutable;pin'= {
            cand -f 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them'
            cand --filename 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them'
            cand --image-path 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable'
            cand --config 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]'
            cand --lock 'Record reference -> digest in this lock file (sorted JSON)'
            cand --platform 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand --signature-policy 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]'
            cand --kind 'What every -f source is, whatever its name says (for stdin or odd names) [default: by name: Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile; compose.yaml, docker-compose*.yml, compose.*.yml; else Kubernetes manifests]. A Compose file''s `extends: {file: …}` is read only where it is a regular file (links followed) inside the current directory, or the directory named by -f (a file named alone: its own), as kustomize keeps to its root'
            cand --report 'Write the list of images (file, line, original, pinned, digest, platform)'
            cand --report-file 'Where --report goes [default: stderr]'
            cand --format 'How --check and --verify report what they find: text, GitHub workflow commands (annotations), a GitLab Code Quality report, or SARIF 2.1.0 (code scanning); on stdout'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -R 'Read directories recursively'
            cand --recursive 'Read directories recursively'
            cand --follow-links-outside 'Follow a directory''s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)'
            cand --offline 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key'
            cand -i 'Rewrite the files instead of printing them; a file that does not change is not touched'
            cand --in-place 'Rewrite the files instead of printing them; a file that does not change is not touched'
            cand --digest-only 'Write name@sha256:... instead of name:tag@sha256:....'
            cand --pin-syntax 'Pin a Dockerfile''s `# syntax=` frontend image too'
            cand --check 'No network, nothing written: list every image without a digest; exit 1 if there is one. With a signature policy and --lock, also every digest written that the lock''s signature records, verified again with the policy''s keys, do not vouch for'
            cand --verify 'Check that every digest already written exists, and that a tag@digest''s tag still points at it'
            cand --refresh 'Resolve every tag@digest again and, where the tag now points elsewhere, rewrite only its digest (name@digest is never touched); unpinned tags are pinned as usual'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-immutable;postrender'= {
            cand --lock 'Record reference -> digest in this lock file (sorted JSON)'
            cand --platform 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand --signature-policy 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]'
            cand --image-path 'Where custom resources keep images, as KIND:dotted.path. Repeatable'
            cand --config 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --offline 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key'
            cand --digest-only 'Write name@sha256:... instead of name:tag@sha256:....'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-immutable;apply'= {
            cand -f 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them'
            cand --filename 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them'
            cand --image-path 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable'
            cand --config 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]'
            cand --lock 'Record reference -> digest in this lock file (sorted JSON)'
            cand --platform 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand --signature-policy 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]'
            cand --kubeconfig 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]'
            cand --context 'The kubeconfig context to use [default: the current context]'
            cand -n 'The namespace of objects that name none [default: the context''s, else default]'
            cand --namespace 'The namespace of objects that name none [default: the context''s, else default]'
            cand --request-timeout 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests'
            cand --field-manager 'The field manager the server records as owner of the applied fields'
            cand --dry-run 'none: apply; server: what the server would store, nothing persisted; client: pin only'
            cand --allow-unpinned 'Apply even though this image cannot be pinned (as written, or its name). Repeatable'
            cand -o 'Print the objects instead of one line each'
            cand --output 'Print the objects instead of one line each'
            cand --timeout 'How long --wait waits, e.g. 90s, 5m'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -R 'Read directories recursively'
            cand --recursive 'Read directories recursively'
            cand --follow-links-outside 'Follow a directory''s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)'
            cand --offline 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key'
            cand --force-conflicts 'Take over fields another field manager owns'
            cand --wait 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-immutable;diff'= {
            cand -f 'Manifests to compare with the live cluster: a file, a directory, or - for stdin. Repeatable'
            cand --filename 'Manifests to compare with the live cluster: a file, a directory, or - for stdin. Repeatable'
            cand --revision 'With TYPE/NAME: a rollout revision to compare; once, against the current revision; twice, old then new [default: the previous against the current]'
            cand --kubeconfig 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]'
            cand --context 'The kubeconfig context to use [default: the current context]'
            cand -n 'The namespace of objects that name none [default: the context''s, else default]'
            cand --namespace 'The namespace of objects that name none [default: the context''s, else default]'
            cand --request-timeout 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests'
            cand --image-path 'Where custom resources keep images, as KIND:dotted.path. Repeatable'
            cand --config 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]'
            cand --ignore 'Fields not to compare, in Argo CD''s ignoreDifferences shape: entries of group, kind, name, namespace, jsonPointers and jqPathExpressions, removed from both sides first'
            cand --ignore-timeout 'How long one of --ignore''s jqPathExpressions may run on one object (Argo CD''s default); longer is an error. Each also sees an empty environment and at most 1 GiB of memory'
            cand -o 'Output format: markdown is for a pull-request comment (cut between objects, with a note, past GitHub''s 65,536 characters)'
            cand --output 'Output format: markdown is for a pull-request comment (cut between objects, with a note, past GitHub''s 65,536 characters)'
            cand --color 'Colour the text output: auto colours a terminal unless NO_COLOR is set'
            cand --field-manager 'With -f: the field manager of the server-side dry runs, as `apply` writes with'
            cand --allow-unpinned 'With -f: compare even though this image cannot be pinned (as written, or its name). Repeatable'
            cand --lock 'Record reference -> digest in this lock file (sorted JSON)'
            cand --platform 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand --signature-policy 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -R 'Read directories recursively'
            cand --recursive 'Read directories recursively'
            cand --follow-links-outside 'Follow a directory''s symbolic links that lead out of it (an error without it)'
            cand --no-pin 'With -f: compare the manifests as written, not pinned as `apply` would send them'
            cand --offline 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-immutable;history'= {
            cand --kubeconfig 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]'
            cand --context 'The kubeconfig context to use [default: the current context]'
            cand -n 'The namespace of objects that name none [default: the context''s, else default]'
            cand --namespace 'The namespace of objects that name none [default: the context''s, else default]'
            cand --request-timeout 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests'
            cand -o 'Output format'
            cand --output 'Output format'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-immutable;rollback'= {
            cand --to-revision 'The revision to roll back to [default: the one before the current one]'
            cand --allow-unpinned 'Roll back even though no digest is known for this image (as written, or its name): it stays a tag. Repeatable'
            cand --kubeconfig 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]'
            cand --context 'The kubeconfig context to use [default: the current context]'
            cand -n 'The namespace of objects that name none [default: the context''s, else default]'
            cand --namespace 'The namespace of objects that name none [default: the context''s, else default]'
            cand --request-timeout 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests'
            cand --signature-policy 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file''s, if any]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand --field-manager 'The field manager the server records as owner of the fields the rollback changes'
            cand --dry-run 'none: roll back; server: what the server would store, nothing persisted; client: the object that would be sent'
            cand -o 'Print the object instead of one line'
            cand --output 'Print the object instead of one line'
            cand --timeout 'How long --wait waits, e.g. 90s, 5m'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --wait 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-immutable;drift'= {
            cand --kubeconfig 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]'
            cand --context 'The kubeconfig context to use [default: the current context]'
            cand -n 'The namespace of objects that name none [default: the context''s, else default]'
            cand --namespace 'The namespace of objects that name none [default: the context''s, else default]'
            cand --request-timeout 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don''t timeout requests'
            cand --lock 'Record reference -> digest in this lock file (sorted JSON)'
            cand --platform 'Pin this platform''s manifest instead of the multi-platform index: os/arch[/variant]'
            cand --registry-mirror 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable'
            cand --insecure-registry 'Allow plain HTTP or an unverified certificate for this registry host, and a registry''s credentials in plain HTTP to a token service on it (one on the insecure registry''s own host needs no naming). Repeatable'
            cand --concurrency 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer'
            cand --registry-timeout 'Seconds each registry request may take before it is retried; also the longest wait a registry''s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -A 'Every namespace'
            cand --all-namespaces 'Every namespace'
            cand --offline 'Resolve only from the lock file; no network. With a signature policy, the signature each digest''s record holds is verified again with the policy''s key'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-immutable;completion'= {
            cand -v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand --v 'Log to stderr what is sent and received, as kubectl''s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server''s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries'' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets'
            cand -q 'Print nothing on stderr but errors'
            cand --quiet 'Print nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-immutable;help'= {
            cand pin 'Resolve every image tag in a set of manifests to its registry digest'
            cand postrender 'Helm''s post-renderer: pin the manifests on stdin, the pinned stream on stdout'
            cand apply 'Pin, then server-side apply through the Kubernetes API: all or nothing'
            cand diff 'Show what changes between two releases, object by object and image by image'
            cand history 'List a workload''s rollout revisions with the image digests each ran'
            cand rollback 'Roll a workload back to a revision''s template, every image pinned to the digest it ran'
            cand drift 'Show containers whose running digest differs from what their template names'
            cand completion 'Print a shell completion script for kubectl-immutable'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-immutable;help;pin'= {
        }
        &'kubectl-immutable;help;postrender'= {
        }
        &'kubectl-immutable;help;apply'= {
        }
        &'kubectl-immutable;help;diff'= {
        }
        &'kubectl-immutable;help;history'= {
        }
        &'kubectl-immutable;help;rollback'= {
        }
        &'kubectl-immutable;help;drift'= {
        }
        &'kubectl-immutable;help;completion'= {
        }
        &'kubectl-immutable;help;help'= {
        }
    ]
    $completions[$command]
}
