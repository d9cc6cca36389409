import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const lib = (path: string) => fileURLToPath(new URL(`../../libs/${path}`, import.meta.url));
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      '@nudgeflow/flow-schema': lib('flow-schema/src/index.ts'),
      '@nudgeflow/engine': lib('engine/src/index.ts'),
      '@nudgeflow/embed/render-cta': lib('embed/src/render-cta.ts'),
    },
  },
  server: {
    proxy: {
      '/api': api,
      '/v1': api,
      '/embed.js': api,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1600,
  },
});
