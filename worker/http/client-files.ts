import { sha256Hex } from "../../shared/weights/content-id.ts";

/**
 * The files of the browser client that pages load (dist/client/, by `npm run build:client`): the
 * two bundles and the SIMD binary the client fetches from beside its bundle (client/backend.ts).
 * The hot-link folders and the npm package hold exactly these.
 */
export const CLIENT_FILES = ["linkgan-client.js", "linkgan-editor.js", "tfjs-backend-wasm-simd.wasm"] as const;

/**
 * The file in dist/client/ that names the build's immutable hot-link folder (a `ClientIndex`). The
 * worker's demo page reads it through the ASSETS binding, and anyone can GET it to find the URL to
 * pin; it is revalidated, since every deploy that changes the client changes it.
 */
export const CLIENT_INDEX = "client.json";

/** What `CLIENT_INDEX` holds. */
export interface ClientIndex {
  /** The project's version (package.json), which the npm package of the same bytes carries. */
  version: string;
  /** The immutable folder's path, e.g. `/v0.1.0-1a2b3c4d/` (see `pinnedFolder`). */
  path: string;
}

/**
 * The name of a build's immutable hot-link folder: `v<version>-<hash>`, where hash is the first 8
 * hex digits of a SHA-256 over every client file's name and bytes. The version alone cannot be
 * served as immutable (client/ changes between releases without a version bump); with the hash in
 * the path, a URL can only ever name the bytes it was derived from: a build with other bytes gets
 * another folder, and a deploy without the old one answers 404 there, never different bytes.
 *
 * @example
 * await pinnedFolder("0.1.0", [{ name: "linkgan-client.js", bytes }, …]); // "v0.1.0-1a2b3c4d"
 */
export async function pinnedFolder(version: string, files: readonly { name: string; bytes: Uint8Array }[]): Promise<string> {
  // Each file's own hash, named: moving bytes from one file to another changes the folder too.
  const lines = await Promise.all(files.map(async (f) => `${f.name}\0${await sha256Hex(f.bytes)}\n`));
  return `v${version}-${(await sha256Hex(lines.join(""))).slice(0, 8)}`;
}
