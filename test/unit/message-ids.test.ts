// Message ids (src/services/ids.ts): 19 digits, ms × 10^6 + counter × 1,000 + worker number;
// strictly increasing in a process, never equal across processes with different worker numbers.
import { afterAll, describe, expect, it } from 'vitest';
import { currentWorker, nextMessageId, setWorker } from '../../src/services/ids.js';

describe('message ids', () => {
  const saved = currentWorker();
  afterAll(() => setWorker(saved));

  it('carry the worker number in the low three digits and the millisecond in the high ones', () => {
    setWorker(1007);
    expect(currentWorker()).toBe(7);
    const now = Date.now() + 10_000;
    const id = nextMessageId(now);
    expect(id).toMatch(/^[1-9][0-9]{18}$/);
    expect(BigInt(id) % 1000n).toBe(7n);
    expect(BigInt(id) / 1_000_000n).toBe(BigInt(now));
  });

  it('are strictly increasing, also past 1,000 ids in one millisecond and when the clock goes back', () => {
    setWorker(3);
    const now = Date.now() + 20_000;
    const ids = [...Array.from({ length: 2500 }, () => nextMessageId(now)), nextMessageId(now - 5000), nextMessageId(now + 1)].map(BigInt);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids) expect(id % 1000n).toBe(3n);
  });

  it('made on two workers in the same milliseconds never meet', () => {
    const now = Date.now() + 30_000;
    const seen = new Set<string>();
    for (const worker of [1, 2]) {
      setWorker(worker);
      for (let i = 0; i < 1500; i++) seen.add(nextMessageId(now + Math.floor(i / 500)));
    }
    expect(seen.size).toBe(3000);
  });
});
