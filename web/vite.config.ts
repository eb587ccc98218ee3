import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the Python server (engine/console/) from the
// static/ folder next to it; during development `npm run dev` proxies the API.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: '../engine/console/static',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:10002',
    },
  },
});
