export * from './engine-types';
export * from './flow-engine';
export * from './trigger-matching';
export * from './rule-evaluation';
export * from './template-rendering';
export * from './time-window';
export * from './stable-hash';
export { getPath, toJsonValue } from './json-value';
export * from './recorded-event';
