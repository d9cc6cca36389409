import type { TemplateNode } from './template-syntax';

/**
 * Every variable a flow template can use, as the engine's template view provides it (libs/engine,
 * `templateView`). The builder offers these as suggestions; publish refuses any other name, so a
 * misspelt or imagined variable is an error on its node instead of an empty string at send time.
 * A path ending in `.*` stands for any key below it (`visitor.traits.first_name`).
 */
export interface TemplateVariable {
  path: string;
  description: string;
}

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { path: 'visitor.id', description: "The visitor's Nudgeflow id" },
  {
    path: 'visitor.anonymousId',
    description:
      'The latest anonymous id of the visitor (embed script or SDK); empty for server-only visitors',
  },
  {
    path: 'visitor.userId',
    description: 'Your user id for the visitor, once identified (inbound hooks set it)',
  },
  { path: 'visitor.traits.*', description: 'A trait, e.g. visitor.traits.first_name' },
  {
    path: 'visitor.tags',
    description: "The visitor's tags (a list: use {{#visitor.tags}}{{.}}{{/visitor.tags}})",
  },
  { path: 'visitor.visitCount', description: 'Number of visits' },
  { path: 'visitor.firstSeenAt', description: 'When the visitor was first seen (ISO 8601)' },
  { path: 'visitor.device', description: 'desktop, mobile or tablet' },
  { path: 'visitor.utm.*', description: 'A UTM parameter of the visit, e.g. visitor.utm.campaign' },
  { path: 'visitor.pageUrl', description: 'The page the visitor was last seen on' },
  { path: 'trigger.name', description: 'Name of the event that started the run' },
  { path: 'trigger.id', description: 'Message id of the event that started the run' },
  { path: 'trigger.timestamp', description: 'When the event that started the run happened (ISO 8601)' },
  { path: 'trigger.properties.*', description: 'A property of the event that started the run' },
  {
    path: 'event.name',
    description: 'Name of the latest event of the run (the trigger, or what a wait received)',
  },
  { path: 'event.id', description: 'Message id of the latest event of the run' },
  { path: 'event.timestamp', description: 'When the latest event of the run happened (ISO 8601)' },
  { path: 'event.properties.*', description: 'A property of the latest event of the run' },
  { path: 'run.id', description: 'The run id' },
  { path: 'site.id', description: 'The site id' },
  { path: 'site.timezone', description: "The site's time zone (IANA)" },
  { path: 'now', description: 'The time of the step (ISO 8601)' },
];

const EXACT = new Set(TEMPLATE_VARIABLES.filter((v) => !v.path.endsWith('.*')).map((v) => v.path));
const OPEN = TEMPLATE_VARIABLES.filter((v) => v.path.endsWith('.*')).map((v) => v.path.slice(0, -2));
const ROOTS = new Set(TEMPLATE_VARIABLES.map((v) => v.path.split('.')[0]));

/** Whether a template name is in the catalogue (an open path also as a whole, for sections). */
export function isKnownTemplateVariable(name: string): boolean {
  return EXACT.has(name) || OPEN.some((base) => name === base || name.startsWith(`${base}.`));
}

/**
 * Names a parsed template uses that are not in the catalogue. Inside a section a name may be
 * relative to the section's item (`{{.}}`, `{{title}}`), so only names that start at one of the
 * view's roots (`visitor`, `event`, …) are checked there.
 */
export function unknownTemplateVariables(nodes: TemplateNode[], inSection = false): string[] {
  const unknown: string[] = [];
  for (const node of nodes) {
    if (node.kind === 'text') continue;
    const relative = inSection && (node.name === '.' || !ROOTS.has(node.name.split('.')[0]));
    if (!relative && !isKnownTemplateVariable(node.name)) unknown.push(node.name);
    if (node.kind === 'section') unknown.push(...unknownTemplateVariables(node.children, true));
  }
  return [...new Set(unknown)];
}
