/**
 * The CTA template gallery: per kind a few starting points with good defaults (copy, colours,
 * position, trigger, caps). A welcome mat is a popup as wide as the screen, shown on load.
 */
import type { CtaConfig, CtaKind, CtaVariantConfig } from '../api/ctas';

export type GalleryKind = 'popup' | 'bar' | 'slide_in' | 'inline' | 'welcome_mat';

export interface CtaTemplate {
  id: string;
  kind: GalleryKind;
  name: string;
  blurb: string;
  config: CtaConfig;
}

export const GALLERY_KINDS: { kind: GalleryKind; label: string; description: string }[] = [
  {
    kind: 'popup',
    label: 'Popup',
    description: 'A centred box over the page: offers, sign-ups, exit intent.',
  },
  {
    kind: 'bar',
    label: 'Sticky bar',
    description: 'A thin bar at the top or bottom: announcements, shipping.',
  },
  { kind: 'slide_in', label: 'Slide-in', description: 'A card in a corner: reminders, guides, gentle asks.' },
  { kind: 'inline', label: 'Inline form', description: 'Inside the page, where a CSS selector points.' },
  { kind: 'welcome_mat', label: 'Welcome mat', description: 'Full-screen, on arrival: a first-visit offer.' },
];

/** Which embed kind renders a gallery kind. */
export const EMBED_KIND: Record<GalleryKind, CtaKind> = {
  popup: 'modal',
  bar: 'bar',
  slide_in: 'slide_in',
  inline: 'inline',
  welcome_mat: 'modal',
};

const WELCOME_MAT_WIDTH = 2000;

/** The gallery kind of a stored config (a very wide popup is a welcome mat). */
export function galleryKindOf(config: Pick<CtaConfig, 'kind' | 'variants'>): GalleryKind {
  if (config.kind === 'modal') {
    return config.variants[0]?.style.width === WELCOME_MAT_WIDTH ? 'welcome_mat' : 'popup';
  }
  return config.kind;
}

const emailForm = (submitLabel: string) => ({
  fields: [{ name: 'email', label: 'Email', type: 'email' as const, required: true }],
  submitLabel,
});

function variant(
  content: CtaVariantConfig['content'],
  style: Partial<CtaVariantConfig['style']>,
): CtaVariantConfig {
  return {
    id: 'a',
    name: 'A',
    weight: 1,
    content,
    style: { background: '#ffffff', color: '#111827', accent: '#4f46e5', position: 'center', ...style },
  };
}

function config(kind: GalleryKind, v: CtaVariantConfig, extra: Partial<CtaConfig> = {}): CtaConfig {
  return {
    kind: EMBED_KIND[kind],
    mode: 'always',
    priority: 50,
    display: { trigger: 'load' },
    variants: [v],
    targeting: { urlRules: [], excludeUrlRules: [], devices: [], visitorType: 'any' },
    caps: { hideAfterCloseDays: 7, stopAfterConversion: true },
    ...extra,
  };
}

export const CTA_TEMPLATES: readonly CtaTemplate[] = [
  {
    id: 'popup-discount',
    kind: 'popup',
    name: 'First-order discount',
    blurb: 'Email for a 10% code, after 5 seconds.',
    config: config(
      'popup',
      variant(
        {
          headline: 'Get 10% off your first order',
          body: '<p>Join the list and we will send the code right away.</p>',
          buttons: [{ label: 'No thanks', action: 'close' }],
          form: emailForm('Send my code'),
        },
        { accent: '#4f46e5' },
      ),
      { display: { trigger: 'delay', seconds: 5 } },
    ),
  },
  {
    id: 'popup-exit',
    kind: 'popup',
    name: 'Exit-intent offer',
    blurb: 'Catches visitors about to leave, once a week at most.',
    config: config(
      'popup',
      variant(
        {
          headline: 'Wait! Free shipping on your first order',
          body: '<p>Leave your email and we will hold it for 48 hours.</p>',
          buttons: [{ label: 'Maybe later', action: 'close' }],
          form: emailForm('Hold my free shipping'),
        },
        { accent: '#0f766e' },
      ),
      { display: { trigger: 'exit_intent' }, caps: { hideAfterCloseDays: 7, stopAfterConversion: true } },
    ),
  },
  {
    id: 'bar-shipping',
    kind: 'bar',
    name: 'Free shipping bar',
    blurb: 'A top bar with a threshold and a link.',
    config: config(
      'bar',
      variant(
        {
          headline: 'Free shipping on orders over $50',
          body: '',
          buttons: [{ label: 'Shop now', action: 'url', url: '/' }],
        },
        { background: '#111827', color: '#ffffff', accent: '#f59e0b', position: 'top' },
      ),
      { caps: { hideAfterCloseDays: 1, stopAfterConversion: false } },
    ),
  },
  {
    id: 'bar-announcement',
    kind: 'bar',
    name: 'Announcement',
    blurb: 'A bottom bar for news, closable.',
    config: config(
      'bar',
      variant(
        {
          headline: 'New: the spring collection is here',
          body: '',
          buttons: [{ label: 'See what is new', action: 'url', url: '/' }],
        },
        { background: '#4f46e5', color: '#ffffff', accent: '#111827', position: 'bottom' },
      ),
    ),
  },
  {
    id: 'slide-cart',
    kind: 'slide_in',
    name: 'Cart reminder',
    blurb: 'Bottom-right nudge back to the cart; best shown by a flow.',
    config: config(
      'slide_in',
      variant(
        {
          headline: 'Still thinking it over?',
          body: '<p>Your cart is saved. Free returns for 60 days.</p>',
          buttons: [
            { label: 'Back to my cart', action: 'url', url: '/cart' },
            { label: 'Not now', action: 'close' },
          ],
        },
        { position: 'bottom_right', accent: '#ea580c' },
      ),
      { mode: 'flow' },
    ),
  },
  {
    id: 'slide-guide',
    kind: 'slide_in',
    name: 'Content offer',
    blurb: 'Offer a guide after half the page is read.',
    config: config(
      'slide_in',
      variant(
        {
          headline: 'Want the two-minute buying guide?',
          body: '<p>We will email it, nothing else.</p>',
          buttons: [],
          form: emailForm('Email me the guide'),
        },
        { position: 'bottom_left' },
      ),
      { display: { trigger: 'scroll', percent: 50 } },
    ),
  },
  {
    id: 'inline-newsletter',
    kind: 'inline',
    name: 'Newsletter sign-up',
    blurb: 'A form inside your page, e.g. under an article.',
    config: config(
      'inline',
      variant(
        {
          headline: 'Get our monthly notes',
          body: '<p>New products and stories, once a month.</p>',
          buttons: [],
          form: emailForm('Subscribe'),
        },
        { background: '#f1f3f9' },
      ),
      { selector: '#newsletter' },
    ),
  },
  {
    id: 'welcome-mat',
    kind: 'welcome_mat',
    name: 'First-visit welcome mat',
    blurb: 'Full-screen on a first visit, only to new visitors.',
    config: config(
      'welcome_mat',
      variant(
        {
          headline: 'Welcome! Here is 15% off to start',
          body: '<p>One email, one code. Unsubscribe any time.</p>',
          buttons: [{ label: 'Continue to the site', action: 'close' }],
          form: emailForm('Get 15% off'),
        },
        { background: '#111827', color: '#ffffff', accent: '#f59e0b', width: WELCOME_MAT_WIDTH },
      ),
      {
        targeting: { urlRules: [], excludeUrlRules: [], devices: [], visitorType: 'new' },
        caps: { hideAfterCloseDays: 30, stopAfterConversion: true },
      },
    ),
  },
];

export const templatesOfKind = (kind: GalleryKind) => CTA_TEMPLATES.filter((t) => t.kind === kind);
