# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_immutable_global_optspecs
    string join \n q/quiet v/v= h/help V/version
end

function __fish_kubectl_immutable_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_immutable_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_immutable_using_subcommand
    set -l cmd (__fish_kubectl_immutable_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "pin" -d 'Resolve every image tag in a set of manifests to its registry digest'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "postrender" -d 'Helm\'s post-renderer: pin the manifests on stdin, the pinned stream on stdout'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "apply" -d 'Pin, then server-side apply through the Kubernetes API: all or nothing'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "diff" -d 'Show what changes between two releases, object by object and image by image'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "history" -d 'List a workload\'s rollout revisions with the image digests each ran'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "rollback" -d 'Roll a workload back to a revision\'s template, every image pinned to the digest it ran'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "drift" -d 'Show containers whose running digest differs from what their template names'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "completion" -d 'Print a shell completion script for kubectl-immutable'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s f -l filename -d 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l image-path -d 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l config -d 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l lock -d 'Record reference -> digest in this lock file (sorted JSON)' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l platform -d 'Pin this platform\'s manifest instead of the multi-platform index: os/arch[/variant]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l signature-policy -d 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file\'s, if any]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l kind -d 'What every -f source is, whatever its name says (for stdin or odd names) [default: by name: Dockerfile, *.Dockerfile, Dockerfile.*, Containerfile; compose.yaml, docker-compose*.yml, compose.*.yml; else Kubernetes manifests]. A Compose file\'s `extends: {file: …}` is read only where it is a regular file (links followed) inside the current directory, or the directory named by -f (a file named alone: its own), as kustomize keeps to its root' -r -f -a "kubernetes\t''
dockerfile\t''
compose\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l report -d 'Write the list of images (file, line, original, pinned, digest, platform)' -r -f -a "json\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l report-file -d 'Where --report goes [default: stderr]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l format -d 'How --check and --verify report what they find: text, GitHub workflow commands (annotations), a GitLab Code Quality report, or SARIF 2.1.0 (code scanning); on stdout' -r -f -a "text\t''
github\t''
gitlab\t''
sarif\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s R -l recursive -d 'Read directories recursively'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l follow-links-outside -d 'Follow a directory\'s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l offline -d 'Resolve only from the lock file; no network. With a signature policy, the signature each digest\'s record holds is verified again with the policy\'s key'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s i -l in-place -d 'Rewrite the files instead of printing them; a file that does not change is not touched'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l digest-only -d 'Write name@sha256:... instead of name:tag@sha256:....'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l pin-syntax -d 'Pin a Dockerfile\'s `# syntax=` frontend image too'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l check -d 'No network, nothing written: list every image without a digest; exit 1 if there is one. With a signature policy and --lock, also every digest written that the lock\'s signature records, verified again with the policy\'s keys, do not vouch for'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l verify -d 'Check that every digest already written exists, and that a tag@digest\'s tag still points at it'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -l refresh -d 'Resolve every tag@digest again and, where the tag now points elsewhere, rewrite only its digest (name@digest is never touched); unpinned tags are pinned as usual'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand pin" -s h -l help -d 'Print help'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l lock -d 'Record reference -> digest in this lock file (sorted JSON)' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l platform -d 'Pin this platform\'s manifest instead of the multi-platform index: os/arch[/variant]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l signature-policy -d 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file\'s, if any]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l image-path -d 'Where custom resources keep images, as KIND:dotted.path. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l config -d 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l offline -d 'Resolve only from the lock file; no network. With a signature policy, the signature each digest\'s record holds is verified again with the policy\'s key'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -l digest-only -d 'Write name@sha256:... instead of name:tag@sha256:....'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand postrender" -s h -l help -d 'Print help'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s f -l filename -d 'Manifests: a file, a directory (*.yaml, *.yml, *.json), or - for stdin. Repeatable; -f takes every path up to the next flag (-f a.yaml b.yaml), as pre-commit passes them' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l image-path -d 'Where custom resources keep images, as KIND:dotted.path ([] walks a list), e.g. Rollout:spec.template.spec.containers[].image. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l config -d 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l lock -d 'Record reference -> digest in this lock file (sorted JSON)' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l platform -d 'Pin this platform\'s manifest instead of the multi-platform index: os/arch[/variant]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l signature-policy -d 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file\'s, if any]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l kubeconfig -d 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l context -d 'The kubeconfig context to use [default: the current context]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s n -l namespace -d 'The namespace of objects that name none [default: the context\'s, else default]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l request-timeout -d 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l field-manager -d 'The field manager the server records as owner of the applied fields' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l dry-run -d 'none: apply; server: what the server would store, nothing persisted; client: pin only' -r -f -a "none\t''
server\t''
client\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l allow-unpinned -d 'Apply even though this image cannot be pinned (as written, or its name). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s o -l output -d 'Print the objects instead of one line each' -r -f -a "name\t''
yaml\t''
json\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l timeout -d 'How long --wait waits, e.g. 90s, 5m' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s R -l recursive -d 'Read directories recursively'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l follow-links-outside -d 'Follow a directory\'s symbolic links that lead out of it. Without it such a link is an error (exit 2, nothing read, printed or written), so a link added in a pull request cannot have the tool print or rewrite a file elsewhere (~/.docker/config.json)'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l offline -d 'Resolve only from the lock file; no network. With a signature policy, the signature each digest\'s record holds is verified again with the policy\'s key'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l force-conflicts -d 'Take over fields another field manager owns'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -l wait -d 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s f -l filename -d 'Manifests to compare with the live cluster: a file, a directory, or - for stdin. Repeatable' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l revision -d 'With TYPE/NAME: a rollout revision to compare; once, against the current revision; twice, old then new [default: the previous against the current]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l kubeconfig -d 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l context -d 'The kubeconfig context to use [default: the current context]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s n -l namespace -d 'The namespace of objects that name none [default: the context\'s, else default]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l request-timeout -d 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l image-path -d 'Where custom resources keep images, as KIND:dotted.path. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l config -d 'Config file [default: .kubectl-immutable.yaml in the working directory, if present]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l ignore -d 'Fields not to compare, in Argo CD\'s ignoreDifferences shape: entries of group, kind, name, namespace, jsonPointers and jqPathExpressions, removed from both sides first' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l ignore-timeout -d 'How long one of --ignore\'s jqPathExpressions may run on one object (Argo CD\'s default); longer is an error. Each also sees an empty environment and at most 1 GiB of memory' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s o -l output -d 'Output format: markdown is for a pull-request comment (cut between objects, with a note, past GitHub\'s 65,536 characters)' -r -f -a "text\t''
json\t''
markdown\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l color -d 'Colour the text output: auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l field-manager -d 'With -f: the field manager of the server-side dry runs, as `apply` writes with' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l allow-unpinned -d 'With -f: compare even though this image cannot be pinned (as written, or its name). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l lock -d 'Record reference -> digest in this lock file (sorted JSON)' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l platform -d 'Pin this platform\'s manifest instead of the multi-platform index: os/arch[/variant]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l signature-policy -d 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file\'s, if any]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s R -l recursive -d 'Read directories recursively'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l follow-links-outside -d 'Follow a directory\'s symbolic links that lead out of it (an error without it)'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l no-pin -d 'With -f: compare the manifests as written, not pinned as `apply` would send them'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -l offline -d 'Resolve only from the lock file; no network. With a signature policy, the signature each digest\'s record holds is verified again with the policy\'s key'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -l kubeconfig -d 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -l context -d 'The kubeconfig context to use [default: the current context]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -s n -l namespace -d 'The namespace of objects that name none [default: the context\'s, else default]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -l request-timeout -d 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l to-revision -d 'The revision to roll back to [default: the one before the current one]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l allow-unpinned -d 'Roll back even though no digest is known for this image (as written, or its name): it stays a tag. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l kubeconfig -d 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l context -d 'The kubeconfig context to use [default: the current context]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -s n -l namespace -d 'The namespace of objects that name none [default: the context\'s, else default]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l request-timeout -d 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l signature-policy -d 'Write or send only digests this cosign signature policy accepts, those written by hand too (the `signaturePolicy:` mapping of the config file, as the whole file) [default: the config file\'s, if any]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l field-manager -d 'The field manager the server records as owner of the fields the rollback changes' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l dry-run -d 'none: roll back; server: what the server would store, nothing persisted; client: the object that would be sent' -r -f -a "none\t''
server\t''
client\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -s o -l output -d 'Print the object instead of one line' -r -f -a "name\t''
yaml\t''
json\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l timeout -d 'How long --wait waits, e.g. 90s, 5m' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -l wait -d 'Wait for Deployments, StatefulSets and DaemonSets to finish their rollout, as `kubectl rollout status` judges it'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l kubeconfig -d 'Path to the kubeconfig file [default: KUBECONFIG, else ~/.kube/config]' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l context -d 'The kubeconfig context to use [default: the current context]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s n -l namespace -d 'The namespace of objects that name none [default: the context\'s, else default]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l request-timeout -d 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l lock -d 'Record reference -> digest in this lock file (sorted JSON)' -r -F
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l platform -d 'Pin this platform\'s manifest instead of the multi-platform index: os/arch[/variant]' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l registry-mirror -d 'Resolve names under SOURCE at TARGET, writing the original name, e.g. docker.io=127.0.0.1:5000/docker.io. Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l insecure-registry -d 'Allow plain HTTP or an unverified certificate for this registry host, and a registry\'s credentials in plain HTTP to a token service on it (one on the insecure registry\'s own host needs no naming). Repeatable' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l concurrency -d 'Requests in flight at once to each registry that speaks HTTP/1.1, each on its own connection. A registry that answers in HTTP/2 gets every request at once on one connection, as many as it lets run together. The default keeps a run to 64 connections to a registry (a browser opens 6 a host) while 200 references still take only 4 waves after the first answer' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l registry-timeout -d 'Seconds each registry request may take before it is retried; also the longest wait a registry\'s Retry-After is honoured for (a longer one fails at once), and how long a credential helper may take to answer (then it is stopped)' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s o -l output -d 'Output format' -r -f -a "text\t''
json\t''"
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s A -l all-namespaces -d 'Every namespace'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -l offline -d 'Resolve only from the lock file; no network. With a signature policy, the signature each digest\'s record holds is verified again with the policy\'s key'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand drift" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand completion" -s v -l v -d 'Log to stderr what is sent and received, as kubectl\'s -v: 1-5 retries and why, insecure-registry probes, credentials found or not, the API server\'s refusals; 6 also every registry and API request with its status and time, and mirror routing; 7 request headers; 8 answer headers; 9 the libraries\' debug events. Credentials, tokens and cookies never show. RUST_LOG=target=level,... (e.g. oci_client=debug,hyper_util=debug) adds tracing targets' -r
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand completion" -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand completion" -s h -l help -d 'Print help'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "pin" -d 'Resolve every image tag in a set of manifests to its registry digest'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "postrender" -d 'Helm\'s post-renderer: pin the manifests on stdin, the pinned stream on stdout'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "apply" -d 'Pin, then server-side apply through the Kubernetes API: all or nothing'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "diff" -d 'Show what changes between two releases, object by object and image by image'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "history" -d 'List a workload\'s rollout revisions with the image digests each ran'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "rollback" -d 'Roll a workload back to a revision\'s template, every image pinned to the digest it ran'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "drift" -d 'Show containers whose running digest differs from what their template names'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "completion" -d 'Print a shell completion script for kubectl-immutable'
complete -c kubectl-immutable -n "__fish_kubectl_immutable_using_subcommand help; and not __fish_seen_subcommand_from pin postrender apply diff history rollback drift completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
