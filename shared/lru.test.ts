import { describe, expect, it } from "vitest";
import { ByteLru } from "./lru.ts";

describe("ByteLru", () => {
  const lru = () => new ByteLru<Uint8Array>(10, (v) => v.byteLength);

  it("evicts the least recently used entries to stay within its byte bound", () => {
    const c = lru();
    c.set("a", new Uint8Array(4));
    c.set("b", new Uint8Array(4));
    c.get("a"); // a is now more recent than b
    c.set("c", new Uint8Array(4));
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBeDefined();
    expect(c.get("c")).toBeDefined();
    expect(c.bytes).toBe(8);
  });

  it("never stores a value larger than the bound, and replaces keys without double counting", () => {
    const c = lru();
    c.set("big", new Uint8Array(11));
    expect(c.size).toBe(0);
    c.set("a", new Uint8Array(3));
    c.set("a", new Uint8Array(5));
    expect(c.bytes).toBe(5);
  });
});
