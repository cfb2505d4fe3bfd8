import { z } from "zod";

/**
 * Webhook signatures, after the Stripe scheme but binding the delivery id: the header
 * `LinkGAN-Signature: t=<unix seconds>,v2=<hex>` carries HMAC-SHA256(secret, `${t}.${deliveryId}.${rawBody}`),
 * where `deliveryId` is the `LinkGAN-Delivery` header. The job id derives from the delivery id, so a
 * signed body re-sent under another delivery id would make a second job; binding the id into the
 * signature makes that a 401. (The concatenation is unambiguous: neither `t` nor a delivery id may
 * contain a ".", so the first two dots end them.) Several `v2` values and
 * several active secrets allow rotation. `v1` signatures (over `${t}.${rawBody}`, before the
 * delivery id was bound) are refused with a reason saying so. Verification uses WebCrypto's
 * `verify`, which compares in constant time, and runs before the body is parsed.
 */

export const SIGNATURE_HEADER = "LinkGAN-Signature";
export const DELIVERY_HEADER = "LinkGAN-Delivery";
/** Largest accepted |now − t|. */
export const TOLERANCE_SECONDS = 300;

/** A delivery id: the sender's name for one delivery (retries of it reuse it); no ".", which separates the signed parts. */
export const DeliveryId = z.string({ error: "required: the sender's id of this delivery" }).regex(/^[A-Za-z0-9_:-]{1,128}$/, "must be 1–128 chars of A-Z, a-z, 0-9, _ : - (no dots)");

const enc = new TextEncoder();
const key = (secret: string) => crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
/** The bytes a signature covers. */
const signedContent = (t: number, deliveryId: string, body: string) => enc.encode(`${t}.${deliveryId}.${body}`);

/**
 * The header value for delivery `deliveryId` of `body`, signed with `secret` at `t` (seconds).
 *
 * @example
 * const headers = { "LinkGAN-Delivery": id, "LinkGAN-Signature": await sign(id, body, secret) };
 * fetch(url, { method: "POST", body, headers });
 */
export async function sign(deliveryId: string, body: string, secret: string, t = Math.floor(Date.now() / 1000)): Promise<string> {
  return `t=${t},v2=${hex(await crypto.subtle.sign("HMAC", await key(secret), signedContent(t, deliveryId, body)))}`;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Whether `header` signs delivery `deliveryId` of `body` with one of `secrets` within the tolerance of `nowSeconds`. */
export async function verify(deliveryId: string, body: string, header: string | undefined, secrets: string[], nowSeconds = Math.floor(Date.now() / 1000)): Promise<Verdict> {
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  if (!DeliveryId.safeParse(deliveryId).success) return { ok: false, reason: `${DELIVERY_HEADER}: not a delivery id (1–128 chars of A-Z, a-z, 0-9, _ : -)` };
  let t: number | undefined;
  let legacy = false;
  const sigs: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d{1,12}$/.test(v)) t = Number(v);
    if (k === "v1") legacy = true;
    if (k === "v2" && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(Uint8Array.from(v.match(/../g)!.map((h) => Number.parseInt(h, 16))));
  }
  if (t !== undefined && sigs.length === 0 && legacy) {
    return { ok: false, reason: `v1 signatures (over t.body) are no longer accepted: sign \`t.<${DELIVERY_HEADER}>.body\` and send it as v2=<hex>` };
  }
  if (t === undefined || sigs.length === 0) return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header (expected t=<seconds>,v2=<hex>)` };
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return { ok: false, reason: `signature timestamp is ${nowSeconds - t > 0 ? "stale" : "in the future"} (tolerance ${TOLERANCE_SECONDS} s)` };
  if (secrets.length === 0) return { ok: false, reason: "no webhook secret is configured" };
  const content = signedContent(t, deliveryId, body);
  for (const secret of secrets) {
    const k = await key(secret);
    for (const s of sigs) if (await crypto.subtle.verify("HMAC", k, s, content)) return { ok: true };
  }
  return { ok: false, reason: `signature does not match (it must cover t.<${DELIVERY_HEADER}>.body)` };
}
