import { FLOW_SCHEMA_VERSION } from '@nudgeflow/engine';
console.log(FLOW_SCHEMA_VERSION);
