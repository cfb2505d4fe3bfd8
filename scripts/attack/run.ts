/**
 * npm run attack [-- --short] (--help lists the flags): the attack run (issue #15). Starts its own
 * `wrangler dev` on a free loopback port (own local state and secrets, the tiny fixtures), runs the bounded campaign in
 * scripts/attack/campaign.ts (over 10,000 requests; --short: a few hundred), prints one row per
 * class of attack and exits non-zero when any request got a 5xx, a non-JSON error, no answer or an
 * answer other than expected, or when workerd's memory did not come back within the bound.
 */
import { command, list, str } from "../../trainer/cli/args.ts";
import { runCampaign, table } from "./campaign.ts";

const args = command({
  run: "npm run attack --",
  name: "attack",
  summary: "The attack run: its own wrangler dev, one row per class of attack; exit 1 on any failure.",
  flags: {
    short: { switch: true, help: "a few hundred requests (about 30 s) instead of over 10,000" },
    only: { value: "NAMES", help: "run only the classes whose name contains one of these (comma-separated), e.g. webhook,image", type: list() },
    config: { value: "FILE", help: "the worker's wrangler config, e.g. another checkout's", type: str(), default: "wrangler.toml" },
  },
}).parseOrExit();
const result = await runCampaign({ short: args.short, only: args.only, config: args.config, log: (line) => console.error(`[attack] ${line}`) });
console.log(table(result));
process.exit(result.failed ? 1 : 0);
