import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/**
 * The socket host's production bundle: one ESM file the Docker image runs with plain `node`.
 * Baileys' optional media helpers stay external: it imports them lazily and works without them.
 * Shared with test/infra so the bundle is checked on every test run, not first at deploy.
 */
export const SOCKET_HOST_OPTIONAL_EXTERNALS = ['sharp', 'jimp', 'link-preview-js', 'audio-decode'];

export const socketHostBuildOptions = (outfile: string): BuildOptions => ({
  entryPoints: [fileURLToPath(new URL('../socket-host/main.ts', import.meta.url))],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  external: SOCKET_HOST_OPTIONAL_EXTERNALS,
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __wafleetCreateRequire } from 'node:module'; const require = __wafleetCreateRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
});

// `npx tsx infra/socket-host-bundle.ts [outfile]` — the Dockerfile's build step.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build(socketHostBuildOptions(process.argv[2] ?? 'dist/socket-host.mjs'));
}
