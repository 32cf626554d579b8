/**
 * Kafka SASL/PLAIN: a broker of this test (on free ports) whose client listener requires
 * SASL_PLAINTEXT with PLAIN. `portrait run` with kafka.sasl set from the environment consumes,
 * publishes and commits; with a wrong password it stops at start-up, non-zero, without printing
 * the password. TLS (kafka.ssl) is configured the same way: docs/security.md.
 */
import { describe, expect, it } from 'vitest';
import { readAll } from '../../helpers/kafka.js';
import { adminOf, freePort, isRunning, ownKafka, pipelineEnv, spawnPortrait, stopRun, waitForCommitted } from '../../helpers/faults.js';
import { createTestTopics, testRedis, uniqueName } from '../../helpers/services.js';

const USERS = { admin: 'admin-secret-7f3a', portrait: 'portrait-secret-91c2' };

describe('Kafka SASL/PLAIN', () => {
  it('runs with the right credentials and refuses to start with a wrong password', async () => {
    const broker = ownKafka({
      port: await freePort(),
      controllerPort: await freePort(),
      extraProperties: {
        // the client listener (named PLAINTEXT by the stack) speaks SASL_PLAINTEXT; the controller stays plain
        'listener.security.protocol.map': 'PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${USERS.admin}" user_admin="${USERS.admin}" user_portrait="${USERS.portrait}";`,
      },
    });
    await broker.start();
    const kafka = broker.client({ mechanism: 'plain', username: 'admin', password: USERS.admin });
    const admin = await adminOf(kafka);
    const [comments, profiles, dlq] = await createTestTopics(admin, 'sasl', 2, 3);
    const { prefix } = testRedis();
    const groupId = uniqueName('sasl-group');
    const producer = kafka.producer();
    await producer.connect();
    const users = ['ann', 'ben', '小红'];
    await producer.send({
      topic: comments!,
      messages: Array.from({ length: 24 }, (_, i) => {
        const userId = users[i % 3]!;
        return { key: userId, value: JSON.stringify({ schemaVersion: 1, eventId: `s-${i}`, userId, commentId: `c-${i}`, ts: Date.parse('2026-09-01T00:00:00Z') + i * 1000, text: i % 2 ? '周末去爬山，风景太美了' : 'this laptop keyboard is great' }) };
      }),
    });
    await producer.disconnect();

    const env = (password: string) => ({
      ...pipelineEnv({ comments: comments!, profiles: profiles!, deadLetter: dlq!, groupId, keyPrefix: prefix, brokers: [broker.bootstrap] }),
      PORTRAIT_KAFKA_SASL: JSON.stringify({ mechanism: 'plain', username: 'portrait', password }),
      PORTRAIT_METRICS_PORT: '0',
      PORTRAIT_LOG_LEVEL: 'info',
    });

    // a wrong password: no start, a non-zero exit, an authentication message, no password in the output
    const wrong = spawnPortrait(['run'], env('not-the-password-4c1d'));
    const x = await wrong.exited;
    expect(x.code, wrong.stderr()).toBe(1);
    expect(wrong.stderr()).toMatch(/^portrait: Kafka: .*SASL PLAIN authentication failed.* \[KAFKA_UNAVAILABLE\]$/m);
    expect(wrong.stderr()).not.toMatch(/^\s+at /m);
    expect(wrong.stderr()).not.toContain('not-the-password-4c1d');

    // the right one: consumes, publishes, commits, and never prints the password either
    const run = spawnPortrait(['run'], env(USERS.portrait));
    await waitForCommitted(admin, groupId, comments!, 24, () => isRunning(run));
    const published = await readAll(kafka, admin, profiles!);
    expect(new Set(published.map((m) => m.key!.toString()))).toEqual(new Set(users));
    await stopRun(run);
    expect(run.stderr()).not.toContain(USERS.portrait);
    await admin.deleteGroups([groupId]).catch(() => {});
  }, 240_000);
});
