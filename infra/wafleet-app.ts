import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { gatewayPropsFromContext } from './context.js';
import { WafleetStack } from './stack.js';

export interface WafleetAppOptions {
  /** Context on top of cdk.json's (the CLI passes its own through the environment). */
  context?: Record<string, unknown>;
  /** Run cdk-nag's AwsSolutions pack at synth. @default true */
  nag?: boolean;
}

/** The app `npx cdk synth` builds; the tests build the same one. */
export function buildWafleetApp(options: WafleetAppOptions = {}): { app: App; stack: WafleetStack } {
  const app = new App({ context: options.context });
  const gateway = gatewayPropsFromContext(app.node);
  // Environment-agnostic unless the CLI supplies an account and region: synth needs no AWS lookups.
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new WafleetStack(app, `Wafleet-${gateway.resourcePrefix}`, {
    description: 'wafleet: multi-tenant WhatsApp gateway',
    env: account && region ? { account, region } : undefined,
    gateway,
  });
  if (options.nag ?? true) {
    // cdk-nag 3 is a policy-validation plugin: a finding not acknowledged in nag.ts fails synth.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, stack };
}
