//! Randomness for `crypto.getRandomValues` and `crypto.randomUUID` (crypto.js).

use deno_core::op2;
use deno_error::JsErrorBox;

deno_core::extension!(
    duroxide_crypto,
    ops = [op_random_bytes],
    esm = ["ext:duroxide/crypto.js" = "runtime_ext/crypto.js"],
);

#[op2]
#[buffer]
fn op_random_bytes(#[smi] length: u32) -> Result<Vec<u8>, JsErrorBox> {
    let mut bytes = vec![0u8; length as usize];
    getrandom::fill(&mut bytes).map_err(|e| super::err(format!("no randomness available: {e}")))?;
    Ok(bytes)
}
