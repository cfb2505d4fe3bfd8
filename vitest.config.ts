import { mkdirSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// One suite, two runtimes: everything under shared/ runs both in Node and inside workerd
// (tfjs style: the same tests against every runtime). Worker tests run in workerd, except
// *.node.test.ts files, which need Node (e.g. a validator that compiles code at run time).
const sharedTests = ["shared/**/*.test.ts"];

// The npm package and a scratch app that installs it are built once per run and shared by the test
// files that use them (scripts/lib/scratch-app.ts); this names their folder and removes it at the end.
const scratchApp = ["test/scratch-app.setup.ts"];

// wrangler.toml's [assets] directory must exist for workerd to start; `npm test` fills it first
// (npm run build:client), and the browser tests build it when it is empty.
mkdirSync("dist/client", { recursive: true });

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: [...sharedTests, "trainer/**/*.test.ts", "scripts/**/*.test.ts", "test/**/*.test.ts", "worker/**/*.node.test.ts", "client/**/*.test.ts"],
          exclude: ["test/browser/**"],
          setupFiles: ["test/setup-cpu.ts"],
          globalSetup: scratchApp,
          testTimeout: 60_000,
        },
      },
      {
        // The client bundle and the <linkgan-editor> widget in Debian's chromium (playwright-core)
        // against `wrangler dev`; one browser and one dev server per file (test/browser/harness.ts).
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: scratchApp,
          // Generous: with the 64 px model seeded, one image takes ~10 s on SwiftShader's WebGPU.
          testTimeout: 300_000,
          hookTimeout: 240_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            // Test-only secrets (production sets them with `wrangler secret put`) and the D1 schema.
            miniflare: {
              // A small budget so the rate-limit test reaches it quickly (production: wrangler.toml).
              ratelimits: { RATE_LIMITER: { simple: { limit: 25, period: 60 } } },
              bindings: {
                WEBHOOK_SECRETS: "whsec-test-old,whsec-test-new",
                AGENT_TOKEN: "agent-token-for-tests-only",
                ADMIN_TOKEN: "admin-token-for-tests-only",
                TEST_MIGRATIONS: await readD1Migrations("worker/jobs/migrations"),
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: [...sharedTests, "worker/**/*.test.ts"],
          exclude: ["worker/**/*.node.test.ts"],
          setupFiles: ["test/setup-cpu.ts", "worker/jobs/test-migrations.ts"],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
