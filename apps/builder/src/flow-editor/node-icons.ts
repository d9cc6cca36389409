/** Glyphs (plain text symbols, no emoji font needed) for the registry's lucide icon names; unknown names fall back to a dot. */
const GLYPHS: Record<string, string> = {
  zap: '⚡',
  globe: '◎',
  'mouse-pointer-click': '➚',
  'user-check': '✔',
  'user-pen': '✎',
  webhook: '⇲',
  'git-branch': '⋔',
  split: '⚖',
  hourglass: '◔',
  timer: '◷',
  flag: '⚑',
  'log-out': '⏏',
  megaphone: '✦',
  send: '➤',
  'user-cog': '⚙',
  mail: '✉',
  bell: '☏',
};

export const iconGlyph = (name: string): string => GLYPHS[name] ?? '•';
