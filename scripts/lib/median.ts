/**
 * The median of timings (the mean of the middle two for an even count): what the benchmarks quote
 * on this shared, noisy machine.
 *
 * @example
 * median([3, 1, 2, 10]); // 2.5
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
