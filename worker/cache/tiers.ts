import type { Cache } from "@cloudflare/workers-types/index.ts";
import type { Context } from "hono";
import { sha256Hex } from "../../shared/weights/content-id.ts";
import type { AppEnv } from "../env.ts";
import { ByteLru } from "../../shared/lru.ts";

/** A rendered result: bytes and their media type. */
export interface Rendered {
  body: Uint8Array;
  type: string;
}

/** Bytes held per isolate across requests (well inside the 128 MB isolate limit; see README). */
export const MEMORY_TIER_BYTES = 16 * 1024 * 1024;
const memory = new ByteLru<Rendered>(MEMORY_TIER_BYTES, (r) => r.body.byteLength + 64);

/** Header naming the tier that answered: `hit; tier=memory`, `hit; tier=edge` or `miss`. */
export const CACHE_HEADER = "X-LinkGAN-Cache";

/** Origin of the synthetic URLs that key the Workers Cache API (never fetched). */
const CACHE_ORIGIN = "https://render-cache.linkgan.invalid";

const edgeCache = (): Cache => (caches as unknown as { default: Cache }).default;

/**
 * Answer from the cheapest tier that has `key` (memory, then the Workers Cache API), or render,
 * answer and fill both. `key` must be canonical: every request meaning the same image builds the
 * same key (see render/key.ts). `pinned` says whether the request named its model version, in which
 * case the response never changes and is cached as immutable; otherwise clients revalidate with
 * the ETag, which changes when the active version does.
 *
 * @example
 * return cached(c, "/v0123…/img/w=…", true, () => renderPng(…));
 */
export async function cached(c: { req: Context<AppEnv>["req"]; executionCtx: Context<AppEnv>["executionCtx"] }, key: string, pinned: boolean, render: () => Promise<Rendered>): Promise<Response> {
  const etag = `"${(await sha256Hex(key)).slice(0, 32)}"`;
  const headers = (tier: string, r: Rendered) => ({
    "Content-Type": r.type,
    ETag: etag,
    "Cache-Control": pinned ? "public, max-age=31536000, immutable" : "public, max-age=60, must-revalidate",
    [CACHE_HEADER]: tier,
  });
  const respond = (tier: string, r: Rendered) => {
    const inm = c.req.header("If-None-Match");
    if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      return new Response(null, { status: 304, headers: { ETag: etag, [CACHE_HEADER]: tier } });
    }
    return new Response(r.body as Uint8Array<ArrayBuffer>, { headers: headers(tier, r) });
  };

  const inMemory = memory.get(key);
  if (inMemory) return respond("hit; tier=memory", inMemory);

  const edgeKey = CACHE_ORIGIN + key;
  const fromEdge = await edgeCache().match(edgeKey);
  if (fromEdge) {
    const r = { body: new Uint8Array(await fromEdge.arrayBuffer()), type: fromEdge.headers.get("Content-Type") ?? "application/octet-stream" };
    memory.set(key, r);
    return respond("hit; tier=edge", r);
  }

  const r = await render();
  memory.set(key, r);
  const stored = new Response(r.body as Uint8Array<ArrayBuffer>, { headers: { "Content-Type": r.type, "Cache-Control": "public, max-age=31536000, immutable" } });
  c.executionCtx.waitUntil(edgeCache().put(edgeKey, stored as never));
  return respond("miss", r);
}

/** Bytes now held by the memory tier (reported by /healthz). */
export const memoryTierBytes = (): number => memory.bytes;

/** Forget the memory tier (a fresh isolate), so the next request exercises the edge tier. */
export const clearMemoryTier = (): void => {
  for (const k of memory.keys()) memory.delete(k);
};
