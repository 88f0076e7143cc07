import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../server/src/events/repository.ts';
import { mayReceive } from '../../server/src/realtime/auth.ts';
import type { RealtimeServer } from '../../server/src/realtime/gateway.ts';
import { KpiPush } from '../../server/src/realtime/kpi-push.ts';
import type { EventPublisher } from '../../server/src/realtime/publisher.ts';

describe('realtime authentication seam', () => {
  it('lets a principal who sees the district receive every known room and nothing else', () => {
    const p = { id: 'user:dispatcher', rooms: '*' as const };
    expect(mayReceive(p, ['wall', 'subdistrict:3', 'department:12', 'admin', 'subdistrict:x', 7])).toEqual(['wall', 'subdistrict:3', 'department:12']);
  });

  it('narrows a scoped principal to its own rooms', () => {
    expect(mayReceive({ id: 'responder', rooms: ['department:12'] }, ['wall', 'department:12', 'department:13'])).toEqual(['department:12']);
  });
});

describe('KPI push', () => {
  it('recomputes only after a case event reaches it through the publisher subscription, once per interval, to local sockets, and only while it has some', async () => {
    let listener: ((row: EventRow) => void) | undefined;
    const publisher = { currentSeq: 41, subscribe: (l: (row: EventRow) => void) => ((listener = l), () => (listener = undefined)) } as unknown as EventPublisher;
    const sent: { event: string; msg: { seq: number; n: number } }[] = [];
    let socketsHere = 0;
    const io = { local: { emit: (event: string, msg: { seq: number; n: number }) => sent.push({ event, msg }) }, of: () => ({ sockets: { size: socketsHere } }) } as unknown as RealtimeServer;
    let computed = 0;
    const push = new KpiPush(publisher, io, { intervalMs: 20, compute: async () => ({ n: ++computed }), log: { info() {}, warn() {}, error() {} } });
    push.start();
    const row = (type: string): EventRow => ({ seq: 41, at: '', actor: 'x', type, subject: 's', payload: {} });
    listener!(row('whistle.called'));
    await new Promise((r) => setTimeout(r, 60));
    expect(computed, 'no case event, no recompute').toBe(0);
    listener!(row('case.created'));
    listener!(row('case.updated'));
    await new Promise((r) => setTimeout(r, 60));
    expect(computed, 'no socket on this process, no recompute: the change waits').toBe(0);
    socketsHere = 1;
    for (let i = 0; i < 50 && !sent.length; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 60));
    expect(computed).toBe(1);
    expect(sent).toEqual([{ event: 'kpi.updated', msg: expect.objectContaining({ seq: 41, n: 1 }) }]);
    push.stop();
    expect(listener).toBeUndefined();
  });
});
