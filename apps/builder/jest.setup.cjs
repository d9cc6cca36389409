// jsdom lacks the encoders react-router needs at import time: Node's, for component tests.
globalThis.TextEncoder ??= require('node:util').TextEncoder; // eslint-disable-line @typescript-eslint/no-require-imports
globalThis.TextDecoder ??= require('node:util').TextDecoder; // eslint-disable-line @typescript-eslint/no-require-imports
