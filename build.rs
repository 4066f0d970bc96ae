//! Links the server with packed relative relocations (`-z pack-relative-relocs`, DT_RELR): a
//! position-independent binary otherwise carries 3.5 MiB of relocation entries that the loader
//! reads, and keeps resident, on every start. glibc 2.36 (Debian 12) and binutils 2.38 read and
//! write them. The option is added only for a native build whose linker accepts it and whose C
//! library runs the result; such a binary then needs glibc 2.36 or later where it runs. Set
//! `SAFELOOP_PLAIN_RELOCATIONS=1` when building for an older system.

use std::process::Command;

fn main() {
    for variable in ["CC", "RUSTC_LINKER", "SAFELOOP_PLAIN_RELOCATIONS"] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let native = std::env::var("HOST").is_ok_and(|host| host == target);
    let linker_variable = format!(
        "CARGO_TARGET_{}_LINKER",
        target.to_uppercase().replace('-', "_")
    );
    println!("cargo:rerun-if-env-changed={linker_variable}");
    let glibc_linux = target.contains("linux") && target.contains("gnu");
    if !(native && glibc_linux) || std::env::var_os("SAFELOOP_PLAIN_RELOCATIONS").is_some() {
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
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
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
