fn main() -> std::process::ExitCode {
    kubectl_immutable::run(std::env::args_os())
}
