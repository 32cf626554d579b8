import { describe, expect, it } from 'vitest';
import { onlineReplicas, replicasToWait } from '../../../src/store/replicas.js';

// INFO replication of a primary with two replicas, one of them still in its first sync
const INFO = [
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=127.0.0.1,port=7003,state=online,offset=4821,lag=0',
  'slave1:ip=127.0.0.1,port=7004,state=wait_bgsave,offset=0,lag=0',
  'master_failover_state:no-failover',
  'master_repl_offset:4821',
  '',
].join('\r\n');

describe('replica confirmation (redis.waitReplicas)', () => {
  it('counts the replicas INFO lists as online, not those still syncing', () => {
    expect(onlineReplicas(INFO)).toBe(1);
    expect(onlineReplicas(INFO.replace('state=wait_bgsave', 'state=online'))).toBe(2);
    expect(onlineReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
    // a replica's own INFO names its primary, not replicas
    expect(onlineReplicas('# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_link_status:up\r\n')).toBe(0);
  });

  it('waits for the replicas asked for, or for fewer only when the primary never had more', () => {
    expect(replicasToWait(1, 1)).toBe(1);
    expect(replicasToWait(1, 2)).toBe(1);
    expect(replicasToWait(2, 1)).toBe(1);
    expect(replicasToWait(1, 0)).toBe(0);
    expect(replicasToWait(0, 3)).toBe(0);
    // a primary that had a replica and lost it: still waited for (a cut-off replica is what a failover promotes)
    expect(replicasToWait(1, 0, 1)).toBe(1);
    expect(replicasToWait(2, 1, 2)).toBe(2);
    expect(replicasToWait(2, 0, 1)).toBe(1);
    expect(replicasToWait(0, 0, 1)).toBe(0);
  });
});
