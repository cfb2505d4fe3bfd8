// The attack run's short form (npm run attack -- --short) in CI: its own wrangler dev on loopback,
// the image bombs (mask uploads) and picture bombs (POST …/invert), the webhook replays and
// forgeries, chunked bodies on raw sockets, the rate limiter as wrangler dev runs it, and a sample
// of every fuzz class. Every row must be clean and workerd's memory must come back. The full
// campaign (over 10,000 requests) is `npm run attack`.
import { describe, expect, it } from "vitest";
import { runCampaign, table } from "./campaign.ts";

describe("attack run (short)", () => {
  it("no 5xx, no non-JSON error, no hang, no wrong answer in any class; memory returns", async () => {
    const result = await runCampaign({ short: true });
    console.log(table(result));
    expect(result.rows.map((t) => t.name)).toEqual(expect.arrayContaining(["image bombs and malformed PNGs", "invert: picture bombs and malformed pictures", "fuzz: invert queries and picture bodies", "webhook forgeries and replays"]));
    expect(result.rows.length).toBeGreaterThanOrEqual(11);
    expect(result.requests).toBeGreaterThan(300);
    for (const t of result.rows) {
      expect({ class: t.name, serverErrors: t.serverErrors, nonJsonErrors: t.nonJsonErrors, hangs: t.hangs, wrong: t.wrong }, t.examples.join("\n")).toEqual({ class: t.name, serverErrors: 0, nonJsonErrors: 0, hangs: 0, wrong: 0 });
    }
    expect(result.memoryReturned, `workerd ${result.rssBaseline.toFixed(0)} → ${result.rssEnd.toFixed(0)} MiB`).toBe(true);
    expect(result.failed).toBe(false);
  }, 240_000);
});
