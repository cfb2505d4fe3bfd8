/**
 * Imported first by each browser bundle's entry (client.ts, widget/editor.ts), before any schema
 * parses: zod otherwise probes `new Function("")` to compile fast parsers, which a page's
 * Content-Security-Policy without 'unsafe-eval' (the demo page's, and any strict embedder's)
 * blocks and reports. The interpreted parsers give the same results.
 */
import { z } from "zod";

z.config({ jitless: true });
