import { describe, expect, it } from 'vitest';
import { shiftTraffic } from '@llmops/core/deploy/traffic';

describe('shiftTraffic', () => {
  it('gives the first deployment everything, whatever was asked', () => {
    expect(shiftTraffic({}, 'blue', 10)).toEqual({ blue: 100 });
  });

  it('splits with the one deployment that served', () => {
    expect(shiftTraffic({ blue: 100 }, 'green', 10)).toEqual({ blue: 90, green: 10 });
    expect(shiftTraffic({ blue: 100 }, 'green', 100)).toEqual({ blue: 0, green: 100 });
  });

  it('keeps the others in proportion, in whole numbers adding up to 100', () => {
    const traffic = shiftTraffic({ blue: 50, green: 30, red: 20 }, 'new', 25);
    expect(traffic).toEqual({ blue: 38, green: 22, red: 15, new: 25 });
    expect(Object.values(shiftTraffic({ a: 1, b: 1, c: 1 }, 'd', 0)).reduce((sum, share) => sum + share, 0)).toBe(100);
  });

  it('updates a deployment that already has traffic', () => {
    expect(shiftTraffic({ blue: 80, green: 20 }, 'green', 50)).toEqual({ blue: 50, green: 50 });
    expect(shiftTraffic({ blue: 0, green: 100 }, 'Green', 30)).toEqual({ blue: 0, Green: 100 });
  });
});
