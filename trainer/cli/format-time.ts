/**
 * Seconds as the progress bars show them: `1h05m`, `4m07s`, `9s`. cli-progress's own formatter
 * rounds minutes after splitting off hours, which prints `1h60m`.
 *
 * @example
 * formatTime(7199); // "2h00m"
 */
export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "…";
  const s = Math.round(seconds);
  const pad = (v: number) => String(v).padStart(2, "0");
  if (s >= 3600) {
    const m = Math.round(s / 60);
    return `${Math.floor(m / 60)}h${pad(m % 60)}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${s}s`;
}
