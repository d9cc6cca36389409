export { FLOW_SCHEMA_VERSION } from '@nudgeflow/flow-schema';
