/** The demo marketer, account and site that `npm run seed` creates (and the demo fills). */
export const DEMO = {
  email: 'demo@nudgeflow.dev',
  password: 'nudgeflow-demo',
  name: 'Demo Marketer',
  account: 'Demo Company',
  site: 'Demo Shop',
  domain: 'shop.nudgeflow.dev',
};
