import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root, from this file's location (infra/ sits at the top). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const entries = {
  api: fileURLToPath(new URL('../functions/api/lambda.ts', import.meta.url)),
  dispatcher: fileURLToPath(new URL('../functions/webhook-dispatcher/lambda.ts', import.meta.url)),
} as const;

export const depsLockFilePath = fileURLToPath(new URL('../package-lock.json', import.meta.url));

/**
 * esbuild on this machine (a dev dependency), never Docker. ESM output needs a `require` for the
 * CommonJS packages the bundle inlines (the AWS SDK's dependencies call it), hence the banner.
 * Target node22 is the code's floor (architecture §2); the runtime may be newer.
 */
export const lambdaBundling: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner:
    "import { createRequire as __wafleetCreateRequire } from 'node:module'; const require = __wafleetCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // The runtime's bundled SDK may lag our pinned clients; bundling ours keeps behaviour identical to tests.
  externalModules: [],
};
