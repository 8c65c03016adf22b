import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  type AttributeType,
  bucketLayout,
  type KeyAttribute,
  physicalName,
  type TableDefinition,
  type TableKey,
  tables,
} from '../shared/resources.js';

export interface GatewayDataProps {
  resourcePrefix: string;
  /** Media and auth snapshots expire after this many days. */
  retentionDays: number;
  /** What happens to tables, bucket and key when the stack is deleted. */
  removalPolicy: RemovalPolicy;
}

/** Top-level folder of a bucketLayout entry (`media/<tenant>/` → `media/`). */
export const layoutPrefix = (entry: (tenantId: string) => string): string => entry('').replace(/\/+$/, '/');

/** The customer-managed key, every table from shared/resources.ts, and the bucket (architecture §6, §9). */
export class GatewayData extends Construct {
  readonly key: kms.Key;
  readonly tables: Record<TableKey, dynamodb.Table>;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: GatewayDataProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `wafleet ${props.resourcePrefix}: tables, bucket, queues, secret, alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });

    const entries = Object.entries(tables) as [TableKey, TableDefinition][];
    this.tables = Object.fromEntries(
      entries.map(([key, definition]) => [key, this.table(definition, props)]),
    ) as Record<TableKey, dynamodb.Table>;

    this.bucket = this.createBucket(props);
  }

  private table(definition: TableDefinition, props: GatewayDataProps): dynamodb.Table {
    const table = new dynamodb.Table(this, `Table-${definition.id}`, {
      tableName: physicalName(props.resourcePrefix, definition.id),
      partitionKey: attribute(definition.partitionKey),
      sortKey: definition.sortKey && attribute(definition.sortKey),
      timeToLiveAttribute: definition.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    for (const index of definition.globalIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  private createBucket(props: GatewayDataProps): s3.Bucket {
    const autoDelete = props.removalPolicy === RemovalPolicy.DESTROY;
    // Server access logs cannot be delivered to an SSE-KMS bucket, so they get their own S3-managed one.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    const expiring = [bucketLayout.media, bucketLayout.snapshots].map(layoutPrefix);
    return new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Snapshots exist to undo a wrong logout (architecture §12): keep overwritten versions briefly too.
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'bucket/',
      lifecycleRules: [
        ...expiring.map((prefix) => ({
          id: `expire-${prefix.replace('/', '')}`,
          prefix,
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
        })),
        {
          id: 'tidy-versions-and-uploads',
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
  }

  /** Read, write, delete and list the objects under the given layout prefixes only. */
  grantObjects(grantee: iam.IGrantable, prefixes: ((tenantId: string) => string)[]): void {
    const folders = prefixes.map(layoutPrefix);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: folders.map((folder) => this.bucket.arnForObjects(`${folder}*`)),
      }),
    );
    // Erasing a tenant lists its spill and snapshot objects first.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': folders.map((folder) => `${folder}*`) } },
      }),
    );
    this.key.grantEncryptDecrypt(grantee);
  }

  /** Read-only access to received media: the API presigns download links with it. */
  grantMediaRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${layoutPrefix(bucketLayout.media)}*`)],
      }),
    );
    this.key.grantDecrypt(grantee);
  }
}

const attributeTypes: Record<AttributeType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: attributeTypes[key.type],
});
