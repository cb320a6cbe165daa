//! One file to ship: the binary needs nothing beyond the C library family at run time, carries no
//! symbol table, and says which engine parts it was built with.

use crate::support::{binary, command, run, run_cmd, OwnServer, Store};

/// What every glibc Linux has. libgcc_s stays: Rust's standard library unwinds through it.
const C_LIBRARY_FAMILY: &[&str] =
    &["linux-vdso.so", "libc.so", "libm.so", "libgcc_s.so", "ld-linux", "libpthread.so", "libdl.so", "librt.so"];

#[test]
fn the_binary_links_only_the_c_library_family() {
    let out = std::process::Command::new("ldd").arg(binary()).output().expect("ldd (Debian's libc-bin) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("libc.so"), "ldd failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    let foreign: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !C_LIBRARY_FAMILY.iter().any(|lib| line.split_whitespace().next().unwrap_or("").contains(lib)))
        .collect();
    assert!(foreign.is_empty(), "the binary needs more than the C library family: {foreign:?}\n{text}");
}

#[test]
fn the_binary_has_no_symbol_table() {
    let elf = std::fs::read(binary()).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let section_headers = u64::from_le_bytes(elf[0x28..0x30].try_into().unwrap()) as usize;
    let (entry_size, count) = (u16_at(0x3A), u16_at(0x3C));
    const SHT_SYMTAB: u32 = 2;
    let symbol_tables = (0..count).filter(|i| u32_at(section_headers + i * entry_size + 4) == SHT_SYMTAB).count();
    assert_eq!(symbol_tables, 0, "release builds are stripped (Cargo.toml: strip = true)");
}

#[test]
fn version_names_duroxide_deno_core_and_v8() {
    let v = run(&["--version"]);
    assert_eq!(v.code, 0);
    let line = v.stdout.trim_end();
    let expected_start = format!("duroxide {} (duroxide 0.1.32, deno_core 0.336.0, V8 13.0.", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected_start) && line.ends_with(')'), "{line}");
}

/// The statically linked OpenSSL does TLS to PostgreSQL: it verifies the server against a given root
/// certificate and against the system's trust store (found through SSL_CERT_FILE as on any machine), and
/// refuses a certificate it cannot verify.
#[test]
#[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
fn postgres_over_tls_with_the_static_openssl() {
    let port = crate::support::OWN_PORTS + 2;
    let (_server, store) = OwnServer::start_with(port, "tls", &[("DUROXIDE_PG_TLS", "1")]);
    let Store::Postgres { url, .. } = &store else { unreachable!() };
    let url = url.replace("127.0.0.1", "localhost");
    let certificate = format!("{}/data/server.crt", OwnServer::dir_of(port));
    let list = |store_url: String, trust_file: Option<&str>| {
        let mut cmd = command(&["list", "--store", &store_url]);
        cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
        if let Some(file) = trust_file {
            cmd.env("SSL_CERT_FILE", file);
        }
        run_cmd(cmd)
    };
    let given_root = list(format!("{url}?sslmode=verify-full&sslrootcert={certificate}"), None);
    assert_eq!((given_root.code, given_root.stdout.trim()), (0, "no instances"), "{}", given_root.stderr);
    let system_trust = list(format!("{url}?sslmode=verify-full"), Some(&certificate));
    assert_eq!((system_trust.code, system_trust.stdout.trim()), (0, "no instances"), "{}", system_trust.stderr);
    let unknown = list(format!("{url}?sslmode=verify-full"), None);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("certificate verify failed") && unknown.stderr.contains("self-signed certificate"),
        "{}",
        unknown.stderr
    );
}
