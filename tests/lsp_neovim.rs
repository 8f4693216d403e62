//! `editors/neovim/kiln.lua` in a real Neovim (headless, its built-in client; 0.7 and
//! later): the server attaches to a `.kiln` buffer, an edit brings the same diagnostics
//! as `kiln check`, and `:KilnPreview` opens the YAML. Skipped (with a line saying so)
//! where `nvim` is not installed; the protocol itself is checked by tests/lsp_client.rs.

use std::path::Path;
use std::process::Command;

#[test]
fn neovim_snippet() {
    if Command::new("nvim").arg("--version").output().is_err() {
        eprintln!("skipped: nvim is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.kiln");
    std::fs::copy(root.join("examples/csis/app.kiln"), &file).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_kiln")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            root.join("editors/neovim/smoke.lua").display()
        ))
        .env("PATH", path)
        .env("KILN_LUA", root.join("editors/neovim/kiln.lua"))
        .env("KILN_FILE", &file)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    // Headless Neovim prints `print()` output on stderr.
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.contains("attached=true filetype=kiln"), "{log}");
    assert!(
        log.contains("diagnostic=K0101 `app` has no field `imag`"),
        "{log}"
    );
    assert!(log.contains("preview=yaml kind: Namespace"), "{log}");
}
