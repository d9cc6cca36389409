/**
 * Wire types shared by the embed script and the builder's live preview.
 * They mirror the `/v1/decide` response; keep them in step with the API's decide DTO.
 */
export type CtaKind = 'modal' | 'bar' | 'slide_in' | 'inline';
export type CtaTrigger = 'load' | 'delay' | 'scroll' | 'exit_intent' | 'click';
export type CtaPosition = 'center' | 'top' | 'bottom' | 'bottom_right' | 'bottom_left';

export interface CtaDisplay {
  trigger: CtaTrigger;
  seconds?: number;
  percent?: number;
  selector?: string;
}

export interface CtaButton {
  label: string;
  action: 'url' | 'close' | 'submit';
  url?: string;
}

export interface CtaField {
  name: string;
  label: string;
  type: 'email' | 'text' | 'tel';
  required: boolean;
}

export interface CtaForm {
  fields: CtaField[];
  submitLabel: string;
}

export interface CtaContent {
  headline: string;
  /** Sanitised on the server; sanitised again on the client before insertion. */
  body: string;
  imageUrl?: string;
  buttons: CtaButton[];
  form?: CtaForm;
}

export interface CtaStyle {
  background: string;
  color: string;
  accent: string;
  position: CtaPosition;
  width?: number | string;
}

/** The CTA's frequency caps (the API's `caps`), applied by the script too (caps.ts). */
export interface CtaCaps {
  hideAfterCloseDays?: number;
  maxPerSession?: number;
  maxPerDay?: number;
  stopAfterConversion?: boolean;
}

export interface Cta {
  id: string;
  variantId: string;
  kind: CtaKind;
  /** Target element for `inline` CTAs. */
  selector?: string;
  display: CtaDisplay;
  content: CtaContent;
  style: CtaStyle;
  caps?: CtaCaps;
}

export interface DecideResponse {
  ctas: Cta[];
  live?: { url: string };
}

export type Traits = Record<string, string>;
