import { readFileSync } from 'node:fs';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { WafleetStack } from '../../infra/stack.js';
import { buildWafleetApp } from '../../infra/wafleet-app.js';

// CDK's built-in CloudFormation schema check loads a WebAssembly validator (seconds on a busy
// 2-core machine) on every first synth; one test in security.test.ts runs it, the rest skip it.
process.env.CDK_VALIDATION ??= 'false';

/** cdk.json's context, so the tests build what `npx cdk synth` builds. */
export const cdkContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

export interface Synthesized {
  app: App;
  stack: WafleetStack;
  template: Template;
}

/**
 * The app infra/app.ts builds, with context overrides, not yet synthesized. Lambda bundling
 * (esbuild, about a second per function) is skipped unless asked for: only the bundle test needs it.
 * cdk-nag is left to the tests that check it, which call it directly.
 */
export function buildGateway(
  overrides: Record<string, unknown> = {},
  options: { bundle?: boolean; nag?: boolean } = {},
): { app: App; stack: WafleetStack } {
  return buildWafleetApp({
    context: {
      ...cdkContext,
      ...overrides,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
    nag: options.nag ?? false,
  });
}

export function synthGateway(
  overrides: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): Synthesized {
  const { app, stack } = buildGateway(overrides, options);
  return { app, stack, template: Template.fromStack(stack) };
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export const resourcesOfType = (template: Template, type: string) =>
  Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);
