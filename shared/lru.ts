/**
 * A least-recently-used map bounded by total bytes: the worker's in-isolate render cache tier and
 * the base renders of the shared pipeline (shared/render/base.ts) in the worker and the browser.
 *
 * @example
 * const lru = new ByteLru<Uint8Array>(16 << 20, (v) => v.byteLength);
 * lru.set("k", png); lru.get("k"); // png, now most recent
 */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Stores `value` unless it alone exceeds the bound; evicts the least recent entries to fit. */
  set(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.used -= e.bytes;
    }
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }
}
