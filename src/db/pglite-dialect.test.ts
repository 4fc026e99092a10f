import { describe, expect, it } from 'vitest';
import { backgroundWork, ConnectionQueue } from './pglite-dialect.js';

describe('the PGlite connection queue', () => {
  it('hands the connection to a waiting request before background work, each in its own order (H2: /health waited behind every outbox lane)', async () => {
    const queue = new ConnectionQueue();
    const order: string[] = [];
    const releaseFirst = await queue.acquire();
    const take = (name: string) => queue.acquire().then((release) => {
      order.push(name);
      release();
    });
    // Three lanes of the outbox worker queue first; then two requests arrive.
    const waiting = [
      backgroundWork.run(true, () => take('import chunk')),
      backgroundWork.run(true, () => take('rules')),
      backgroundWork.run(true, () => take('alerts')),
      take('/health'),
      take('page'),
    ];
    releaseFirst();
    await Promise.all(waiting);
    expect(order).toEqual(['/health', 'page', 'import chunk', 'rules', 'alerts']);
    // Released, it is free again: the next holder takes it at once, and releasing twice changes nothing.
    const again = await queue.acquire();
    again();
    again();
    const next = await backgroundWork.run(true, () => queue.acquire());
    next();
  });
});
