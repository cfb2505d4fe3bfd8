/**
 * How a latent travels in a URL: its float32 values, little-endian, as base64url without padding.
 * The API's GET form, the worker's `/latent` answer and the browser client all use these two.
 *
 * @example
 * const q = latentToParam(latentFromSeed(7, 256)); // "…" (1366 chars)
 * latentFromParam(q); // the same Float32Array
 */
export function latentToParam(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, x] of v.entries()) view.setFloat32(i * 4, x, true);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The inverse of `latentToParam`. Throws on text that is not base64(url) or not whole float32s; values are not checked. */
export function latentFromParam(s: string): Float32Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  if (bin.length === 0 || bin.length % 4 !== 0) throw new RangeError(`${bin.length} bytes is not a whole number of float32 values`);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  return Float32Array.from({ length: bin.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
