export function uuid(): string {
  const c = window.crypto;
  // randomUUID exists only in secure contexts (https, localhost).
  if (c && c.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  if (c && c.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  let s = '';
  for (let i = 0; i < 16; i++)
    s += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b[i] + 256).toString(16).slice(1);
  return s;
}

/** localStorage that never throws (disabled storage, Safari private mode, quota). */
export const store = {
  get(key: string): string | null {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string | null): void {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      // storage unavailable: keep working in memory
    }
  },
};

export function getCookie(name: string): string | null {
  const m = document.cookie.match(new RegExp('(?:^|;\\s*)' + name + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : null;
}

export function setCookie(name: string, value: string, maxAgeSeconds: number): void {
  document.cookie =
    name +
    '=' +
    encodeURIComponent(value) +
    '; path=/; max-age=' +
    maxAgeSeconds +
    '; SameSite=Lax' +
    (location.protocol === 'https:' ? '; Secure' : '');
}

export function onReady(fn: () => void): void {
  if (document.body) fn();
  else document.addEventListener('DOMContentLoaded', fn);
}
