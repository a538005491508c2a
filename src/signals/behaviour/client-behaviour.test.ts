import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../engine/clock.ts';
import { createEngine } from '../../engine/engine.ts';
import type { Engine } from '../../engine/engine.ts';
import { silentLogger } from '../../logger.ts';
import { parsePolicy } from '../../policy/load-policy.ts';
import type { HotStore, SharedTrackers } from '../../stores/types.ts';
import { inProcessTrackers, memoryStoreSharing } from '../../../test/support/shared-trackers.ts';
import { createBehaviourSignals } from './client-behaviour.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');

// A rule that reads all three, so the decision's reasons list the ones that fired.
const POLICY = `
rules:
  - name: watch
    when:
      - risk: { gte: 1 }
    action: deny
    monitor: true
`;

function setup(maxClients?: number, clock = new VirtualClock(T0), store?: HotStore): { engine: Engine; clock: VirtualClock } {
  const signals = createBehaviourSignals(maxClients);
  return { engine: createEngine({ policy: parsePolicy(POLICY, { env: {} }), clock, logger: silentLogger, signals, ...(store && { store }) }), clock };
}

/** Two engines (two instances) over one shared store, on one clock. */
function twoInstances(shared: SharedTrackers): { engines: [Engine, Engine]; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const instance = (): Engine => setup(undefined, clock, memoryStoreSharing(shared)).engine;
  return { engines: [instance(), instance()], clock };
}


/** Sends one request, answers it with `status`, and returns the signals that fired for it. */
async function send(engine: Engine, url: string, status = 200, ip = '203.0.113.7'): Promise<string[]> {
  const d = await engine.decide({ method: 'GET', url, headers: {}, ip });
  engine.observe(d, status);
  return d.reasons.filter((r) => r.startsWith('signal:')).map((r) => r.slice(7));
}

describe('behaviour signals', () => {
  it('timing.regular: a fixed sleep fires after 8 intervals; human think times do not', async () => {
    const { engine, clock } = setup();
    const fired: string[][] = [];
    for (let i = 0; i < 10; i++) {
      fired.push(await send(engine, `/api/products?page=${i}`));
      clock.advance(i % 2 === 0 ? 480 : 520);
    }
    assert.deepEqual(fired[8], [], 'seven intervals are not enough');
    assert.ok(fired[9]!.includes('timing.regular'));

    const human = setup();
    const thinks = [4_000, 700, 12_000, 2_500, 30_000, 5_000, 1_200, 9_000, 3_000, 15_000];
    let last: string[] = [];
    for (const t of thinks) {
      last = await send(human.engine, '/api/products');
      human.clock.advance(t);
    }
    assert.deepEqual(last, []);
  });

  it('timing.fast: eight intervals averaging under 250 ms fire; a page load then reading does not', async () => {
    const { engine, clock } = setup();
    let fired: string[] = [];
    for (let i = 0; i < 10; i++) {
      fired = await send(engine, '/api/products', 200);
      clock.advance(100 + (i % 3) * 150);
    }
    assert.ok(fired.includes('timing.fast'));

    const person = setup();
    let last: string[] = [];
    for (let i = 0; i < 12; i++) {
      last = await send(person.engine, '/api/products', 200, '198.51.100.2');
      // Three calls 50 ms apart for a page, then six seconds of reading.
      person.clock.advance(i % 3 === 2 ? 6_000 : 50);
    }
    assert.ok(!last.includes('timing.fast'));
  });

  it('ids.sequential: 10 ids in a row under one path fire; the same ids in any order do not', async () => {
    const { engine, clock } = setup();
    const walk: string[][] = [];
    for (let id = 100; id < 111; id++) {
      walk.push(await send(engine, `/api/users/${id}`, 403));
      clock.advance(3_000 + (id % 3) * 4_000);
    }
    assert.ok(!walk[9]!.includes('ids.sequential'), 'nine steps so far');
    assert.ok(walk[10]!.includes('ids.sequential'));

    const shuffled = setup();
    let last: string[] = [];
    for (const id of [5, 17, 3, 42, 8, 9, 30, 2, 11, 60, 7, 19]) {
      last = await send(shuffled.engine, `/api/products/${id}`);
      shuffled.clock.advance(2_000 + id * 100);
    }
    assert.ok(!last.includes('ids.sequential'));
  });

  it('responses.misses: half of 16 or more answers being 403/404 fires', async () => {
    const { engine, clock } = setup();
    let fired: string[] = [];
    for (let i = 0; i < 16; i++) {
      fired = await send(engine, `/api/orders/${i * 7}`, i % 2 === 0 ? 404 : 200);
      clock.advance(1_000 + i * 900);
    }
    assert.ok(!fired.includes('responses.misses'), 'decided before the 16th answer was known');
    assert.ok((await send(engine, '/api/orders/1')).includes('responses.misses'));
    // Another client is another story.
    assert.deepEqual(await send(engine, '/api/orders/1', 200, '198.51.100.9'), []);
  });

  it('pools instances through the shared store: an id walk and a run of misses spread over two instances are seen whole', async () => {
    const shared = inProcessTrackers();
    const { engines, clock } = twoInstances(shared);
    let fired: string[] = [];
    // Round-robin balancing: each instance alone sees ids two apart and only half the misses.
    for (let id = 1; id <= 18; id++) {
      fired = await send(engines[id % 2]!, `/api/users/${id}`, 404);
      await engines[id % 2]!.settle();
      clock.advance(700 + (id % 4) * 900);
    }
    assert.ok(fired.includes('ids.sequential'), `fired: ${fired.join(', ')}`);
    assert.ok(fired.includes('responses.misses'));
    assert.ok(shared.calls > 0 && shared.calls <= 18);

    // The same walk without a shared store: neither instance sees it.
    const alone = [setup(undefined, clock).engine, setup(undefined, clock).engine];
    for (let id = 1; id <= 18; id++) {
      fired = await send(alone[id % 2]!, `/api/users/${id}`, 404);
      clock.advance(700 + (id % 4) * 900);
    }
    assert.deepEqual(fired, []);
  });

  it('keeps what the instance saw itself when the shared store fails', async () => {
    const shared = inProcessTrackers();
    shared.failing = true;
    const { engines, clock } = twoInstances(shared);
    let fired: string[] = [];
    for (let id = 1; id <= 11; id++) {
      fired = await send(engines[0], `/api/users/${id}`);
      await engines[0].settle();
      clock.advance(2_000 + (id % 3) * 1_500);
    }
    assert.ok(fired.includes('ids.sequential'));
  });

  it('forgets the least recently seen client when full', async () => {
    const { engine, clock } = setup(2);
    for (let id = 1; id <= 11; id++) {
      await send(engine, `/api/users/${id}`, 200, '192.0.2.1');
      clock.advance(1_000 * id);
    }
    assert.ok((await send(engine, '/api/users/12', 200, '192.0.2.1')).includes('ids.sequential'));
    await send(engine, '/', 200, '192.0.2.2');
    await send(engine, '/', 200, '192.0.2.3');
    assert.ok(!(await send(engine, '/api/users/13', 200, '192.0.2.1')).includes('ids.sequential'));
  });
});
