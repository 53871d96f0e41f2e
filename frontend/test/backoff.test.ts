/** Backoff bounds and jitter: the pure policy, then the client's schedule under fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffCeiling, backoffDelay } from '../src/backoff.js';
import { AlexHoWebSocketClient } from '../src/client.js';

const policy = { baseMs: 1_000, capMs: 30_000 };

describe('backoff policy', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((attempt) => backoffCeiling(policy, attempt))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('draws full jitter: anywhere from 0 to just under the ceiling', () => {
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(4_000);
    expect(backoffDelay(policy, 3, () => 0.999_999)).toBe(7_999);
    const delays = Array.from({ length: 500 }, () => backoffDelay(policy, 10, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(30_000);
    // Spread over the whole range, not clustered (a fixed delay would make clients stampede).
    expect(new Set(delays.map((delay) => Math.floor(delay / 3_000))).size).toBeGreaterThanOrEqual(8);
  });
});

describe('client reconnect schedule (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries within the backoff bounds, then with the harder error backoff', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const attempts: number[] = [];
    const client = new AlexHoWebSocketClient({
      url: 'ws://127.0.0.1:9',
      // A token service that is down: every attempt fails before any socket is opened.
      getToken: () => {
        attempts.push(Date.now() - start);
        throw new Error('token service down');
      },
      backoff: { baseMs: 1_000, capMs: 8_000 },
      errorBackoff: { baseMs: 20_000, capMs: 60_000 },
      failureThreshold: 4,
      random: () => 0.999,
      browserSignals: false,
    });
    client.connect();
    await vi.advanceTimersByTimeAsync(300_000);
    client.close();
    const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!);
    // Ceilings 1, 2, 4 s; after the fourth failure the error backoff (20 s × 2³, capped at 60 s).
    expect(gaps.slice(0, 5)).toEqual([999, 1_998, 3_996, 59_940, 59_940]);
    expect(gaps.length).toBeGreaterThanOrEqual(7);
    expect(Math.max(...gaps)).toBeLessThan(60_000);
    expect(client.lastError?.code).toBe('token');
  });
});
