// `npm run bench -- dedupe`: the messageId dedupe window at a steady state (bench/dedupe-window.mjs).
// BENCH_DEDUPE_IDS (default 1,000,000) ids in the window; BENCH_DATABASE_URL as the other benches.
import { dedupeSteadyState, printDedupe } from './dedupe-window.mjs';
import { loadAverage, prepareDatabase } from './lib.mjs';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nudgeflow_bench';
const IDS = Number(process.env.BENCH_DEDUPE_IDS ?? 1_000_000);

await prepareDatabase(DB_URL);
console.log(`dedupe bench: ${IDS.toLocaleString('en-US')} ids, db ${DB_URL}, load ${loadAverage()}`);
printDedupe(await dedupeSteadyState({ dbUrl: DB_URL, ids: IDS }));
