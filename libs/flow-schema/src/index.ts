export const FLOW_SCHEMA_VERSION = 1;
