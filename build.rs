//! Two link options that keep an idle server small, added only where the linker takes them.
//!
//! Packed relative relocations (`-z pack-relative-relocs`, DT_RELR): a position-independent
//! binary otherwise carries 3.5 MiB of relocation entries that the loader reads, and keeps
//! resident, on every start. glibc 2.36 (Debian 12) and binutils 2.38 read and write them. The
//! option is added only for a native build whose linker accepts it and whose C library runs the
//! result; such a binary then needs glibc 2.36 or later where it runs. Set
//! `SAFELOOP_PLAIN_RELOCATIONS=1` when building for an older system.
//!
//! The text order (`assets/text-order.txt`, written by `scripts/record-text-order`): the
//! functions a server runs to start, stay idle and answer the common requests, laid out together
//! at the front of the code. The kernel maps code in runs of pages around each one first touched,
//! so functions scattered over the whole binary keep most of it resident (the README's
//! performance section has the figures). Only a release build whose linker takes
//! `--symbol-ordering-file` (LLD, which rustc uses on x86-64 Linux) gets it. A name the binary no
//! longer has (another rustc, a function renamed) is passed over: the binary is as it would be
//! without the list. The list is copied into `OUT_DIR`, which cargo keeps with the build, so a
//! build never reads another checkout's copy.

use std::path::PathBuf;
use std::process::Command;

/// Relative to the package.
const TEXT_ORDER: &str = "assets/text-order.txt";

fn main() {
    for variable in ["CC", "RUSTC_LINKER", "SAFELOOP_PLAIN_RELOCATIONS"] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={TEXT_ORDER}");
    let target = std::env::var("TARGET").unwrap_or_default();
    let native = std::env::var("HOST").is_ok_and(|host| host == target);
    let linker_variable = format!(
        "CARGO_TARGET_{}_LINKER",
        target.to_uppercase().replace('-', "_")
    );
    println!("cargo:rerun-if-env-changed={linker_variable}");
    let glibc_linux = target.contains("linux") && target.contains("gnu");
    if !(native && glibc_linux) {
        return;
    }
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    if release && let Some(text_order) = text_order_the_linker_takes() {
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={text_order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    if std::env::var_os("SAFELOOP_PLAIN_RELOCATIONS").is_some() {
        return;
    }
    // The program rustc links with: a configured linker, else the C compiler (`cc`).
    let linker = std::env::var(&linker_variable)
        .or_else(|_| std::env::var("RUSTC_LINKER"))
        .or_else(|_| std::env::var("CC"))
        .unwrap_or_else(|_| "cc".to_owned());
    if links_and_runs_packed(&linker) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether `linker` (a program and its arguments, as `CC` may hold them) links a program with
/// the option, and the program runs: a linker writes a version requirement on the C library
/// for the format, which an older glibc refuses to load.
fn links_and_runs_packed(linker: &str) -> bool {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = out.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let mut words = linker.split_whitespace();
    let Some(program) = words.next() else {
        return false;
    };
    let probe = out.join("relr_probe");
    let linked = Command::new(program)
        .args(words)
        .args(["-fPIE", "-pie", "-Wl,-z,pack-relative-relocs", "-o"])
        .arg(&probe)
        .arg(&source)
        .output()
        .is_ok_and(|o| o.status.success());
    linked && Command::new(&probe).status().is_ok_and(|s| s.success())
}

/// The text order copied into `OUT_DIR`, when rustc, as cargo runs it for this build (its
/// linker, the configured flags), links a program given it: GNU ld does not know the option.
fn text_order_the_linker_takes() -> Option<String> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    let text_order = out.join("text-order.txt");
    std::fs::copy(manifest.join(TEXT_ORDER), &text_order).ok()?;
    let text_order = text_order.to_str()?.to_owned();
    let source = out.join("order_probe.rs");
    std::fs::write(&source, "fn main() {}\n").ok()?;
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let mut probe = Command::new(rustc);
    probe.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    if let Ok(target) = std::env::var("TARGET") {
        probe.args(["--target", &target]);
    }
    // A linker configured for the target reaches rustc as `-C linker`, not in the flags.
    if let Ok(linker) = std::env::var("RUSTC_LINKER") {
        probe.arg(format!("-Clinker={linker}"));
    }
    probe
        .args(["--crate-type", "bin", "-C"])
        .arg(format!("link-arg=-Wl,--symbol-ordering-file={text_order}"))
        .args(["-C", "link-arg=-Wl,--no-warn-symbol-ordering", "-o"])
        .arg(out.join("order_probe"))
        .arg(&source);
    let linked = probe.output().is_ok_and(|o| o.status.success());
    linked.then_some(text_order)
}
