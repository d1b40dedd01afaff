//! `exercise`: the backlings runner. Everything lives in the library; see `backlings::main`.

fn main() -> std::process::ExitCode {
    backlings::main().into()
}
