/**
 * The demo shop's pages (`/demo-shop/…`, served by the API when `npm run demo` runs): a few products,
 * a cart and a checkout, with the real embed snippet and the demo site's write key. The page script
 * sends the shop's own events through the embed (`add_to_cart`, `checkout_completed`, `purchase`,
 * `exit_intent`, and an identify from the newsletter form), the events the demo flows listen to.
 */

export interface DemoProduct {
  slug: string;
  name: string;
  price: number;
  blurb: string;
  colour: string;
}

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  {
    slug: 'trail-runner',
    name: 'Trail Runner shoes',
    price: 129,
    blurb: 'Grippy, light, happy in mud.',
    colour: '#f97316',
  },
  {
    slug: 'merino-hoodie',
    name: 'Merino hoodie',
    price: 89,
    blurb: 'Warm on the hill, fresh after.',
    colour: '#0ea5e9',
  },
  {
    slug: 'canvas-pack',
    name: 'Canvas day pack',
    price: 64,
    blurb: '22 litres, waxed, with a laptop sleeve.',
    colour: '#84cc16',
  },
  {
    slug: 'steel-bottle',
    name: 'Insulated bottle',
    price: 32,
    blurb: 'Cold for 24 h, hot for 12.',
    colour: '#a855f7',
  },
];

export const DEMO_SHOP_PATH = '/demo-shop';

export type DemoShopPage =
  | { kind: 'home' }
  | { kind: 'product'; product: DemoProduct }
  | { kind: 'cart' }
  | { kind: 'checkout' }
  | { kind: 'thanks' };

/** Which page a path under /demo-shop is, or undefined for a 404. */
export function demoShopPage(path: string): DemoShopPage | undefined {
  const rest = path
    .replace(/[?#].*$/, '')
    .slice(DEMO_SHOP_PATH.length)
    .replace(/\/+$/, '');
  if (rest === '') return { kind: 'home' };
  if (rest === '/cart') return { kind: 'cart' };
  if (rest === '/checkout') return { kind: 'checkout' };
  if (rest === '/thanks') return { kind: 'thanks' };
  const m = /^\/products\/([a-z0-9-]+)$/.exec(rest);
  const product = m && DEMO_PRODUCTS.find((p) => p.slug === m[1]);
  return product ? { kind: 'product', product } : undefined;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The snippet the builder shows in site settings, plus the queue stub so early calls are kept. */
export function embedSnippet(origin: string, writeKey: string): string {
  return `<script async src="${esc(origin)}/embed.js" data-write-key="${esc(writeKey)}"></script>`;
}

const STUB = `window.nudgeflow=window.nudgeflow||[];['track','identify','page','reset'].forEach(function(m){nudgeflow[m]=nudgeflow[m]||function(){nudgeflow.push([m].concat([].slice.call(arguments)));};});`;

// The shop's behaviour: a cart in localStorage, and the events the demo flows and funnels use.
const SHOP_SCRIPT = `
(function(){
  var products = ${JSON.stringify(Object.fromEntries(DEMO_PRODUCTS.map((p) => [p.slug, { name: p.name, price: p.price }])))};
  function cart(){ try { return JSON.parse(localStorage.getItem('demo_cart')) || {id: newId(), items: []}; } catch(e) { return {id: newId(), items: []}; } }
  function newId(){ return 'cart_' + Math.random().toString(36).slice(2, 10); }
  function save(c){ localStorage.setItem('demo_cart', JSON.stringify(c)); render(); }
  function total(c){ return c.items.reduce(function(s, slug){ return s + (products[slug] ? products[slug].price : 0); }, 0); }
  function render(){
    var c = cart();
    document.querySelectorAll('[data-cart-count]').forEach(function(el){ el.textContent = String(c.items.length); });
    var list = document.querySelector('[data-cart-items]');
    if (list) {
      list.innerHTML = '';
      if (!c.items.length) list.innerHTML = '<li class="muted">Your cart is empty.</li>';
      c.items.forEach(function(slug){ var li = document.createElement('li'); li.textContent = products[slug].name + ' — $' + products[slug].price; list.appendChild(li); });
    }
    document.querySelectorAll('[data-cart-total]').forEach(function(el){ el.textContent = '$' + total(c); });
  }
  document.addEventListener('click', function(e){
    var add = e.target.closest && e.target.closest('[data-add-to-cart]');
    if (add) {
      var c = cart(); var slug = add.getAttribute('data-add-to-cart');
      c.items.push(slug); save(c);
      nudgeflow.track('add_to_cart', {cart_id: c.id, product: slug, price: products[slug].price, cart_value: total(c)});
      add.textContent = 'Added ✓';
    }
    var order = e.target.closest && e.target.closest('[data-place-order]');
    if (order) {
      var c2 = cart();
      nudgeflow.track('purchase', {cart_id: c2.id, revenue: total(c2), currency: 'USD'});
      nudgeflow.track('checkout_completed', {cart_id: c2.id, revenue: total(c2)});
      localStorage.removeItem('demo_cart');
      setTimeout(function(){ location.href = '${DEMO_SHOP_PATH}/thanks'; }, 400);
    }
  });
  document.addEventListener('submit', function(e){
    if (e.target.getAttribute('data-newsletter') === null) return;
    e.preventDefault();
    var email = e.target.querySelector('input[type=email]').value;
    nudgeflow.identify(email, {email: email, first_name: email.split('@')[0]});
    e.target.innerHTML = '<p>Thanks! Check your inbox.</p>';
  });
  var left = false;
  document.addEventListener('mouseout', function(e){
    if (left || e.relatedTarget || e.clientY > 0) return;
    left = true; nudgeflow.track('exit_intent', {path: location.pathname});
  });
  render();
})();`;

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2937;background:#fafaf9}
a{color:inherit}header{display:flex;align-items:center;gap:24px;padding:16px 32px;background:#fff;border-bottom:1px solid #e7e5e4}
header .brand{font-weight:800;font-size:20px;text-decoration:none}header nav{display:flex;gap:16px;flex:1}header nav a{text-decoration:none;color:#57534e}
.notice{background:#fef3c7;color:#78350f;font-size:13px;padding:6px 32px}main{max-width:1040px;margin:0 auto;padding:32px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:20px}.card{background:#fff;border:1px solid #e7e5e4;border-radius:12px;overflow:hidden}
.card .art{height:150px}.card .body{padding:14px 16px}.price{font-weight:700}.muted{color:#78716c}
.btn{display:inline-block;border:0;border-radius:8px;padding:10px 16px;background:#1c1917;color:#fff;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.btn--light{background:#e7e5e4;color:#1c1917}.hero{display:grid;grid-template-columns:1fr 1fr;gap:32px;align-items:center}.hero .art{height:320px;border-radius:16px}
footer{max-width:1040px;margin:0 auto;padding:24px 32px 64px;color:#57534e}footer form{display:flex;gap:8px;max-width:420px}
input{font:inherit;padding:9px 12px;border:1px solid #d6d3d1;border-radius:8px;flex:1}`;

function layout(title: string, origin: string, writeKey: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Nudgeflow demo shop</title>
<style>${STYLE}</style>
<script>${STUB}</script>
${embedSnippet(origin, writeKey)}
</head>
<body>
<div class="notice">This is Nudgeflow's demo shop: nothing is for sale. The snippet in this page's &lt;head&gt; is the real one.</div>
<header>
  <a class="brand" href="${DEMO_SHOP_PATH}/">Ridge &amp; Co.</a>
  <nav>${DEMO_PRODUCTS.map((p) => `<a href="${DEMO_SHOP_PATH}/products/${p.slug}">${esc(p.name)}</a>`).join('')}</nav>
  <a class="btn btn--light" href="${DEMO_SHOP_PATH}/cart">Cart (<span data-cart-count>0</span>)</a>
</header>
<main id="main">
${content}
</main>
<footer>
  <p><strong>Newsletter.</strong> New gear and trail notes, once a month.</p>
  <form data-newsletter><label class="muted" for="nl-email" hidden>Email</label><input id="nl-email" type="email" required placeholder="you@example.com"><button class="btn" type="submit">Subscribe</button></form>
</footer>
<script>${SHOP_SCRIPT}</script>
</body>
</html>`;
}

const art = (p: DemoProduct) =>
  `<div class="art" role="img" aria-label="${esc(p.name)}" style="background:linear-gradient(135deg, ${p.colour}, #fde68a)"></div>`;

/** The HTML of one page, with the embed snippet pointing at `origin`. */
export function renderDemoShopPage(page: DemoShopPage, origin: string, writeKey: string): string {
  switch (page.kind) {
    case 'home':
      return layout(
        'Shop',
        origin,
        writeKey,
        `<h1>Gear for long days outside</h1>
<div class="grid">${DEMO_PRODUCTS.map(
          (
            p,
          ) => `<a class="card" href="${DEMO_SHOP_PATH}/products/${p.slug}" style="text-decoration:none">${art(p)}
<div class="body"><strong>${esc(p.name)}</strong><div class="muted">${esc(p.blurb)}</div><div class="price">$${p.price}</div></div></a>`,
        ).join('\n')}</div>`,
      );
    case 'product': {
      const p = page.product;
      return layout(
        p.name,
        origin,
        writeKey,
        `<div class="hero">${art(p)}<div><h1>${esc(p.name)}</h1><p class="muted">${esc(p.blurb)}</p>
<p class="price">$${p.price}</p><button class="btn" type="button" data-add-to-cart="${p.slug}">Add to cart</button>
<p><a href="${DEMO_SHOP_PATH}/cart">Go to cart →</a></p></div></div>`,
      );
    }
    case 'cart':
      return layout(
        'Cart',
        origin,
        writeKey,
        `<h1>Your cart</h1><ul data-cart-items></ul><p>Total: <strong data-cart-total>$0</strong></p>
<a class="btn" href="${DEMO_SHOP_PATH}/checkout">Checkout</a>`,
      );
    case 'checkout':
      return layout(
        'Checkout',
        origin,
        writeKey,
        `<h1>Checkout</h1><p>Total: <strong data-cart-total>$0</strong></p>
<p class="muted">No card needed: this shop is a demo.</p><button class="btn" type="button" data-place-order>Place order</button>`,
      );
    case 'thanks':
      return layout(
        'Thank you',
        origin,
        writeKey,
        `<h1>Thank you!</h1><p>Your (pretend) order is on its way.</p><a class="btn" href="${DEMO_SHOP_PATH}/">Keep shopping</a>`,
      );
    default: {
      const _never: never = page;
      return _never;
    }
  }
}
