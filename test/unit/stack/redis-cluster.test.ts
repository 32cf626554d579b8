/**
 * The pure parts of the local Redis Cluster: the `--redis-cluster` shape and the reading of
 * CLUSTER NODES (no Redis needed; the cluster itself is tried by hand and by the integration tests).
 */
import { describe, expect, it } from 'vitest';
import { clusterNodesOf, parseClusterNodes, parseClusterShape, shardsOf } from '../../../src/stack/redis-cluster.js';
import { PortraitError } from '../../../src/util/errors.js';

describe('parseClusterShape', () => {
  it('reads <primaries>x<replicas>', () => {
    expect(parseClusterShape('3x1')).toEqual({ primaries: 3, replicas: 1 });
    expect(parseClusterShape('3x0')).toEqual({ primaries: 3, replicas: 0 });
    expect(parseClusterShape(' 6X2 ')).toEqual({ primaries: 6, replicas: 2 });
  });

  it.each(['', '3', 'x1', '3x', '3x1x1', '3*1', '3 by 1', '-3x1', '3x-1', '3.5x1', 'ax1', '3x1.0', '1000x1'])('refuses %j with USAGE, naming the expected form', (s) => {
    let err: unknown;
    try {
      parseClusterShape(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PortraitError);
    expect((err as PortraitError).code).toBe('USAGE');
    expect((err as PortraitError).message).toContain('like 3x1');
  });

  it('refuses fewer than 3 primaries and too many replicas, saying why', () => {
    expect(() => parseClusterShape('2x1')).toThrow(/at least 3/);
    expect(() => parseClusterShape('0x0')).toThrow(/at least 3/);
    expect(() => parseClusterShape('3x9')).toThrow(/replicas per primary must be 0 to/);
  });
});

describe('clusterNodesOf', () => {
  it('lists host:port of primaries*(1+replicas) consecutive ports', () => {
    expect(clusterNodesOf({ host: '127.0.0.1', basePort: 7000, primaries: 3, replicas: 1 })).toEqual(['127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004', '127.0.0.1:7005']);
    expect(clusterNodesOf({ host: 'h', basePort: 1, primaries: 3, replicas: 0 })).toEqual(['h:1', 'h:2', 'h:3']);
  });
});

// as redis-server 7.0 answered on a freshly created 3x1 cluster (node ids are 40 hex digits)
const A = '8daad30f13098e36f63868860c17c038ceb1b34c';
const B = 'ff89476ead05d530ae76a27e2ef30859137ddfbb';
const C = '78f404de35dd7f522e3c11b2f90e7b38bb10db32';
const RA = '5e92e527a008a68fb26620d15754e2e71016d532';
const RB = '2c8939fc6ae1f3d397ebc3be31b14b2c368ed8ae';
const RC = '0f76572599c6def04066e143c54897816fe513fb';
const HEALTHY = [
  `${RC} 127.0.0.1:17003@27003 slave ${C} 0 1796357803702 3 connected`,
  `${A} 127.0.0.1:17000@27000 myself,master - 0 1796357803000 1 connected 0-5460`,
  `${RA} 127.0.0.1:17004@27004 slave ${A} 0 1796357804104 1 connected`,
  `${B} 127.0.0.1:17001@27001 master - 0 1796357804104 2 connected 5461-10922`,
  `${RB} 127.0.0.1:17005@27005 slave ${B} 0 1796357804104 2 connected`,
  `${C} 127.0.0.1:17002@27002 master - 0 1796357804104 3 connected 10923-16383`,
  '',
].join('\n');

describe('parseClusterNodes', () => {
  it('reads every node: address without the bus port, role, master, link, slots', () => {
    const nodes = parseClusterNodes(HEALTHY);
    expect(nodes).toHaveLength(6);
    expect(nodes[0]).toEqual({ id: RC, address: '127.0.0.1:17003', flags: ['slave'], role: 'replica', masterId: C, connected: true, failed: false, myself: false, slots: [] });
    expect(nodes[1]).toEqual({ id: A, address: '127.0.0.1:17000', flags: ['myself', 'master'], role: 'master', connected: true, failed: false, myself: true, slots: ['0-5460'] });
  });

  it('groups replicas under their primary, ordered by slot', () => {
    expect(shardsOf(parseClusterNodes(HEALTHY))).toEqual([
      { primary: '127.0.0.1:17000', replicas: ['127.0.0.1:17004'], slots: '0-5460' },
      { primary: '127.0.0.1:17001', replicas: ['127.0.0.1:17005'], slots: '5461-10922' },
      { primary: '127.0.0.1:17002', replicas: ['127.0.0.1:17003'], slots: '10923-16383' },
    ]);
  });

  it('takes CRLF, hostnames after the bus port, several slot ranges, and leaves out migrating markers', () => {
    const text = [
      `${A} 10.0.0.1:7000@17000,redis-a myself,master - 0 0 1 connected 0-100 200 300-5460 [5461->-${B}]`,
      `${B} 10.0.0.2:7001@17001,redis-b master - 0 0 2 connected 101-199 201-299 5461-16383 [5461-<-${A}]`,
      `${RA} 10.0.0.3:7002@17002,redis-c slave ${A} 0 0 1 connected`,
    ].join('\r\n');
    expect(shardsOf(parseClusterNodes(text))).toEqual([
      { primary: '10.0.0.1:7000', replicas: ['10.0.0.3:7002'], slots: '0-100 200 300-5460' },
      { primary: '10.0.0.2:7001', replicas: [], slots: '101-199 201-299 5461-16383' },
    ]);
  });

  it('after a primary is killed and its replica took over: the failed node is left out', () => {
    const text = [
      `${A} 127.0.0.1:17000@27000 master,fail - 1796357900000 1796357890000 1 disconnected`,
      `${RA} 127.0.0.1:17004@27004 myself,master - 0 0 7 connected 0-5460`,
      `${B} 127.0.0.1:17001@27001 master - 0 1796357904104 2 connected 5461-10922`,
      `${RB} 127.0.0.1:17005@27005 slave ${B} 0 1796357904104 2 connected`,
      `${C} 127.0.0.1:17002@27002 master - 0 1796357904104 3 connected 10923-16383`,
      `${RC} 127.0.0.1:17003@27003 slave ${C} 0 1796357904104 3 connected`,
    ].join('\n');
    const nodes = parseClusterNodes(text);
    expect(nodes[0]).toMatchObject({ address: '127.0.0.1:17000', role: 'master', failed: true, connected: false, slots: [] });
    expect(shardsOf(nodes)).toEqual([
      { primary: '127.0.0.1:17004', replicas: [], slots: '0-5460' },
      { primary: '127.0.0.1:17001', replicas: ['127.0.0.1:17005'], slots: '5461-10922' },
      { primary: '127.0.0.1:17002', replicas: ['127.0.0.1:17003'], slots: '10923-16383' },
    ]);
  });

  it('keeps a node only suspected of failing (fail?) and a replica whose link is down', () => {
    const text = [`${A} 127.0.0.1:17000@27000 master,fail? - 1 0 1 disconnected 0-16383`, `${RA} 127.0.0.1:17004@27004 slave ${A} 0 0 1 disconnected`].join('\n');
    const nodes = parseClusterNodes(text);
    expect(nodes.map((n) => [n.failed, n.connected])).toEqual([
      [false, false],
      [false, false],
    ]);
    expect(shardsOf(nodes)).toEqual([{ primary: '127.0.0.1:17000', replicas: ['127.0.0.1:17004'], slots: '0-16383' }]);
  });

  it('ignores what is not a node line (an error reply, blank lines)', () => {
    expect(parseClusterNodes('ERR This instance has cluster support disabled\n\n')).toEqual([]);
    expect(parseClusterNodes('')).toEqual([]);
  });
});
