// Stack traces as users should see them: their own frames (not the binary's
// `ext:` modules), plain paths. deno_core has already mapped frames in
// TypeScript files to the lines of the .ts source.

/** `error.stack` without the binary's frames, with plain paths. */
export function userStack(error) {
  const stack = typeof error?.stack === "string" ? error.stack : `${error?.name}: ${error?.message}`;
  return stack
    .split("\n")
    .filter((line) => !line.includes("ext:") && !line.includes("at Generator."))
    .join("\n")
    .replaceAll("file://", "");
}

/** The user's frames of `error`'s stack, each a line `    at ...`. */
export function userFrames(error) {
  return userStack(error)
    .split("\n")
    .filter((line) => /^\s+at /.test(line));
}
