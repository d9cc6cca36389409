/**
 * Test pages served by the collector. The probe records every shadow root the embed attaches
 * (closed roots are otherwise unreachable) and reports on the CTA from inside the browser, so the
 * spec itself needs no DOM types.
 */
const PROBE = `
window.__roots = [];
(function () {
  var attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    var root = attach.call(this, init);
    window.__roots.push(root);
    return root;
  };
})();
window.__probe = {
  find: function (id) {
    for (var i = 0; i < __roots.length; i++) {
      var box = __roots[i].querySelector('[data-cta-id="' + id + '"]');
      if (box && box.isConnected) return { root: __roots[i], box: box };
    }
    return null;
  },
  cta: function (id) {
    var f = this.find(id);
    if (!f) return null;
    var rect = f.box.getBoundingClientRect();
    var cs = getComputedStyle(f.box);
    var h2 = f.root.querySelector('h2');
    return {
      mode: f.root.mode,
      hostTag: f.root.host.localName,
      parentId: f.root.host.parentElement.id,
      headline: h2.textContent,
      headlineColor: getComputedStyle(h2).color,
      color: cs.color,
      background: cs.backgroundColor,
      display: cs.display,
      width: rect.width,
      height: rect.height,
      onTop: document.elementFromPoint(rect.left + rect.width / 2, rect.top + 4) === f.root.host,
      bodyHtml: f.root.querySelector('.t').innerHTML,
      errors: Array.prototype.map.call(f.root.querySelectorAll('.e'), function (e) { return e.textContent; }),
      status: (f.root.querySelector('[role=status]') || {}).textContent || null,
      leakedToDocument: document.querySelectorAll('[data-cta-id], h2').length,
    };
  },
  point: function (id, selector) {
    var r = this.find(id).root.querySelector(selector).getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  },
  focus: function (id, selector) {
    this.find(id).root.querySelector(selector).focus();
  },
};
`;

/** Hostile host-page CSS: none of it may reach the CTA. */
const HOSTILE_CSS = `
* { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
div { display: none !important; color: rgb(255, 0, 0) !important; background: rgb(0, 255, 0) !important; }
h2, input, form, section { font-family: serif !important; }
`;

const head = (title: string, extra = ''): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
  `<style>${HOSTILE_CSS}</style><script>${PROBE}</script>${extra}`;

const EMBED = '<script async src="/embed.js" data-write-key="wk_test"></script>';

const BODY =
  '<body><h1>Shop</h1><button id="open-bar">Open bar</button><section id="slot"></section>' +
  '<p style="height:3000px">tall</p></body></html>';

export const STUB_SNIPPET = `
window.nudgeflow = window.nudgeflow || [];
['track', 'identify', 'page', 'reset'].forEach(function (m) {
  nudgeflow[m] = nudgeflow[m] || function () { nudgeflow.push([m].concat([].slice.call(arguments))); };
});
nudgeflow.identify('user_42', { plan: 'pro' });
nudgeflow.track('Stub Event', { from: 'stub' });
`;

export const PAGES: Record<string, string> = {
  'page.html': head('Test page') + EMBED + '</head>' + BODY,
  'other.html': head('Other page') + '</head><body>other</body></html>',
  'stub.html': head('Stub page', `<script>${STUB_SNIPPET}</script>`) + EMBED + '</head>' + BODY,
};

export const XSS_BODY =
  '<p>Get <b>10%</b> off</p>' +
  '<img src="x" onerror="window.__xss=1;alert(1)">' +
  '<script>window.__xss=2;alert(2)</script>' +
  '<a href=" javascript:window.__xss=3">link</a>' +
  '<svg onload="window.__xss=4;alert(4)"></svg>' +
  '<iframe srcdoc="<script>parent.__xss=5</script>"></iframe>';

export const MODAL_CTA = {
  id: 'cta_modal',
  variantId: 'var_a',
  kind: 'modal',
  display: { trigger: 'load' },
  content: {
    headline: 'Join the list <b>now</b>',
    body: XSS_BODY,
    buttons: [{ label: 'No thanks', action: 'close' }],
    form: {
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'name', label: 'Name', type: 'text', required: false },
      ],
      submitLabel: 'Get my code',
    },
  },
  style: {
    background: 'rgb(255, 255, 255)',
    color: 'rgb(17, 34, 51)',
    accent: '#2563eb',
    position: 'center',
  },
};

export const BAR_CTA = {
  id: 'cta_bar',
  variantId: 'var_b',
  kind: 'bar',
  display: { trigger: 'click', selector: '#open-bar' },
  content: {
    headline: 'Free shipping today',
    body: '',
    buttons: [{ label: 'Shop', action: 'url', url: '/other.html' }],
  },
  style: { background: '#111', color: '#fff', accent: '#f59e0b', position: 'top' },
};

export const INLINE_CTA = {
  id: 'cta_inline',
  variantId: 'var_c',
  kind: 'inline',
  selector: '#slot',
  display: { trigger: 'load' },
  content: { headline: 'Pushed live', body: '<p>hello</p>', buttons: [] },
  style: { background: '#eef', color: '#123', accent: '#00f', position: 'center' },
};

const slideIn = (
  id: string,
  position: string,
  display: Record<string, unknown>,
): Record<string, unknown> => ({
  id,
  variantId: 'v1',
  kind: 'slide_in',
  display,
  content: { headline: id, body: '', buttons: [{ label: 'OK', action: 'close' }] },
  style: { background: '#fff', color: '#000', accent: '#00f', position },
});

export const TRIGGER_CTAS = [
  slideIn('cta_delay', 'bottom_right', { trigger: 'delay', seconds: 1 }),
  slideIn('cta_scroll', 'bottom_left', { trigger: 'scroll', percent: 50 }),
  {
    ...MODAL_CTA,
    id: 'cta_exit',
    content: { ...MODAL_CTA.content, form: undefined },
    display: { trigger: 'exit_intent' },
  },
];
