//! Links the server with packed relative relocations (`-z pack-relative-relocs`, DT_RELR): a
//! position-independent binary otherwise carries 3.5 MiB of relocation entries that the loader
//! reads, and keeps resident, on every start. glibc 2.36 (Debian 12) and binutils 2.38 read and
//! write them; where the linker does not know the option the binary is linked as before.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !(target.contains("linux") && target.contains("gnu")) {
        return;
    }
    if linker_packs_relocations() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the C compiler links a program with the option, and the C library then knows
/// the relocation format (a linker writes a version requirement for it).
fn linker_packs_relocations() -> bool {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = out.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let program = out.join("relr_probe");
    let linked = Command::new(compiler)
        .args(["-fPIE", "-pie", "-Wl,-z,pack-relative-relocs", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .is_ok_and(|o| o.status.success());
    linked && Command::new(&program).status().is_ok_and(|s| s.success())
}
