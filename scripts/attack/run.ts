/**
 * npm run attack [-- --short] [--only webhook,image] [--config other/wrangler.toml]: the attack run (issue #15). Starts its own `wrangler dev` on a free
 * loopback port (own local state and secrets, the tiny fixtures), runs the bounded campaign in
 * scripts/attack/campaign.ts (over 10,000 requests; --short: a few hundred), prints one row per
 * class of attack and exits non-zero when any request got a 5xx, a non-JSON error, no answer or an
 * answer other than expected, or when workerd's memory did not come back within the bound.
 */
import { parseArgs } from "node:util";
import { runCampaign, table } from "./campaign.ts";

const { values: args } = parseArgs({ options: { short: { type: "boolean", default: false }, only: { type: "string" }, config: { type: "string" } } });
const result = await runCampaign({ short: args.short, only: args.only?.split(","), config: args.config, log: (line) => console.error(`[attack] ${line}`) });
console.log(table(result));
process.exit(result.failed ? 1 : 0);
