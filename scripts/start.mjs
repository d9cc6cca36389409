// Starts the API (HTTP + builder + embed script, one port) and the worker, and stops both together.
import { spawn } from 'node:child_process';

const procs = ['apps/api/dist/main.js', 'apps/api/dist/worker.js'].map((entry) =>
  spawn(process.execPath, ['--enable-source-maps', entry], { stdio: 'inherit', env: process.env }),
);
let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const p of procs) if (p.exitCode === null) p.kill(signal);
};
for (const p of procs) {
  p.on('exit', (code) => {
    if (!stopping) {
      stop('SIGTERM');
      process.exitCode = code ?? 1;
    }
  });
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
