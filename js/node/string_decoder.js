// node:string_decoder: bytes to text across chunk boundaries.
import { Buffer } from "ext:duroxide/node/buffer.js";
import { TextDecoder } from "ext:deno_web/08_text_encoding.js";

export class StringDecoder {
  constructor(encoding = "utf8") {
    this.encoding = String(encoding).toLowerCase().replace("-", "");
    this.decoder = this.encoding === "utf8" ? new TextDecoder("utf-8") : null;
  }
  write(bytes) {
    if (typeof bytes === "string") return bytes;
    if (this.decoder) return this.decoder.decode(bytes, { stream: true });
    return Buffer.from(bytes).toString(this.encoding);
  }
  end(bytes) {
    const text = bytes ? this.write(bytes) : "";
    return this.decoder ? text + this.decoder.decode() : text;
  }
}

export default { StringDecoder };
