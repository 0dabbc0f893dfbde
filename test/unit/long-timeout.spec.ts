import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, setLongTimeout } from '../../lib/utils/long-timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('setLongTimeout', () => {
  it('waits past setTimeout’s reach (a yearly cron’s next fire) instead of firing at once', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    setLongTimeout(() => fired.push(Date.now() - start), 300 * 86_400_000);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(300 * 86_400_000);
    expect(fired.length).toBe(1);
    expect(fired[0]).toBeGreaterThanOrEqual(300 * 86_400_000);
  });

  it('is cleared, and a short or past delay fires once', () => {
    vi.useFakeTimers();
    let count = 0;
    setLongTimeout(() => (count += 1), 5).clear();
    setLongTimeout(() => (count += 10), -5);
    vi.advanceTimersByTime(100);
    expect(count).toBe(10);
  });
});
