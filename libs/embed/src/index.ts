import { BatchSender, type NfEvent } from './batch-sender';
import { LocalCaps } from './caps';
import { eventContext, pageInfo } from './context';
import { whenTriggered } from './display-trigger';
import { Identity } from './identity';
import { renderCta } from './render-cta';
import type { Cta, DecideResponse, Traits } from './types';
import { onReady, uuid } from './util';

type Props = Record<string, unknown>;
type Call = [string, ...unknown[]];

export interface NudgeflowApi {
  track(event: string, properties?: Props): void;
  /** `options.userHash`: the site server's HMAC-SHA256 of userId (identity verification). */
  identify(userId?: string | Props, traits?: Props, options?: { userHash?: string }): void;
  page(name?: string | Props, properties?: Props): void;
  reset(): void;
  /** Lets a queued-stub snippet keep calling `nudgeflow.push([...])` after load. */
  push(call: Call): void;
  anonymousId(): string;
}

declare global {
  interface Window {
    nudgeflow?: Call[] | NudgeflowApi;
  }
}

const POLL_MS = 15000;

function start(): void {
  const existing = window.nudgeflow;
  if (existing && !Array.isArray(existing)) return; // loaded twice
  const queued: Call[] = Array.isArray(existing) ? existing.slice() : [];

  const script = (document.currentScript ||
    document.querySelector('script[data-write-key]')) as HTMLScriptElement | null;
  const data = script ? script.dataset : {};
  let writeKey = data.writeKey;
  let apiHost = data.apiHost || (script && script.src ? new URL(script.src, location.href).origin : '');
  for (const [method, opts] of queued) {
    if (method === 'init' && opts && typeof opts === 'object') {
      const o = opts as { writeKey?: string; apiHost?: string };
      writeKey = o.writeKey || writeKey;
      apiHost = o.apiHost || apiHost;
    }
  }
  apiHost = (apiHost || location.origin).replace(/\/+$/, '');
  if (!writeKey) {
    console.warn('nudgeflow: missing data-write-key');
    return;
  }
  const key: string = writeKey;

  const identity = new Identity();
  const sender = new BatchSender(apiHost + '/v1/batch', key);
  let lastUrl = location.href;
  let referrer = document.referrer;

  const send = (e: Omit<NfEvent, 'anonymousId' | 'messageId' | 'timestamp' | 'context'>): void => {
    const event: NfEvent = {
      ...e,
      anonymousId: identity.anonymousId,
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      context: eventContext(pageInfo(referrer)),
    };
    if (identity.userId) {
      event.userId = identity.userId;
      if (identity.userHash) event.userHash = identity.userHash;
    }
    sender.enqueue(event);
  };

  const api: NudgeflowApi = {
    track(event, properties) {
      send({ type: 'track', event: String(event), properties: { ...properties } });
    },
    identify(userId, traits, options) {
      if (userId && typeof userId === 'object') [userId, traits] = [undefined, userId];
      if (userId != null && userId !== '') identity.setUserId(String(userId), options && options.userHash);
      send({ type: 'identify', traits: { ...traits } });
    },
    page(name, properties) {
      if (name && typeof name === 'object') [name, properties] = [undefined, name];
      lastUrl = location.href;
      const { url, path, title, search } = pageInfo(referrer);
      const e: Parameters<typeof send>[0] = {
        type: 'page',
        properties: { url, path, referrer, title, search, ...properties },
      };
      if (name) e.name = e.properties!.name = String(name);
      send(e);
      sender.flush(); // the decision API may look for this page view
      decide();
    },
    reset() {
      identity.reset();
    },
    push(call) {
      const [method, ...args] = call;
      const fn = (api as unknown as Record<string, (...a: unknown[]) => void>)[method];
      if (method !== 'push' && typeof fn === 'function') fn(...args);
    },
    anonymousId: () => identity.anonymousId,
  };

  // ---- CTAs -------------------------------------------------------------------------------------
  const seen: Record<string, true> = {};
  const caps = new LocalCaps();
  let live: EventSource | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;

  function decide(): void {
    const body = {
      writeKey: key,
      anonymousId: identity.anonymousId,
      userId: identity.userId || undefined,
      userHash: identity.userHash || undefined,
      url: location.href,
      referrer,
      context: eventContext(pageInfo(referrer)),
    };
    fetch(apiHost + '/v1/decide', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify(body),
      credentials: 'omit',
    })
      .then((r) => (r.ok ? (r.json() as Promise<DecideResponse>) : null))
      .then((res) => {
        if (!res) return;
        (res.ctas || []).forEach(schedule);
        if (res.live && res.live.url && !live) openLive(res.live.url);
      })
      .catch(() => undefined);
  }

  function openLive(url: string): void {
    if (typeof EventSource !== 'function') return startPolling();
    clearInterval(poll);
    poll = undefined;
    live = new EventSource(new URL(url, apiHost + '/').href);
    live.addEventListener('cta', (e) => {
      try {
        const d = JSON.parse((e as MessageEvent<string>).data) as Cta | DecideResponse;
        ('ctas' in d ? d.ctas : [d]).forEach(schedule);
      } catch {
        // ignore malformed pushes
      }
    });
    live.onerror = () => {
      if (live) live.close();
      live = null;
      startPolling();
    };
  }

  function startPolling(): void {
    if (poll === undefined) {
      poll = setInterval(() => document.visibilityState === 'visible' && decide(), POLL_MS);
    }
  }

  function schedule(cta: Cta): void {
    const id = cta && cta.id + ':' + cta.variantId;
    if (!cta || !cta.content || seen[id]) return;
    seen[id] = true;
    whenTriggered(cta.display || { trigger: 'load' }, () => onReady(() => show(cta)));
  }

  function show(cta: Cta): void {
    if (!caps.allows(cta)) return;
    let parent: Element | null = document.body;
    if (cta.kind === 'inline') {
      try {
        parent = cta.selector ? document.querySelector(cta.selector) : null;
      } catch {
        parent = null;
      }
    }
    if (!parent) return;
    const props = { cta_id: cta.id, variant_id: cta.variantId };
    const host = document.createElement('nudgeflow-cta');
    parent.appendChild(host);
    try {
      renderCta(host.attachShadow({ mode: 'closed' }), cta, {
        onClick: (b) => api.track('cta_clicked', { ...props, action: b.action, label: b.label }),
        onClose: () => {
          host.remove();
          caps.record('c', cta.id);
          api.track('cta_closed', props);
        },
        onSubmit: (traits: Traits) => {
          const fields = Object.keys(traits);
          if (fields.length) api.identify(traits);
          caps.record('x', cta.id);
          api.track('cta_converted', props);
          if (cta.content.form) api.track('form_submitted', { ...props, fields });
          sender.flush();
        },
      });
    } catch (err) {
      host.remove();
      console.warn('nudgeflow: cannot render CTA', cta.id, err);
      return;
    }
    caps.record('v', cta.id);
    api.track('cta_viewed', props);
  }

  // ---- page views, SPA navigation, unload ---------------------------------------------------------
  const onNavigate = (): void => {
    if (location.href === lastUrl) return;
    referrer = lastUrl;
    api.page();
  };
  for (const m of ['pushState', 'replaceState'] as const) {
    const original = history[m];
    history[m] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      setTimeout(onNavigate, 0); // let the app update document.title first
      return result;
    };
  }
  addEventListener('popstate', onNavigate);
  addEventListener('pagehide', () => sender.beacon());
  document.addEventListener(
    'visibilitychange',
    () => document.visibilityState === 'hidden' && sender.beacon(),
  );

  window.nudgeflow = api;
  const replayPage = queued.some((c) => c[0] === 'page');
  for (const call of queued) if (call[0] !== 'init') api.push(call);
  if (!replayPage) api.page();
}

start();
