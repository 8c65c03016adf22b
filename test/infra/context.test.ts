import { describe, expect, it } from 'vitest';
import { commandQueue, deadLetterName, physicalName, webhookQueue } from '../../shared/resources.js';
import { buildGateway, resourcesOfType, synthGateway } from './synth.js';

/** CloudFormation refuses templates with more resources than this. */
const CLOUDFORMATION_RESOURCE_LIMIT = 500;

describe('context parameters', () => {
  it('builds one FIFO command queue and one FIFO dead-letter queue per shard (shardCount=3)', () => {
    const { template } = synthGateway({ shardCount: '3', resourcePrefix: 'acme' });
    const names = resourcesOfType(template, 'AWS::SQS::Queue').map(([, q]) => q.Properties?.QueueName);
    const expected = [0, 1, 2].flatMap((shard) => [
      physicalName('acme', commandQueue(shard).name),
      physicalName('acme', deadLetterName(commandQueue(shard))),
    ]);
    expect(names.sort()).toEqual(
      [
        ...expected,
        physicalName('acme', webhookQueue.name),
        physicalName('acme', deadLetterName(webhookQueue)),
      ].sort(),
    );
    const fifo = resourcesOfType(template, 'AWS::SQS::Queue').filter(
      ([, q]) => q.Properties?.FifoQueue === true,
    );
    expect(fifo).toHaveLength(6);

    // Every process is told the same shard count, and autoscaling never exceeds it.
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      if (variables?.RESOURCE_PREFIX) expect(variables.SHARD_COUNT).toBe('3');
    }
    expect(JSON.stringify(resourcesOfType(template, 'AWS::ECS::TaskDefinition')[0]![1])).toContain(
      '{"Name":"SHARD_COUNT","Value":"3"}',
    );
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 3,
    });
  });

  it('stays under the CloudFormation resource limit at the largest shard count it accepts (64)', () => {
    const { template } = synthGateway({ shardCount: 64 });
    const count = Object.keys(template.toJSON().Resources).length;
    expect(count).toBeLessThan(CLOUDFORMATION_RESOURCE_LIMIT);
  });

  it('refuses invalid context, naming the key', () => {
    expect(() => buildGateway({ shardCount: '0' })).toThrow(/shardCount/);
    expect(() => buildGateway({ shardCount: '65' })).toThrow(/shardCount/);
    expect(() => buildGateway({ alarmEmail: 'not-an-address' })).toThrow(/alarmEmail/);
    expect(() => buildGateway({ resourcePrefix: 'has space' })).toThrow(/resourcePrefix/);
  });

  it('takes the socket host size and task count from context', () => {
    const { template } = synthGateway({
      socketHostCpu: 2048,
      socketHostMemoryMiB: 4096,
      socketHostTaskCount: 3,
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '2048', Memory: '4096' });
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3 });
  });
});
