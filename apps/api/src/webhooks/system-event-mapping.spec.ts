import fc from 'fast-check';
import { HandedOffEvent, IdentifyDetails, occurrencesOfEvents, RUN_EVENT } from './system-event-mapping';

const event = fc.record({
  visitor_id: fc.uuid(),
  message_id: fc.uuid(),
  type: fc.constantFrom('track', 'identify', 'page', 'alias'),
  name: fc.constantFrom('cta_converted', 'cta_clicked', 'signup', 'identify', ''),
  ts: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
  properties: fc.option(
    fc.record(
      { ctaId: fc.option(fc.uuid()), cta_id: fc.option(fc.uuid()), n: fc.integer() },
      { requiredKeys: [] },
    ),
  ),
  is_bot: fc.boolean(),
});
const batch = fc
  .array(event, { maxLength: 40 })
  .map((es) => es.map((e, i): HandedOffEvent => ({ ...e, id: String(1000 + i) })));
const subscribed = fc
  .subarray(['visitor.identified', 'cta.converted', 'run.completed', 'run.failed', 'endpoint.disabled'])
  .map((t) => new Set<string>(t));

describe('system events of ingested events', () => {
  it('one occurrence per subscribed, non-bot identify or cta_converted track, keyed by the event id', () => {
    fc.assert(
      fc.property(batch, subscribed, (events, types) => {
        const details = new Map<string, IdentifyDetails>(
          events.map((e) => [e.id, { user_id: `u-${e.id}`, anonymous_id: null, traits: { id: e.id } }]),
        );
        const out = occurrencesOfEvents(events, types, details);
        const expected = events.filter(
          (e) =>
            !e.is_bot &&
            ((types.has('visitor.identified') && e.type === 'identify') ||
              (types.has('cta.converted') && e.type === 'track' && e.name === 'cta_converted')),
        );
        expect(out.map((o) => o.key)).toEqual(expected.map((e) => e.id));
        expect(new Set(out.map((o) => o.key)).size).toBe(out.length);
        for (const o of out) {
          const e = events.find((x) => x.id === o.key)!;
          expect(types.has(o.type)).toBe(true);
          expect(o.type).toBe(e.type === 'identify' ? 'visitor.identified' : 'cta.converted');
          expect(o.data.visitorId).toBe(e.visitor_id);
          expect(o.data.messageId).toBe(e.message_id);
          expect(o.at?.getTime()).toBe(new Date(e.ts).getTime());
          if (o.type === 'visitor.identified')
            expect(o.data).toMatchObject({ userId: `u-${e.id}`, traits: { id: e.id } });
          else expect(o.data.ctaId).toBe(e.properties?.ctaId ?? e.properties?.cta_id ?? null);
        }
        // Deterministic: the same batch maps to the same occurrences (a retried trigger job).
        expect(occurrencesOfEvents(events, types, details)).toEqual(out);
      }),
    );
  });

  it('run statuses: completed, converted and exited complete a run; failed fails it; others send nothing', () => {
    expect(RUN_EVENT).toEqual({
      completed: 'run.completed',
      converted: 'run.completed',
      exited: 'run.completed',
      failed: 'run.failed',
    });
    for (const s of ['waiting', 'running', 'pending', 'cancelled']) expect(RUN_EVENT[s]).toBeUndefined();
  });
});
