/**
 * A send is acknowledged only when every partition it wrote to acknowledged it.
 *
 * kafkajs 2.2.4 can resolve a send that wrote part of its records (kafkajs#1303, open; PR #1798):
 * one produce request goes to each partition leader, and when some fail (a leader killed), its own
 * retry sends again only to brokers that have not answered yet, with partitions assigned from the
 * refreshed metadata. A partition whose leadership moved to a broker that had already answered is
 * never sent, and the send resolves with that broker's first answer. With acks=all and an
 * idempotent producer, records were still lost: a dead letter in
 * reliability/replicated-kafka.test.ts, its broker SIGKILLed mid-stream.
 *
 * So every kafkajs producer Portrait makes partitions through `partitionRecorder`, which remembers
 * the partition each message went to (and keeps it for the message's retries, so a record without
 * a key does not move between attempts), and every send is checked by `expectComplete`: a partition
 * missing from the acknowledgements fails the send with KAFKA_PRODUCE_INCOMPLETE (retriable), and
 * the caller sends it again. Records of the partitions that were written are then written twice;
 * profile events are told apart by version and dead letters by their source offset.
 */
import { Partitioners, type ICustomPartitioner, type Message, type PartitionerArgs, type RecordMetadata } from 'kafkajs';
import { PortraitError } from '../util/errors.js';

/** Where each message object went, by the partitioner of the producer that sent it. */
export type Placements = WeakMap<Message, number>;

/**
 * kafkajs's default partitioner (murmur2 of the key, as the Java client), remembering each
 * message's partition in `placements`; a message sent again keeps its first partition while the
 * topic still has it.
 */
export function partitionRecorder(placements: Placements, inner: ICustomPartitioner = Partitioners.DefaultPartitioner): ICustomPartitioner {
  return () => {
    const choose = inner();
    return (args: PartitionerArgs) => {
      const before = placements.get(args.message);
      if (before !== undefined && before < args.partitionMetadata.length) return before;
      const p = choose(args);
      placements.set(args.message, p);
      return p;
    };
  };
}

/**
 * Throws KAFKA_PRODUCE_INCOMPLETE unless `acks` names every partition the messages were placed on.
 * A message the partitioner never saw (the send failed before placing it) counts as missing.
 */
export function expectComplete(topicMessages: readonly { topic: string; messages: readonly Message[] }[], acks: readonly RecordMetadata[], placements: Placements): void {
  const acked = new Set(acks.filter((a) => (a.errorCode ?? 0) === 0).map((a) => `${a.topicName}:${a.partition}`));
  const missing = new Set<string>();
  let records = 0;
  for (const { topic, messages } of topicMessages)
    for (const m of messages) {
      const p = m.partition ?? placements.get(m);
      const tp = `${topic}:${p ?? '?'}`;
      if (p === undefined || !acked.has(tp)) {
        missing.add(tp);
        records++;
      }
    }
  if (missing.size > 0)
    throw new PortraitError('KAFKA_PRODUCE_INCOMPLETE', `the send resolved without an acknowledgement from ${[...missing].sort().join(', ')} (${records} record(s); a partition leader changed during the send, kafkajs#1303): sending again`);
}
