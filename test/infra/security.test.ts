import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_READ_TABLES, API_WRITE_TABLES } from '../../infra/api.js';
import { DISPATCHER_WRITE_TABLES } from '../../infra/dispatcher.js';
import { SOCKET_HOST_READ_TABLES, SOCKET_HOST_WRITE_TABLES } from '../../infra/socket-host.js';
import type { WhatsAppGateway } from '../../infra/whatsapp-gateway.js';
import type { TableKey } from '../../shared/resources.js';
import { buildGateway, type Resources, type Synthesized, synthGateway } from './synth.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let synthesized: Synthesized;
let template: Template;
let gateway: WhatsAppGateway;

beforeAll(() => {
  synthesized = synthGateway();
  template = synthesized.template;
  gateway = synthesized.stack.gateway;
});

const logicalId = (construct: IConstruct) =>
  Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every IAM statement in the template: standalone policies, managed policies and inline role policies. */
function allStatements(): { where: string; statement: Statement }[] {
  const out: { where: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(template.toJSON().Resources as Resources)) {
    const props = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(props.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of (props.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) {
        documents.push(inline.PolicyDocument);
      }
    }
    for (const document of documents) {
      for (const statement of (document as { Statement: Statement[] }).Statement)
        out.push({ where: id, statement });
    }
  }
  return out;
}

/** The statements of the policies attached to one role. */
function statementsOfRole(role: IConstruct): Statement[] {
  const roleId = logicalId(role);
  return Object.values(template.toJSON().Resources as Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Logical ids a statement's resources point at (GetAtt / Ref, also inside Fn::Join). */
function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencedIds(v, into);
  else if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object['Fn::GetAtt'])) into.add(object['Fn::GetAtt'][0] as string);
    if (typeof object.Ref === 'string' && !object.Ref.startsWith('AWS::')) into.add(object.Ref);
    for (const v of Object.values(object)) referencedIds(v, into);
  }
  return into;
}

/** Logical ids of everything the role may use with actions of one service (`dynamodb`, `sqs`, `s3`). */
function reachable(role: IConstruct, service: string, action?: string): Set<string> {
  const ids = new Set<string>();
  for (const statement of statementsOfRole(role)) {
    const actions = asArray(statement.Action);
    const matches = action ? actions.includes(action) : actions.some((a) => a.startsWith(`${service}:`));
    if (statement.Effect === 'Allow' && matches) referencedIds(statement.Resource, ids);
  }
  return ids;
}

const tableIds = (keys: readonly TableKey[]) =>
  new Set(keys.map((key) => logicalId(gateway.data.tables[key])));

describe('IAM', () => {
  it('grants no wildcard action anywhere', () => {
    const statements = allStatements();
    expect(statements.length).toBeGreaterThan(10);
    const wildcards = statements.flatMap(({ where, statement }) =>
      asArray(statement.Action)
        .filter((action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action))
        .map((action) => `${where}: ${action}`),
    );
    expect(wildcards).toEqual([]);
  });

  it('lets the API use only its own tables, send (not receive) commands and replays, read the admin key and received media', () => {
    const role = gateway.api.function.role!;
    expect(reachable(role, 'dynamodb', 'dynamodb:PutItem')).toEqual(tableIds(API_WRITE_TABLES));
    expect(reachable(role, 'dynamodb')).toEqual(tableIds([...API_WRITE_TABLES, ...API_READ_TABLES]));
    expect(reachable(role, 'dynamodb')).not.toContain(logicalId(gateway.data.tables.authState));
    const commandQueueIds = gateway.queues.commands.map(({ queue }) => logicalId(queue));
    expect(reachable(role, 'sqs', 'sqs:SendMessage')).toEqual(
      new Set([...commandQueueIds, logicalId(gateway.queues.webhooks.queue)]),
    );
    expect(reachable(role, 'sqs', 'sqs:ReceiveMessage')).toEqual(new Set());
    expect(reachable(role, 'secretsmanager', 'secretsmanager:GetSecretValue')).toEqual(
      new Set([logicalId(gateway.adminKey)]),
    );
    // Only reading received media, to presign download links.
    const s3Statements = statementsOfRole(role).filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('s3:')),
    );
    expect(s3Statements.map((s) => asArray(s.Action))).toEqual([['s3:GetObject']]);
    const resources = asArray(s3Statements[0]?.Resource).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(1);
    expect(resources[0]).toContain('"/media/*"');
  });

  it('lets the dispatcher consume its queue, send only to its dead-letter queue, and touch only webhook tables and tenants', () => {
    const role = gateway.dispatcher.function.role!;
    const { queue, deadLetter } = gateway.queues.webhooks;
    expect(reachable(role, 'sqs', 'sqs:ReceiveMessage')).toEqual(new Set([logicalId(queue)]));
    expect(reachable(role, 'sqs', 'sqs:SendMessage')).toEqual(new Set([logicalId(deadLetter)]));
    expect(reachable(role, 'dynamodb')).toEqual(tableIds(DISPATCHER_WRITE_TABLES));
    expect(reachable(role, 's3')).toEqual(new Set());
    expect(reachable(role, 'secretsmanager')).toEqual(new Set());
  });

  it('lets the sweeper only re-queue parked events: the events table and a send to the webhook queue', () => {
    const role = gateway.dispatcher.sweeper.role!;
    expect(reachable(role, 'dynamodb')).toEqual(tableIds(['webhookEvents']));
    expect(reachable(role, 'sqs')).toEqual(new Set([logicalId(gateway.queues.webhooks.queue)]));
    expect(reachable(role, 'sqs', 'sqs:ReceiveMessage')).toEqual(new Set());
  });

  it('lets the socket host consume commands, publish events, use its tables and only its bucket prefixes', () => {
    const role = gateway.socketHost.taskDefinition.taskRole;
    const commandQueueIds = new Set(gateway.queues.commands.map(({ queue }) => logicalId(queue)));
    expect(reachable(role, 'sqs', 'sqs:ReceiveMessage')).toEqual(commandQueueIds);
    expect(reachable(role, 'sqs', 'sqs:SendMessage')).toEqual(
      new Set([logicalId(gateway.queues.webhooks.queue)]),
    );
    expect(reachable(role, 'dynamodb', 'dynamodb:PutItem')).toEqual(tableIds(SOCKET_HOST_WRITE_TABLES));
    expect(reachable(role, 'dynamodb')).toEqual(
      tableIds([...SOCKET_HOST_WRITE_TABLES, ...SOCKET_HOST_READ_TABLES]),
    );
    expect(reachable(role, 'dynamodb')).not.toContain(logicalId(gateway.data.tables.apiKeys));

    const s3Statements = statementsOfRole(role).filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('s3:')),
    );
    const objects = s3Statements.find((s) => asArray(s.Action).includes('s3:GetObject'))!;
    expect(asArray(objects.Action).sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    const objectResources = asArray(objects.Resource).map((r) => JSON.stringify(r));
    expect(objectResources).toHaveLength(3);
    for (const prefix of ['media/*', 'snapshots/*', 'auth-spill/*']) {
      expect(objectResources.some((r) => r.includes(`"/${prefix}"`))).toBe(true);
    }
    const listing = s3Statements.find((s) => asArray(s.Action).includes('s3:ListBucket')) as Statement & {
      Condition?: unknown;
    };
    expect(listing.Condition).toEqual({
      StringLike: { 's3:prefix': ['media/*', 'snapshots/*', 'auth-spill/*'] },
    });
    expect(s3Statements).toHaveLength(2);
  });

  it('gives the socket host no secret', () => {
    const role = gateway.socketHost.taskDefinition.taskRole;
    expect(reachable(role, 'secretsmanager')).toEqual(new Set());
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no finding that is not acknowledged in infra/nag.ts', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synthesized.app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('synthesizes as the app wires it, with cdk-nag and the CloudFormation schema check, without findings', () => {
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    try {
      const { app } = buildGateway({}, { nag: true });
      const assembly = app.synth();
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
      const violations = (
        report.pluginReports as { pluginName: string; violations: { ruleName: string }[] }[]
      ).flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`));
      expect(violations).toEqual([]);
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
  });

  it('fails synthesis on a new wildcard grant: acknowledgments name single findings, not whole rules', () => {
    const { app, stack } = buildGateway({}, { nag: true });
    stack.gateway.data.bucket.grantRead(stack.gateway.api.function);
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:GetBucket\*\]/);
  });
});
