import { Hono } from "hono";

/** The edge API (issue #4 grows it). */
const app = new Hono();

app.get("/healthz", (c) => c.json({ ok: true }));

export default app;
