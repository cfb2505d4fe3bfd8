import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { fromZod } from "./errors.ts";

/** Every route's validation failure becomes the API's error body, naming the bad field. */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes of every shape
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw fromZod(result.error as never);
};

/** A PNG response for content that depends only on its URL (pinned: immutable). */
export function pngResponse(png: Uint8Array, pinned: boolean): Response {
  return new Response(png as Uint8Array<ArrayBuffer>, {
    headers: { "Content-Type": "image/png", "Cache-Control": pinned ? "public, max-age=31536000, immutable" : "public, max-age=60, must-revalidate" },
  });
}
