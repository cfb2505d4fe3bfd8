/**
 * Webhook signatures in the Stripe scheme: the header `LinkGAN-Signature: t=<unix seconds>,v1=<hex>`
 * carries HMAC-SHA256(secret, `${t}.${rawBody}`). Several `v1` values and several active secrets
 * allow rotation. Verification uses WebCrypto's `verify`, which compares in constant time, and runs
 * before the body is parsed.
 */

export const SIGNATURE_HEADER = "LinkGAN-Signature";
/** Largest accepted |now − t|. */
export const TOLERANCE_SECONDS = 300;

const enc = new TextEncoder();
const key = (secret: string) => crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The header value for `body` signed with `secret` at `t` (seconds).
 *
 * @example
 * fetch(url, { method: "POST", body, headers: { "LinkGAN-Signature": await sign(body, secret), "LinkGAN-Delivery": id } });
 */
export async function sign(body: string, secret: string, t = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${t},v1=${hex(await crypto.subtle.sign("HMAC", await key(secret), enc.encode(`${t}.${body}`)))}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Whether `header` signs `body` with one of `secrets` within the tolerance of `nowSeconds`. */
export async function verify(body: string, header: string | undefined, secrets: string[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  let t: number | undefined;
  const sigs: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d{1,12}$/.test(v)) t = Number(v);
    if (k === "v1" && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(Uint8Array.from(v.match(/../g)!.map((h) => Number.parseInt(h, 16))));
  }
  if (t === undefined || sigs.length === 0) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header (expected t=<seconds>,v1=<hex>)` };
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return { ok: false, reason: `signature timestamp is ${nowSeconds - t > 0 ? "stale" : "in the future"} (tolerance ${TOLERANCE_SECONDS} s)` };
  if (secrets.length === 0) return { ok: false, reason: "no webhook secret is configured" };
  const payload = enc.encode(`${t}.${body}`);
  for (const secret of secrets) {
    const k = await key(secret);
    for (const s of sigs) if (await crypto.subtle.verify("HMAC", k, s, payload)) return { ok: true };
  }
  return { ok: false, reason: "signature does not match" };
}
