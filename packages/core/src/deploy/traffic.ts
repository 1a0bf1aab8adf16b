/**
 * A/B traffic on an endpoint: the new deployment takes `percent`, the deployments that had
 * traffic keep the rest in their current proportions, and the shares stay whole numbers that
 * add up to 100 (what Azure ML accepts).
 */
export function shiftTraffic(current: Record<string, number>, deployment: string, percent: number): Record<string, number> {
  const others = Object.entries(current).filter(([name]) => name.toLowerCase() !== deployment.toLowerCase());
  const othersTotal = others.reduce((sum, [, share]) => sum + Math.max(0, share), 0);
  // Nothing else serves: the new deployment takes everything, whatever was asked.
  const own = othersTotal === 0 ? 100 : percent;
  const rest = 100 - own;
  const scaled = others.map(([name, share]) => {
    const exact = othersTotal === 0 ? 0 : (Math.max(0, share) * rest) / othersTotal;
    return { name, floor: Math.floor(exact), fraction: exact - Math.floor(exact) };
  });
  // Largest remainders get the points lost to rounding down.
  let missing = rest - scaled.reduce((sum, item) => sum + item.floor, 0);
  for (const item of [...scaled].sort((a, b) => b.fraction - a.fraction || a.name.localeCompare(b.name))) {
    if (missing <= 0) break;
    item.floor += 1;
    missing -= 1;
  }
  return { ...Object.fromEntries(scaled.map((item) => [item.name, item.floor])), [deployment]: own };
}
