import { MirrorError } from '../../../lib/errors';
import { DownloadLimiter } from '../../../lib/resilience/limiter';

describe('DownloadLimiter', () => {
  it('runs up to the limit at once and hands freed slots to waiters in order', async () => {
    const limiter = new DownloadLimiter({ concurrent: 2, queued: 5, maxWaitMs: 10_000 });
    const first = await limiter.acquire();
    await limiter.acquire();
    const order: number[] = [];
    const third = limiter.acquire().then((r) => (order.push(3), r));
    const fourth = limiter.acquire().then((r) => (order.push(4), r));
    expect(limiter.queued).toBe(2);
    first();
    first();
    (await third)();
    await fourth;
    expect(order).toEqual([3, 4]);
    expect(limiter.running).toBe(2);
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const limiter = new DownloadLimiter({ concurrent: 1, queued: 1, maxWaitMs: 10_000 });
    const release = await limiter.acquire();
    const waiting = limiter.acquire();
    const error = await limiter.acquire().catch((e: MirrorError) => e);
    expect(error).toBeInstanceOf(MirrorError);
    expect((error as MirrorError).status).toBe(503);
    expect((error as MirrorError).headers['Retry-After']).toBe('1');
    release();
    (await waiting)();
    expect(limiter.running).toBe(0);
  });

  it('gives up waiting after maxWaitMs', async () => {
    const limiter = new DownloadLimiter({ concurrent: 1, queued: 1, maxWaitMs: 20 });
    await limiter.acquire();
    await expect(limiter.acquire()).rejects.toMatchObject({ status: 503 });
    expect(limiter.queued).toBe(0);
  });

  it('drops a waiter whose client went away', async () => {
    const limiter = new DownloadLimiter({ concurrent: 1, queued: 1, maxWaitMs: 10_000 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(limiter.queued).toBe(0);
  });

  it('refuses at once a client that left before asking, taking no slot and no place in the queue', async () => {
    const limiter = new DownloadLimiter({ concurrent: 1, queued: 1, maxWaitMs: 10_000 });
    const controller = new AbortController();
    controller.abort(new Error('client left'));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('client left');
    const held = await limiter.acquire();
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('client left');
    expect(limiter.queued).toBe(0);
    held();
  });
});
