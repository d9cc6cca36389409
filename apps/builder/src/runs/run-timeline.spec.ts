import type { RunDetail, RunStep } from '../api/runs';
import {
  buildTimeline,
  describeInput,
  formatDuration,
  isUuid,
  localInputToIso,
  stepTitle,
} from './run-timeline';

const T0 = Date.parse('2026-11-28T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function step(partial: Partial<RunStep> & Pick<RunStep, 'nodeId' | 'nodeType'>): RunStep {
  return {
    iteration: 1,
    input: null,
    output: 'next',
    effect: null,
    effectStatus: 'none',
    effectResult: null,
    attempts: 0,
    error: null,
    skipped: null,
    at: at(0),
    completedAt: null,
    ...partial,
  };
}

function run(partial: Partial<RunDetail>): RunDetail {
  return {
    id: 'r1',
    flowId: 'f1',
    version: 1,
    visitorId: 'v1',
    status: 'running',
    triggerEventId: '1',
    triggerNodeId: 'trigger',
    waitingAt: null,
    nextStepAt: null,
    error: null,
    createdAt: at(0),
    updatedAt: at(0),
    endedAt: null,
    state: null,
    timeline: [],
    ...partial,
  };
}

describe('run timeline', () => {
  it('lists steps oldest first with what woke them, the waits between, the effects, and the end', () => {
    const timeline = buildTimeline(
      run({
        status: 'completed',
        endedAt: at(3_600_500),
        timeline: [
          step({
            nodeId: 'hook',
            nodeType: 'send_webhook',
            at: at(3_600_100),
            completedAt: at(3_600_400),
            input: { kind: 'timer', nodeId: 'wait' },
            effect: { kind: 'send_webhook', endpointId: 'ep-1' },
            effectStatus: 'done',
            attempts: 2,
          }),
          step({ nodeId: 'trigger', nodeType: 'trigger_event', input: { kind: 'start', eventId: '42' } }),
          step({ nodeId: 'wait', nodeType: 'wait', at: at(10), completedAt: at(20), iteration: 2 }),
        ],
      }),
      { hook: 'Tell the CRM' },
    );
    expect(timeline.map((e) => [e.kind, e.title])).toEqual([
      ['step', 'Event · trigger'],
      ['step', 'Wait · wait'],
      ['wait', 'Waited 1.0 h'],
      ['step', 'Tell the CRM (Send webhook)'],
      ['effect', 'Send webhook → ep-1: done after 2 attempts'],
      ['end', 'Run completed'],
    ]);
    expect(timeline[0]?.detail).toBe('started by event 42 · took “next”');
    expect(timeline[1]?.detail).toBe('took “next” · pass 2');
    expect(timeline[2]?.detail).toBe('the wait ended');
    expect(timeline[4]?.tone).toBe('success');
    expect(timeline[5]?.tone).toBe('success');
  });

  it('shows failed effects and the run error in red, and where a waiting run waits', () => {
    const failed = buildTimeline(
      run({
        status: 'failed',
        error: { code: 'EFFECT_FAILED', message: 'endpoint answered 500', nodeId: 'hook' },
        timeline: [
          step({
            nodeId: 'hook',
            nodeType: 'send_webhook',
            effect: { kind: 'send_webhook', endpointId: 'ep' },
            effectStatus: 'failed',
            error: 'HTTP 500',
            attempts: 5,
          }),
        ],
      }),
    );
    expect(failed.map((e) => [e.kind, e.tone])).toEqual([
      ['step', 'info'],
      ['effect', 'error'],
      ['error', 'error'],
      ['end', 'error'],
    ]);
    expect(failed.at(-1)?.detail).toBe('EFFECT_FAILED: endpoint answered 500');

    const waiting = buildTimeline(run({ status: 'waiting', waitingAt: 'wait', nextStepAt: at(60_000) }), {
      wait: 'Give them an hour',
    });
    expect(waiting).toEqual([
      expect.objectContaining({ kind: 'wait', title: 'Waiting at Give them an hour', nodeId: 'wait' }),
    ]);
  });

  it('names inputs, unknown node kinds and durations in words', () => {
    expect(describeInput({ kind: 'event', eventId: '7', event: 'checkout' })).toBe(
      'woke on event “checkout”',
    );
    expect(describeInput({ kind: 'timeout', nodeId: 'w' })).toBe('timed out waiting for the event');
    expect(describeInput(null)).toBeUndefined();
    expect(stepTitle({ nodeId: 'x', nodeType: 'retired_kind' })).toBe('retired_kind · x');
    expect([999, 1500, 90_000, 7_200_000, 3 * 86_400_000, -1].map(formatDuration)).toEqual([
      '999 ms',
      '1.5 s',
      '2 min',
      '2.0 h',
      '3 d',
      '—',
    ]);
  });

  it('converts datetime-local input and recognises visitor ids', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('not a date')).toBeUndefined();
    expect(localInputToIso('2026-11-28T10:00')).toBe(new Date(2026, 10, 28, 10, 0).toISOString());
    expect(isUuid('0195e4d2-7c1b-4f4e-9a51-1b2c3d4e5f60')).toBe(true);
    expect(isUuid('anon-123')).toBe(false);
  });

  it('words SMS steps from the registry: the recipient, retries, and an opted-out visitor', () => {
    const timeline = buildTimeline(
      run({
        status: 'completed',
        timeline: [
          step({
            nodeId: 'text',
            nodeType: 'send_sms',
            effect: { kind: 'send_sms', to: '+4915112345678', body: 'Hi Ada' },
            effectStatus: 'done',
            effectResult: { sid: 'SM1', status: 'queued' },
            attempts: 2,
          }),
          step({ nodeId: 'text2', nodeType: 'send_sms', at: at(100), skipped: 'OPTED_OUT' }),
        ],
      }),
    );
    expect(timeline.map((e) => e.title)).toEqual([
      'Send SMS · text',
      'Send SMS → +4915112345678: done after 2 attempts',
      'Send SMS · text2',
      'Skipped: OPTED_OUT',
      'Run completed',
    ]);
    expect(timeline[1]?.detail).toBe('{"sid":"SM1","status":"queued"}');
  });
});
