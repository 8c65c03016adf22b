import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { TableKey } from '../shared/resources.js';
import { depsLockFilePath, entries, lambdaBundling, repoRoot } from './bundling.js';
import type { GatewayData } from './data.js';
import type { GatewayQueues } from './queues.js';
import { commonRuntimeEnv, type RuntimeEnv } from './runtime-env.js';

/** The tables the API's stores write (functions/api/deps.ts; webhook replay resets event rows). */
export const API_WRITE_TABLES: readonly TableKey[] = [
  'tenants',
  'apiKeys',
  'sessions',
  'messages',
  'idempotency',
  'rateLimits',
  'webhookEvents',
];
/** Tables it only reads: the delivery log shown per event. */
export const API_READ_TABLES: readonly TableKey[] = ['webhookAttempts'];

/** Whole-API limits in front of the per-tenant limits the app keeps in DynamoDB (architecture §4). */
export const API_THROTTLE = { rateLimit: 200, burstLimit: 400 } as const;

export interface GatewayApiProps {
  resourcePrefix: string;
  shardCount: number;
  data: GatewayData;
  queues: GatewayQueues;
  adminKey: secretsmanager.ISecret;
  logRetention: logs.RetentionDays;
  domain?: { name: string; certificateArn?: string };
}

/**
 * HTTP API (not REST): a third of the price, 30 s integration timeout and 10 MB payloads are
 * enough, and REST's usage plans would only duplicate our per-tenant limits (architecture §4).
 * One `$default` route sends everything to the Hono app, which does routing and auth itself.
 */
export class GatewayApi extends Construct {
  readonly function: NodejsFunction;
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    const { data, queues } = props;

    const environment: RuntimeEnv = {
      ...commonRuntimeEnv(props),
      BUCKET_NAME: data.bucket.bucketName,
      ADMIN_API_KEY_SECRET_ARN: props.adminKey.secretArn,
    };
    this.function = new NodejsFunction(this, 'Function', {
      description: 'wafleet HTTP API (Hono)',
      entry: entries.api,
      projectRoot: repoRoot,
      depsLockFilePath,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 1024,
      // Below the HTTP API's 30 s integration limit, so a slow call ends as our error, not a gateway 503.
      timeout: Duration.seconds(25),
      bundling: lambdaBundling,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
      tracing: lambda.Tracing.ACTIVE,
    });

    for (const table of API_WRITE_TABLES) data.tables[table].grantReadWriteData(this.function);
    for (const table of API_READ_TABLES) data.tables[table].grantReadData(this.function);
    for (const { queue } of queues.commands) queue.grantSendMessages(this.function);
    // Replay puts events back on the webhook queue.
    queues.webhooks.queue.grantSendMessages(this.function);
    props.adminKey.grantRead(this.function);
    // Links to received media are presigned with the function's own role.
    data.grantMediaRead(this.function);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${props.resourcePrefix}-api`,
      description: 'wafleet WhatsApp gateway',
      defaultIntegration: new HttpLambdaIntegration('Api', this.function),
      createDefaultStage: false,
      // With a custom domain, clients use it only.
      disableExecuteApiEndpoint: Boolean(props.domain),
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // No query strings or bodies: they may carry phone numbers.
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTimeEpoch',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
      domainMapping: props.domain && { domainName: this.customDomain(props.domain) },
    });

    new CfnOutput(this, 'Url', {
      description: 'Base URL of the API (routes live under /api/whatsapp)',
      value: props.domain ? `https://${props.domain.name}` : (this.stage.url ?? this.httpApi.apiEndpoint),
    });
  }

  private customDomain(domain: { name: string; certificateArn?: string }): apigwv2.DomainName {
    // Without an ARN the certificate is DNS-validated by hand: deploy waits until the CNAME exists.
    const certificate = domain.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn)
      : new acm.Certificate(this, 'Certificate', {
          domainName: domain.name,
          validation: acm.CertificateValidation.fromDns(),
        });
    const domainName = new apigwv2.DomainName(this, 'DomainName', {
      domainName: domain.name,
      certificate,
      securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
    });
    new CfnOutput(this, 'DomainTarget', {
      description: `Point ${domain.name} (CNAME or alias) at this name`,
      value: domainName.regionalDomainName,
    });
    return domainName;
  }
}
