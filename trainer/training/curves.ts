/** Training curves as an SVG line chart (one panel per metric group), from metrics.jsonl rows. */
type Row = Record<string, number | string>;

const PANELS: { title: string; keys: (k: string) => boolean; log?: boolean }[] = [
  { title: "adversarial losses", keys: (k) => ["G/adv", "D/real", "D/fake"].includes(k) },
  { title: "R1 / path length", keys: (k) => k === "D/r1" || k === "G/pl" },
  { title: "diversity: generated/real std and pairwise ratios, precision, recall", keys: (k) => k.startsWith("diversity/") },
  { title: "augmentation: probability p, E[sign D(real)]", keys: (k) => k === "augment/p" || k === "D/realSign" },
  { title: "LinkGAN: L_in, L_out per region", keys: (k) => k.startsWith("link/"), log: true },
  { title: "throughput (img/s)", keys: (k) => k === "imgPerSec" },
];
const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#000075", "#808000"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function curvesSvg(rows: Row[], title: string): string {
  const W = 900;
  const PH = 220;
  const panels = PANELS.filter((p) => rows.some((r) => Object.keys(r).some(p.keys)));
  const H = 40 + panels.length * (PH + 30);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>`, `<text x="10" y="22" font-size="15">${esc(title)}</text>`];
  const maxKimg = Math.max(1e-9, ...rows.map((r) => Number(r.kimg)));
  panels.forEach((p, pi) => {
    const top = 40 + pi * (PH + 30);
    const [x0, x1, y0, y1] = [60, W - 200, top + PH, top + 20];
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r).filter(p.keys)))].sort();
    const vals = rows.flatMap((r) => keys.map((k) => Number(r[k])).filter((v) => Number.isFinite(v) && (!p.log || v > 0)));
    if (!vals.length) return;
    const f = (v: number) => (p.log ? Math.log10(v) : v);
    let lo = Math.min(...vals.map(f));
    let hi = Math.max(...vals.map(f));
    if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
    const sx = (k: number) => x0 + ((x1 - x0) * k) / maxKimg;
    const sy = (v: number) => y0 - ((y0 - y1) * (f(v) - lo)) / (hi - lo);
    parts.push(`<text x="${x0}" y="${top + 12}" font-size="13">${esc(p.title)}${p.log ? " (log scale)" : ""}</text>`);
    parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#888"/>`);
    const tick = (v: number) => (p.log ? `1e${v.toFixed(1)}` : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
    parts.push(`<text x="${x0 - 4}" y="${y1 + 10}" text-anchor="end">${tick(hi)}</text><text x="${x0 - 4}" y="${y0}" text-anchor="end">${tick(lo)}</text>`);
    parts.push(`<text x="${x1}" y="${y0 + 14}" text-anchor="end">${maxKimg.toFixed(1)} kimg</text>`);
    keys.forEach((k, ki) => {
      const pts = rows.filter((r) => Number.isFinite(Number(r[k])) && (!p.log || Number(r[k]) > 0)).map((r) => `${sx(Number(r.kimg)).toFixed(1)},${sy(Number(r[k])).toFixed(1)}`);
      const color = COLORS[ki % COLORS.length];
      if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.3" points="${pts.join(" ")}"/>`);
      // Sparse series (the diversity rows come once per sample grid) get a dot per value, so a
      // single measurement shows too.
      if (pts.length < 60) for (const pt of pts) parts.push(`<circle cx="${pt.split(",")[0]}" cy="${pt.split(",")[1]}" r="2.2" fill="${color}"/>`);
      parts.push(`<text x="${x1 + 10}" y="${y1 + 14 + ki * 15}" fill="${color}">${esc(k)}</text>`);
    });
  });
  parts.push("</svg>");
  return parts.join("\n");
}
