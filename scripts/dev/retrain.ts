/**
 * npm run retrain -- --help lists the flags; e.g. fine-tune the shipped model for 2 kimg with the config its active version records:
 *   npm run retrain -- --model faces64 --mode fine-tune --preset recorded --kimg 2
 *
 * Sends a signed retraining webhook, as CI or a data pipeline would: the body (built from the flags,
 * or --body FILE) and a fresh delivery id (or --delivery ID) are signed together with the first
 * secret in WEBHOOK_SECRETS ($WEBHOOK_SECRETS or .dev.vars), `t.<delivery id>.<body>` (README,
 * "Retraining through a webhook"). Prints the job id and how to follow it.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { command, num, oneOf, str } from "../../trainer/cli/args.ts";
import { DeliveryId, sign } from "../../worker/jobs/signature.ts";

const a = command({
  run: "npm run retrain --",
  name: "retrain",
  summary: "Sends a signed retraining webhook (POST /hooks/retrain), as CI or a data pipeline would.",
  flags: {
    api: { value: "URL", help: "the worker's origin", type: str(), default: "http://localhost:8787" },
    model: { value: "M", help: "model to retrain", type: str(), default: "tiny-fixture" },
    preset: { value: "P", help: 'a config in trainer/configs/ on the agent, or "recorded": the one the active version records', type: str(), default: "tiny-retrain" },
    mode: { value: "M", help: "scratch | fine-tune", type: oneOf(["scratch", "fine-tune"]), default: "scratch" },
    kimg: { value: "K", help: "training length in thousands of images (the config's totalKimg)", type: num(0, 100_000, { above: true }) },
    body: { value: "FILE", help: "send this JSON body instead of one built from the flags above", type: str() },
    delivery: { value: "ID", help: "the delivery id to sign (a retry reuses it)", type: DeliveryId, defaultText: "a fresh UUID" },
  },
  examples: ["npm run retrain -- --model faces64 --mode fine-tune --preset recorded --kimg 2"],
}).parseOrExit();
const vars = await readFile(".dev.vars", "utf8").catch(() => "");
const fromVars = (k: string) => new RegExp(`^${k}\\s*=\\s*"?([^"\\n]+)"?`, "m").exec(vars)?.[1];
const secret = (process.env.WEBHOOK_SECRETS ?? fromVars("WEBHOOK_SECRETS"))?.split(",")[0]?.trim();
if (!secret) {
  console.error("retrain: no webhook secret: set WEBHOOK_SECRETS or run npm run dev:seed to write .dev.vars");
  process.exit(2);
}
const body = a.body
  ? await readFile(a.body, "utf8")
  : JSON.stringify({
      model: a.model,
      mode: a.mode,
      ...(a.preset === "recorded" ? {} : { preset: a.preset }),
      dataset: { kind: "dicebear", style: "adventurer", count: 64, seed: 0 },
      config: a.kimg ? { totalKimg: a.kimg } : {},
    });
const delivery = a.delivery ?? randomUUID();
const res = await fetch(`${a.api}/hooks/retrain`, {
  method: "POST",
  headers: { "Content-Type": "application/json", "LinkGAN-Signature": await sign(delivery, body, secret), "LinkGAN-Delivery": delivery },
  body,
});
const text = await res.text();
console.log(`HTTP ${res.status} ${text}`);
if (res.status !== 202) process.exit(1);
const { jobId } = JSON.parse(text) as { jobId: string };
console.log(`delivery ${delivery} → job ${jobId}`);
console.log(`follow it: curl -s -H "Authorization: Bearer $ADMIN_TOKEN" ${a.api}/admin/jobs/${jobId}`);
