/** The replicated Kafka topology's node layout and properties (pure: no broker started). */
import { describe, expect, it } from 'vitest';
import { clusterBootstrap, clusterNodeProperties, clusterNodes } from '../../../src/stack/kafka-cluster.js';

const o = { dir: '/s', nodes: 3, port: 9092, controllerPort: 9093, host: '127.0.0.1' };

describe('the replicated Kafka topology', () => {
  it('puts node i on kafkaPort + 2(i-1) and controllerPort + 2(i-1), each with its own storage, pid file and log', () => {
    const nodes = clusterNodes(o);
    expect(nodes.map((n) => [n.id, n.port, n.controllerPort])).toEqual([
      [1, 9092, 9093],
      [2, 9094, 9095],
      [3, 9096, 9097],
    ]);
    expect(new Set(nodes.map((n) => n.dataDir)).size).toBe(3);
    expect(nodes[1]!.pidFile).toBe('/s/kafka-2.pid');
    expect(clusterBootstrap(o)).toBe('127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096');
  });

  it('every node is broker and controller in one static quorum; replication factor n, min.insync.replicas n - 1, no unclean election', () => {
    const nodes = clusterNodes(o);
    const props = Object.fromEntries(
      clusterNodeProperties(o, nodes[1]!, nodes)
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['node.id']).toBe('2');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095');
    expect(props['default.replication.factor']).toBe('3');
    expect(props['min.insync.replicas']).toBe('2');
    expect(props['offsets.topic.replication.factor']).toBe('3');
    expect(props['transaction.state.log.min.isr']).toBe('2');
    expect(props['unclean.leader.election.enable']).toBe('false');
  });
});
