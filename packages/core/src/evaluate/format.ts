/** How numbers read in gate messages and reports; CSV keeps full precision instead. */

/**
 * At most 4 decimals, trailing zeros dropped: metrics are mostly rates in [0, 1] and readers
 * compare them by eye. Values too small for that keep 3 significant digits rather than
 * reading as 0.
 */
export function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const rounded = Number(value.toFixed(4));
  if (rounded === 0) return value.toPrecision(3);
  return String(rounded);
}

/**
 * `+0.05`, `-0.1`, `±0`: the sign is always shown so a delta cannot be read as a value.
 * Differences below 1e-9 are floating-point noise (0.85 - 0.8 is 0.04999999999999993), not change.
 */
export function formatDelta(delta: number): string {
  if (Math.abs(delta) < 1e-9) return '±0';
  return `${delta < 0 ? '-' : '+'}${formatMetric(Math.abs(delta))}`;
}
