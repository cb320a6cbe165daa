//! Node's builtin modules (js/node/, written over deno's extensions) and
//! what they need from Rust, through node_native.js: system facts for
//! `node:os`, synchronous hashes for `node:crypto` (`createHash`/`createHmac`;
//! WebCrypto's digest is async).

use std::borrow::Cow;
use std::cell::RefCell;

use deno_core::{op2, OpState, Resource, ResourceId};
use deno_error::JsErrorBox;
use hmac::{Hmac, Mac};
use sha2::Digest;

deno_core::extension!(
    duroxide_node,
    ops = [op_node_os_info, op_node_hash_new, op_node_hash_update, op_node_hash_digest],
    esm = [
        "ext:duroxide/node_native.js" = "runtime_ext/node_native.js",
        "ext:duroxide/node/assert.js" = "js/node/assert.js",
        "ext:duroxide/node/assert_strict.js" = "js/node/assert_strict.js",
        "ext:duroxide/node/buffer.js" = "js/node/buffer.js",
        "ext:duroxide/node/child_process.js" = "js/node/child_process.js",
        "ext:duroxide/node/crypto.js" = "js/node/crypto.js",
        "ext:duroxide/node/denied.js" = "js/node/denied.js",
        "ext:duroxide/node/events.js" = "js/node/events.js",
        "ext:duroxide/node/fs.js" = "js/node/fs.js",
        "ext:duroxide/node/fs_promises.js" = "js/node/fs_promises.js",
        "ext:duroxide/node/os.js" = "js/node/os.js",
        "ext:duroxide/node/path.js" = "js/node/path.js",
        "ext:duroxide/node/process.js" = "js/node/process.js",
        "ext:duroxide/node/querystring.js" = "js/node/querystring.js",
        "ext:duroxide/node/stream.js" = "js/node/stream.js",
        "ext:duroxide/node/stream_promises.js" = "js/node/stream_promises.js",
        "ext:duroxide/node/string_decoder.js" = "js/node/string_decoder.js",
        "ext:duroxide/node/timers.js" = "js/node/timers.js",
        "ext:duroxide/node/timers_promises.js" = "js/node/timers_promises.js",
        "ext:duroxide/node/url.js" = "js/node/url.js",
        "ext:duroxide/node/util.js" = "js/node/util.js",
        "ext:duroxide/node/util_types.js" = "js/node/util_types.js",
        "ext:duroxide/test.js" = "js/test.js",
        "ext:duroxide/testing.js" = "js/testing.js",
    ],
);

/// hostname, cpus, memory, uptime, load, kernel release, machine, the user.
#[op2]
#[serde]
fn op_node_os_info() -> serde_json::Value {
    // SAFETY: plain libc queries into buffers and structs owned here.
    unsafe {
        let mut host = [0u8; 256];
        let hostname = if libc::gethostname(host.as_mut_ptr().cast(), host.len()) == 0 {
            let end = host.iter().position(|b| *b == 0).unwrap_or(host.len());
            String::from_utf8_lossy(&host[..end]).into_owned()
        } else {
            String::new()
        };
        let mut info: libc::sysinfo = std::mem::zeroed();
        let have_info = libc::sysinfo(&mut info) == 0;
        let unit = if have_info { info.mem_unit.max(1) as u64 } else { 1 };
        let mut names: libc::utsname = std::mem::zeroed();
        let have_names = libc::uname(&mut names) == 0;
        let field = |raw: &[libc::c_char]| -> String {
            let bytes: Vec<u8> = raw.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let mut load = [0f64; 3];
        let have_load = libc::getloadavg(load.as_mut_ptr(), 3) == 3;
        let uid = libc::getuid();
        let gid = libc::getgid();
        let (username, homedir, shell) = user_entry(uid);
        serde_json::json!({
            "hostname": hostname,
            "cpus": libc::sysconf(libc::_SC_NPROCESSORS_ONLN).max(1),
            "totalmem": if have_info { info.totalram as u64 * unit } else { 0 },
            "freemem": if have_info { info.freeram as u64 * unit } else { 0 },
            "uptime": if have_info { info.uptime } else { 0 },
            "loadavg": if have_load { load.to_vec() } else { vec![0.0, 0.0, 0.0] },
            "release": if have_names { field(&names.release) } else { String::new() },
            "version": if have_names { field(&names.version) } else { String::new() },
            "machine": if have_names { field(&names.machine) } else { String::new() },
            "uid": uid,
            "gid": gid,
            "username": username,
            "homedir": std::env::var("HOME").ok().filter(|h| !h.is_empty()).unwrap_or(homedir),
            "shell": shell,
        })
    }
}

/// (name, home, shell) of a user from the password database.
fn user_entry(uid: libc::uid_t) -> (String, String, String) {
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    let mut buffer = vec![0 as libc::c_char; 4096];
    // SAFETY: getpwuid_r writes into `entry` and `buffer`, both live for the call.
    let rc = unsafe { libc::getpwuid_r(uid, &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found) };
    if rc != 0 || found.is_null() {
        return (String::new(), String::new(), String::new());
    }
    // SAFETY: on success the fields point into `buffer` as C strings.
    let text = |p: *const libc::c_char| unsafe {
        if p.is_null() { String::new() } else { std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned() }
    };
    (text(entry.pw_name), text(entry.pw_dir), text(entry.pw_shell))
}

/// A hash or HMAC being fed, as a resource.
struct HashResource(RefCell<Option<Box<dyn Hasher>>>);

impl Resource for HashResource {
    fn name(&self) -> Cow<'_, str> {
        "nodeHash".into()
    }
}

trait Hasher {
    fn update(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
}

struct Plain<D>(D);

impl<D: Digest> Hasher for Plain<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

struct Keyed<M>(M);

impl<M: Mac> Hasher for Keyed<M> {
    fn update(&mut self, data: &[u8]) {
        Mac::update(&mut self.0, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().into_bytes().to_vec()
    }
}

fn hasher(algorithm: &str, key: Option<&[u8]>) -> Result<Box<dyn Hasher>, JsErrorBox> {
    let keyed = |e: hmac::digest::InvalidLength| JsErrorBox::type_error(format!("invalid HMAC key: {e}"));
    Ok(match (algorithm.to_ascii_lowercase().as_str(), key) {
        ("md5", None) => Box::new(Plain(md5::Md5::new())),
        ("sha1", None) => Box::new(Plain(sha1::Sha1::new())),
        ("sha224", None) => Box::new(Plain(sha2::Sha224::new())),
        ("sha256", None) => Box::new(Plain(sha2::Sha256::new())),
        ("sha384", None) => Box::new(Plain(sha2::Sha384::new())),
        ("sha512", None) => Box::new(Plain(sha2::Sha512::new())),
        ("md5", Some(k)) => Box::new(Keyed(Hmac::<md5::Md5>::new_from_slice(k).map_err(keyed)?)),
        ("sha1", Some(k)) => Box::new(Keyed(Hmac::<sha1::Sha1>::new_from_slice(k).map_err(keyed)?)),
        ("sha224", Some(k)) => Box::new(Keyed(Hmac::<sha2::Sha224>::new_from_slice(k).map_err(keyed)?)),
        ("sha256", Some(k)) => Box::new(Keyed(Hmac::<sha2::Sha256>::new_from_slice(k).map_err(keyed)?)),
        ("sha384", Some(k)) => Box::new(Keyed(Hmac::<sha2::Sha384>::new_from_slice(k).map_err(keyed)?)),
        ("sha512", Some(k)) => Box::new(Keyed(Hmac::<sha2::Sha512>::new_from_slice(k).map_err(keyed)?)),
        (other, _) => {
            return Err(JsErrorBox::new(
                "Error",
                format!("Digest method not supported: {other} (duroxide has md5, sha1, sha224, sha256, sha384, sha512)"),
            ))
        }
    })
}

#[op2]
#[smi]
fn op_node_hash_new(state: &mut OpState, #[string] algorithm: &str, #[buffer] key: Option<&[u8]>) -> Result<ResourceId, JsErrorBox> {
    let hasher = hasher(algorithm, key)?;
    Ok(state.resource_table.add(HashResource(RefCell::new(Some(hasher)))))
}

fn digest_state(state: &OpState, rid: ResourceId) -> Result<std::rc::Rc<HashResource>, JsErrorBox> {
    state.resource_table.get::<HashResource>(rid).map_err(|_| JsErrorBox::generic("Digest already called"))
}

#[op2(fast)]
fn op_node_hash_update(state: &mut OpState, #[smi] rid: ResourceId, #[buffer] data: &[u8]) -> Result<(), JsErrorBox> {
    let resource = digest_state(state, rid)?;
    let mut hasher = resource.0.borrow_mut();
    hasher.as_mut().ok_or_else(|| JsErrorBox::generic("Digest already called"))?.update(data);
    Ok(())
}

#[op2]
#[buffer]
fn op_node_hash_digest(state: &mut OpState, #[smi] rid: ResourceId) -> Result<Vec<u8>, JsErrorBox> {
    let resource = digest_state(state, rid)?;
    let hasher = resource.0.borrow_mut().take().ok_or_else(|| JsErrorBox::generic("Digest already called"))?;
    let _ = state.resource_table.take::<HashResource>(rid);
    Ok(hasher.finish())
}
