import type { Node } from 'constructs';
import { z } from 'zod';
import type { WhatsAppGatewayProps } from './whatsapp-gateway.js';

/**
 * Context values arrive as numbers from cdk.json and as strings from `-c key=value`, so they are
 * coerced and checked once here, failing synth with the key's name.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const schema = z.object({
  resourcePrefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  // 64 keeps the template under CloudFormation's 500-resource limit (a queue, a DLQ, their policies, two alarms per shard).
  shardCount: int(1, 64),
  socketHostTaskCount: int(1, 128),
  socketHostMaxTaskCount: int(1, 128).optional(),
  // Fargate's valid ARM64 sizes are checked by CloudFormation; these bounds catch typos early.
  socketHostCpu: int(256, 16384),
  socketHostMemoryMiB: int(512, 122880),
  retentionDays: int(1, 3650),
  alarmEmail: optionalString.pipe(z.email().optional()),
  domainName: optionalString,
  certificateArn: optionalString,
});

const KEYS = Object.keys(schema.shape) as (keyof z.input<typeof schema>)[];

export function gatewayPropsFromContext(node: Node): WhatsAppGatewayProps {
  const raw = Object.fromEntries(KEYS.map((key) => [key, node.tryGetContext(key)]));
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid CDK context: ${problems}`);
  }
  const c = result.data;
  return {
    resourcePrefix: c.resourcePrefix,
    shardCount: c.shardCount,
    socketHost: {
      taskCount: c.socketHostTaskCount,
      maxTaskCount: c.socketHostMaxTaskCount,
      cpu: c.socketHostCpu,
      memoryMiB: c.socketHostMemoryMiB,
    },
    retentionDays: c.retentionDays,
    alarmEmail: c.alarmEmail,
    domain: c.domainName ? { name: c.domainName, certificateArn: c.certificateArn } : undefined,
  };
}
