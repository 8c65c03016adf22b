import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { GatewayApi } from './api.js';
import { GatewayData } from './data.js';
import { WEBHOOK_QUEUE_VISIBILITY, WebhookDispatcher } from './dispatcher.js';
import { GatewayMonitoring } from './monitoring.js';
import { GatewayQueues } from './queues.js';
import { SocketHost } from './socket-host.js';

export interface WhatsAppGatewayProps {
  /** Prefix of every table and queue name (RESOURCE_PREFIX); one deployment per prefix and region. */
  resourcePrefix: string;
  /** Fixed at deploy: changing it moves tenants between shards (architecture §5). */
  shardCount: number;
  socketHost: {
    taskCount: number;
    maxTaskCount?: number;
    cpu: number;
    memoryMiB: number;
    /** Autoscaling target; a starting point until bench/baileys-idle.ts numbers say otherwise. */
    sessionsPerTask?: number;
  };
  /** Days media and auth snapshots are kept in the bucket. */
  retentionDays: number;
  /** Alarms go to an SNS topic; this address is subscribed when given. */
  alarmEmail?: string;
  /** Custom domain for the API; without certificateArn a DNS-validated certificate is requested. */
  domain?: { name: string; certificateArn?: string };
  /** Tables, bucket, key and secret on stack deletion. @default RemovalPolicy.RETAIN */
  dataRemovalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
}

export const DEFAULT_SESSIONS_PER_TASK = 250;

/** The whole gateway (architecture §1): data, queues, API, webhook dispatcher, socket hosts, monitoring. */
export class WhatsAppGateway extends Construct {
  readonly data: GatewayData;
  readonly queues: GatewayQueues;
  readonly adminKey: secretsmanager.Secret;
  readonly api: GatewayApi;
  readonly dispatcher: WebhookDispatcher;
  readonly socketHost: SocketHost;
  readonly monitoring: GatewayMonitoring;

  constructor(scope: Construct, id: string, props: WhatsAppGatewayProps) {
    super(scope, id);
    const { resourcePrefix, shardCount } = props;
    const removalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.data = new GatewayData(this, 'Data', {
      resourcePrefix,
      retentionDays: props.retentionDays,
      removalPolicy,
    });
    this.queues = new GatewayQueues(this, 'Queues', {
      resourcePrefix,
      shardCount,
      key: this.data.key,
      webhookVisibilityTimeout: WEBHOOK_QUEUE_VISIBILITY,
    });
    this.adminKey = new secretsmanager.Secret(this, 'AdminApiKey', {
      description: `wafleet ${resourcePrefix}: the admin API key (manages tenants)`,
      encryptionKey: this.data.key,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });

    this.api = new GatewayApi(this, 'Api', {
      resourcePrefix,
      shardCount,
      data: this.data,
      queues: this.queues,
      adminKey: this.adminKey,
      logRetention,
      domain: props.domain,
    });
    this.dispatcher = new WebhookDispatcher(this, 'WebhookDispatcher', {
      resourcePrefix,
      shardCount,
      data: this.data,
      webhooks: this.queues.webhooks,
      logRetention,
    });
    this.socketHost = new SocketHost(this, 'SocketHost', {
      resourcePrefix,
      shardCount,
      data: this.data,
      queues: this.queues,
      taskCount: props.socketHost.taskCount,
      maxTaskCount: props.socketHost.maxTaskCount,
      cpu: props.socketHost.cpu,
      memoryMiB: props.socketHost.memoryMiB,
      sessionsPerTask: props.socketHost.sessionsPerTask ?? DEFAULT_SESSIONS_PER_TASK,
      logRetention,
    });
    this.monitoring = new GatewayMonitoring(this, 'Monitoring', {
      resourcePrefix,
      key: this.data.key,
      api: this.api,
      dispatcher: this.dispatcher.function,
      queues: this.queues,
      alarmEmail: props.alarmEmail,
    });

    new CfnOutput(this, 'AdminApiKeySecretArn', {
      description:
        'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
      value: this.adminKey.secretArn,
    });
    new CfnOutput(this, 'BucketName', { value: this.data.bucket.bucketName });
  }
}
