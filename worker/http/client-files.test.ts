/**
 * The immutable hot-link folder's name is derived from the client's bytes: the same build gives the
 * same folder, and any other bytes another one (worker/http/security.test.ts checks what the built
 * assets serve under it).
 */
import { describe, expect, it } from "vitest";
import { pinnedFolder } from "./client-files.ts";

const files = () => [
  { name: "linkgan-client.js", bytes: new TextEncoder().encode("export const client = 1;") },
  { name: "linkgan-editor.js", bytes: new TextEncoder().encode("export const editor = 1;") },
  { name: "tfjs-backend-wasm-simd.wasm", bytes: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) },
];

describe("pinnedFolder", () => {
  it("is v<version>-<8 hex digits>, the same for the same bytes", async () => {
    const a = await pinnedFolder("0.1.0", files());
    expect(a).toMatch(/^v0\.1\.0-[0-9a-f]{8}$/);
    expect(await pinnedFolder("0.1.0", files())).toBe(a);
  });

  it("changes when any file's bytes change, when bytes move between files, or with the version", async () => {
    const a = await pinnedFolder("0.1.0", files());
    for (let i = 0; i < 3; i++) {
      const changed = files();
      const b = changed[i]!.bytes;
      b[b.length - 1] = b[b.length - 1]! ^ 1;
      expect(await pinnedFolder("0.1.0", changed), changed[i]!.name).not.toBe(a);
    }
    const swapped = files();
    [swapped[0]!.bytes, swapped[1]!.bytes] = [swapped[1]!.bytes, swapped[0]!.bytes];
    expect(await pinnedFolder("0.1.0", swapped)).not.toBe(a);
    expect(await pinnedFolder("0.1.1", files())).not.toBe(a);
  });
});
