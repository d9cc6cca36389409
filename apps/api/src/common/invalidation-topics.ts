/**
 * The cross-process cache invalidation topics (`InvalidationBus.on` / `publish`), one constant each:
 * a publisher and its listeners name the same member, so a topic cannot be misspelt on one side.
 */
export const InvalidationTopic = {
  /** A flow published, paused or archived (message: site id): the runtime's flow index drops the site. */
  Flows: 'flows',
  /** A CTA published or removed (message: site id): the decision API's CTA cache drops the site. */
  Ctas: 'ctas',
  /** A site key created, rotated or revoked (message: site id): key verification drops the site's keys. */
  SiteKeys: 'site-keys',
  /** A webhook endpoint changed (message: site id): producers drop the site's subscribed types. */
  WebhookEndpoints: 'webhook-endpoints',
  /** A pending on-site message for a connected visitor (message: site and visitor): the live hub pushes it. */
  OnsitePush: 'onsite-push',
} as const;

export type InvalidationTopic = (typeof InvalidationTopic)[keyof typeof InvalidationTopic];
