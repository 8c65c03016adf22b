import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bucketLayout, type TableKey } from '../shared/resources.js';
import { repoRoot } from './bundling.js';
import type { GatewayData } from './data.js';
import { gatewayMetric, metricNames } from './metrics.js';
import type { GatewayQueues } from './queues.js';
import { commonRuntimeEnv, type RuntimeEnv } from './runtime-env.js';

/** Tables the socket host writes: sessions, auth state and fences, leases, history, and events it publishes. */
export const SOCKET_HOST_WRITE_TABLES: readonly TableKey[] = [
  'sessions',
  'authState',
  'leases',
  'messages',
  'webhookEvents',
];
/** Tables it only reads (a tenant's status and settings). */
export const SOCKET_HOST_READ_TABLES: readonly TableKey[] = ['tenants'];

export const HEALTH_PORT = 8080;

/** Kept out of the Docker build context and out of the asset hash, so synth hashes only sources. */
export const IMAGE_ASSET_EXCLUDES = [
  'node_modules',
  '.git',
  '.wafleet',
  'cdk.out',
  'coverage',
  'bench',
  'test',
  '*.log',
];

export interface SocketHostProps {
  resourcePrefix: string;
  shardCount: number;
  data: GatewayData;
  queues: GatewayQueues;
  taskCount: number;
  /** Upper bound for autoscaling; never above the shard count, since a task without a shard idles. */
  maxTaskCount?: number;
  cpu: number;
  memoryMiB: number;
  /** Target for autoscaling: average SessionsConnected per task. */
  sessionsPerTask: number;
  logRetention: logs.RetentionDays;
}

/**
 * The long-running Baileys hosts (architecture §1, §5): Fargate tasks on ARM64 in public subnets with a
 * public IP each and no inbound rule. No NAT gateway: it would cost more than the tasks, and a
 * distinct outbound address per task spreads tenants over IPs (architecture §12). DynamoDB and S3 are
 * reached through free gateway endpoints.
 */
export class SocketHost extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SocketHostProps) {
    super(scope, id);
    const { data } = props;

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });

    const environment: RuntimeEnv = {
      ...commonRuntimeEnv(props),
      BUCKET_NAME: data.bucket.bucketName,
      AWS_REGION: Stack.of(this).region,
      HOST_HEALTH_PORT: String(HEALTH_PORT),
      // Each task has its own public IP; WhatsApp limits some requests per address (architecture §12).
      EGRESS_IP_URL: 'https://checkip.amazonaws.com',
    };
    this.taskDefinition.addContainer('socket-host', {
      // Built by Docker at deploy time only; synth just hashes the context.
      image: ecs.ContainerImage.fromAsset(repoRoot, {
        file: 'socket-host/Dockerfile',
        platform: Platform.LINUX_ARM64,
        exclude: IMAGE_ASSET_EXCLUDES,
      }),
      environment: environment as Record<string, string>,
      // Non-blocking: a slow CloudWatch Logs must never stall the event loop that keeps every
      // socket's keep-alive going; lines beyond a 25 MB buffer are dropped instead.
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'socket-host',
        logGroup: this.logGroup,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      // ECS ignores the Dockerfile's HEALTHCHECK; this is the same probe.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${HEALTH_PORT}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      // SIGTERM, then 120 s to release leases and close sockets without logging out (architecture §5).
      stopTimeout: Duration.seconds(120),
      readonlyRootFilesystem: true,
    });
    // Node and Baileys want a writable /tmp even with a read-only root.
    this.taskDefinition.addVolume({ name: 'tmp' });
    this.taskDefinition.defaultContainer?.addMountPoints({
      containerPath: '/tmp',
      sourceVolume: 'tmp',
      readOnly: false,
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'socket host: outbound only (WhatsApp, AWS APIs)',
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.taskCount,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [securityGroup],
      // Start the new task before stopping an old one, so leases move to a live owner.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
    });

    this.grantAccess(props);
    this.autoscale(props);
  }

  private grantAccess({ data, queues }: SocketHostProps): void {
    const role = this.taskDefinition.taskRole;
    for (const table of SOCKET_HOST_WRITE_TABLES) data.tables[table].grantReadWriteData(role);
    for (const table of SOCKET_HOST_READ_TABLES) data.tables[table].grantReadData(role);
    for (const { queue } of queues.commands) queue.grantConsumeMessages(role);
    queues.webhooks.queue.grantSendMessages(role);
    data.grantObjects(role, [bucketLayout.media, bucketLayout.snapshots, bucketLayout.authSpill]);
  }

  /**
   * Target tracking on the average of the per-task SessionsConnected samples, which is sessions per
   * task when every task reports once a minute. Scale-in is slow on purpose: each removed task
   * hands its shards over and its tenants reconnect.
   */
  private autoscale(props: SocketHostProps): void {
    const maxCapacity = Math.max(
      props.taskCount,
      Math.min(props.maxTaskCount ?? props.shardCount, props.shardCount),
    );
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.taskCount, maxCapacity });
    scaling.scaleToTrackCustomMetric('SessionsPerTask', {
      metric: gatewayMetric(metricNames.sessionsConnected, { statistic: 'Average' }),
      targetValue: props.sessionsPerTask,
      scaleOutCooldown: Duration.minutes(5),
      scaleInCooldown: Duration.minutes(30),
    });
  }
}
