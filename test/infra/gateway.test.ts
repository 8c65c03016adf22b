import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DISPATCHER_TIMEOUT } from '../../infra/dispatcher.js';
import { loadConfig } from '../../shared/config.js';
import {
  commandQueue,
  deadLetterName,
  physicalName,
  type TableDefinition,
  tables,
  webhookQueue,
} from '../../shared/resources.js';
import { resourcesOfType, type Synthesized, synthGateway } from './synth.js';

const PREFIX = 'wafleet';
let synthesized: Synthesized;
let template: Template;
/** The optional context values set, synthesized once for the tests that need them. */
let variant: Template;

beforeAll(() => {
  synthesized = synthGateway();
  template = synthesized.template;
  variant = synthGateway({
    retentionDays: '7',
    alarmEmail: 'ops@example.com',
    domainName: 'wa.example.com',
  }).template;
});

const keyArn = () => ({ 'Fn::GetAtt': [keyLogicalId(), 'Arn'] });
const keyLogicalId = () => {
  const keys = resourcesOfType(template, 'AWS::KMS::Key');
  expect(keys).toHaveLength(1);
  return keys[0]![0];
};
const queueArn = (name: string) => {
  const [id] = resourcesOfType(template, 'AWS::SQS::Queue').find(
    ([, r]) => r.Properties?.QueueName === physicalName(PREFIX, name),
  )!;
  return { 'Fn::GetAtt': [id, 'Arn'] };
};

describe('data', () => {
  it('has one customer-managed KMS key with rotation on', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it.each(Object.values(tables) as TableDefinition[])(
    'builds table $id from shared/resources.ts',
    (definition) => {
      const keySchema = [
        { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
        ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
      ];
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: physicalName(PREFIX, definition.id),
        KeySchema: keySchema,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn() },
        TimeToLiveSpecification: definition.ttlAttribute
          ? { AttributeName: definition.ttlAttribute, Enabled: true }
          : Match.absent(),
        GlobalSecondaryIndexes: definition.globalIndexes
          ? definition.globalIndexes.map((index) =>
              Match.objectLike({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                  ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' }] : []),
                ],
              }),
            )
          : Match.absent(),
      });
    },
  );

  it('builds exactly the tables shared/resources.ts defines, and keeps them on stack deletion', () => {
    const built = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(built).toHaveLength(Object.keys(tables).length);
    template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('encrypts the bucket with the key, blocks public access, refuses plain HTTP, expires media and snapshots', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn() },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'media/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'snapshots/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
    for (const policy of resourcesOfType(template, 'AWS::S3::BucketPolicy')) {
      expect(JSON.stringify(policy[1].Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('takes the expiry of media and snapshots from the retentionDays context', () => {
    variant.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'media/', ExpirationInDays: 7 })]),
      },
    });
  });

  it('generates the admin key in Secrets Manager, encrypted with the key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
      KmsKeyId: keyArn(),
    });
  });
});

describe('queues', () => {
  it.each([0, 1, 2, 3])('gives shard %i a FIFO command queue with a FIFO dead-letter queue', (shard) => {
    const definition = commandQueue(shard);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: physicalName(PREFIX, definition.name),
      FifoQueue: true,
      VisibilityTimeout: definition.visibilityTimeoutSeconds,
      MessageRetentionPeriod: definition.retentionSeconds,
      KmsMasterKeyId: keyArn(),
      RedrivePolicy: {
        deadLetterTargetArn: queueArn(deadLetterName(definition)),
        maxReceiveCount: definition.maxReceiveCount,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: physicalName(PREFIX, deadLetterName(definition)),
      FifoQueue: true,
      KmsMasterKeyId: keyArn(),
      RedrivePolicy: Match.absent(),
    });
  });

  it('keeps webhook events on a standard queue whose visibility is at least 6× the dispatcher timeout', () => {
    const visibility = 6 * DISPATCHER_TIMEOUT.toSeconds();
    expect(visibility).toBeGreaterThanOrEqual(webhookQueue.visibilityTimeoutSeconds);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: physicalName(PREFIX, webhookQueue.name),
      FifoQueue: Match.absent(),
      VisibilityTimeout: visibility,
      MessageRetentionPeriod: webhookQueue.retentionSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: queueArn(deadLetterName(webhookQueue)),
        maxReceiveCount: webhookQueue.maxReceiveCount,
      },
    });
  });

  it('refuses plain HTTP on every queue', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(queues.length);
    for (const [, policy] of policies) {
      expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe('functions', () => {
  const lambdaWith = (description: string) => ({
    Description: description,
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    Handler: 'index.handler',
    TracingConfig: { Mode: 'Active' },
  });

  it('runs the API on Node 24 / arm64 with the production config and the admin key secret', () => {
    const [secretId] = resourcesOfType(template, 'AWS::SecretsManager::Secret')[0]!;
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...lambdaWith('wafleet HTTP API (Hono)'),
      Timeout: 25,
      Environment: {
        Variables: Match.objectLike({
          WAFLEET_ENV: 'production',
          RESOURCE_PREFIX: PREFIX,
          SHARD_COUNT: '4',
          ADMIN_API_KEY_SECRET_ARN: { Ref: secretId },
          BUCKET_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it('fronts the API with an HTTP API whose stage logs access and throttles', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context.status'),
      },
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it('feeds the dispatcher from the webhook queue with partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...lambdaWith('wafleet webhook dispatcher'),
      Timeout: DISPATCHER_TIMEOUT.toSeconds(),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn(webhookQueue.name),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('sweeps parked webhook retries every minute with the same bundle', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...lambdaWith('wafleet webhook sweeper: re-queues parked retries when due'),
      Handler: 'index.sweepHandler',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
    });
  });

  it('keeps every log group for a bounded time', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const [, group] of groups) expect(group.Properties?.RetentionInDays).toBe(30);
  });
});

describe('runtime configuration', () => {
  /** CloudFormation references stand in for values known only at deploy; a plausible string each. */
  const resolved = (variables: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : `deployed-${name.toLowerCase().replaceAll('_', '-')}`,
      ]),
    );

  it('gives every Lambda and the socket host an environment shared/config.ts accepts, in production mode', () => {
    const environments = [
      ...resourcesOfType(template, 'AWS::Lambda::Function')
        .map(
          ([, fn]) =>
            (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
        )
        .filter((variables) => variables?.RESOURCE_PREFIX !== undefined),
      ...resourcesOfType(template, 'AWS::ECS::TaskDefinition').map(([, task]) => {
        const [container] = task.Properties!.ContainerDefinitions as {
          Environment: { Name: string; Value: unknown }[];
        }[];
        return Object.fromEntries(container!.Environment.map((e) => [e.Name, e.Value]));
      }),
    ];
    expect(environments).toHaveLength(4); // API, dispatcher, sweeper, socket host
    for (const variables of environments) {
      const config = loadConfig(resolved(variables!));
      expect(config).toMatchObject({ env: 'production', resourcePrefix: PREFIX, shardCount: 4 });
      expect(config.adminApiKey).toBeUndefined();
      expect(config.endpoints).toEqual({ dynamodb: undefined, sqs: undefined, s3: undefined });
    }
  });
});

describe('socket host', () => {
  it('runs Fargate tasks on ARM64 with the context size, a 120 s stop timeout and a health check', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '1024',
      Memory: '2048',
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: 120,
          ReadonlyRootFilesystem: true,
          HealthCheck: Match.objectLike({ Command: Match.arrayWith(['CMD', 'node']) }),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    const [, task] = resourcesOfType(template, 'AWS::ECS::TaskDefinition')[0]!;
    const [container] = task.Properties!.ContainerDefinitions as {
      Environment: { Name: string; Value: unknown }[];
    }[];
    const environment = Object.fromEntries(container!.Environment.map((e) => [e.Name, e.Value]));
    expect(environment).toMatchObject({
      WAFLEET_ENV: 'production',
      RESOURCE_PREFIX: PREFIX,
      SHARD_COUNT: '4',
      HOST_HEALTH_PORT: '8080',
      EGRESS_IP_URL: 'https://checkip.amazonaws.com',
      BUCKET_NAME: expect.anything(),
    });
  });

  it('runs the context task count in a cluster with Container Insights, public IP and no inbound rule', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('scales between the task count and the shard count on SessionsConnected per task', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 4,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: Match.objectLike({
          Namespace: 'Wafleet',
          MetricName: 'SessionsConnected',
          Statistic: 'Average',
          Dimensions: [{ Name: 'Service', Value: 'socket-host' }],
        }),
      }),
    });
  });
});

describe('operations', () => {
  it('alarms on every dead-letter queue, every command queue age, API 5xx and failed sessions', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const on = (metric: string) => alarms.filter((a) => a.MetricName === metric);
    expect(on('ApproximateNumberOfMessagesVisible')).toHaveLength(5 + 1); // 5 DLQs + webhook backlog
    expect(on('ApproximateAgeOfOldestMessage')).toHaveLength(4);
    expect(on('5xx')).toHaveLength(1);
    expect(on('SessionsFailed')).toHaveLength(1);
    expect(on('FenceLost')).toHaveLength(1);
    expect(on('WebhookEndpointsDisabled')).toHaveLength(1);
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
  });

  it('sends alarms to an encrypted topic, subscribing an e-mail only when alarmEmail is set', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn() });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    variant.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('draws a dashboard of sessions, sends, webhooks, queue ages and dead letters', () => {
    const [, dashboard] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties?.DashboardBody);
    for (const metric of [
      'SessionsConnected',
      'MessagesSent',
      'MessagesFailed',
      'WebhookDeliveries',
      'WebhookFailures',
      'WebhookDeferrals',
      'WebhookEndpointsDisabled',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(metric);
    }
    // Sessions per egress IP, found by a search over the socket host's EgressIp dimension.
    expect(body).toMatch(/SEARCH\('\{Wafleet,Service,EgressIp\} MetricName=\\+"SessionsConnected/);
  });

  it('maps a custom domain only when domainName is set', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    variant.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'wa.example.com' });
    variant.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'wa.example.com',
      ValidationMethod: 'DNS',
    });
    variant.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    variant.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
  });
});
