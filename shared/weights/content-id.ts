/** Canonical JSON (object keys sorted, recursively): equal content gives equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Lowercase hex SHA-256 (WebCrypto: the same in Node, workerd and browsers). */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The version id of a manifest: "v" + the first 16 hex digits of the SHA-256 of its canonical JSON
 * without the `version` field. Shard hashes are inside, so any change to weights, config, regions or
 * card gives a new version, and the same content always the same one.
 */
export async function versionOf(manifest: object): Promise<string> {
  const { version: _omit, ...rest } = manifest as Record<string, unknown>;
  return `v${(await sha256Hex(canonicalJson(rest))).slice(0, 16)}`;
}
