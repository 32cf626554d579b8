/**
 * The comments runner built on a KafkaClient, for consumers/comments.ts: with it (and
 * KafkaClient.admin / topicIds for the topics, offsets and topic IDs) the composition root holds
 * only the client of `createKafkaClient`, no kafkajs object. The runner is not behind the interface
 * yet, so it needs the kafkajs implementation underneath.
 */
import { KafkaJsClient } from './kafkajs-client.js';
import { CommentsRunner } from './runner.js';
import type { KafkaClient } from './types.js';

/** CommentsRunner's constructor arguments after the Kafka client. */
export type CommentsRunnerArgs = ConstructorParameters<typeof CommentsRunner> extends [unknown, ...infer Rest] ? Rest : never;

export function createCommentsRunner(kafka: KafkaClient, ...args: CommentsRunnerArgs): CommentsRunner {
  if (!(kafka instanceof KafkaJsClient)) throw new TypeError('the comments runner runs on kafkajs: give it a client of createKafkaClient');
  return new CommentsRunner(kafka.kafkajs, ...args);
}
