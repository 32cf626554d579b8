/**
 * Portrait for TypeScript users (the package's main export): build and send valid comment and
 * forget events, and read profile events. Keys and partitioning are Portrait's own (key = userId,
 * the Java client's murmur2 partitioner), so one user's events stay in order.
 *
 *   import { commentRecord, sendRecords, subscribeProfiles, loadConfig } from 'portrait';
 *   const cfg = loadConfig();
 *   await sendRecords(cfg, [commentRecord({ eventId: 'e-1', userId: 'u1', commentId: 'c1', text: '…', ts: Date.now() })]);
 *   const following = await subscribeProfiles(cfg, 'my-recommender', (userId, profile) => { … });
 *
 * Profile events are schemaVersion 2 by default (the centroid as int8 with its scale, base64;
 * interests and top terms as arrays) or 1 (decimals and objects, profile.eventCentroid: decimal).
 * The readers here (decodeProfileEvent, subscribeProfiles) give both as a ProfileView: interests and
 * topTerms as objects; `centroidOf(profile)` gives either centroid as a Float32Array.
 */
import { randomUUID } from 'node:crypto';
import { Parts } from './app/parts.js';
import type { Config } from './config/index.js';
import { CommentEvent, type CommentEventInput, decodeProfileEvent, ForgetEvent, type ForgetEventInput, formatIssues, type ProfileView, SCHEMA_VERSION } from './events/index.js';
import type { Following } from './kafka/types.js';
import { PortraitError } from './util/errors.js';
import { createLogger, type Logger } from './util/logger.js';

export { loadConfig, type Config } from './config/index.js';
export {
  centroidOf,
  decodeProfileEvent,
  PROFILE_SCHEMA_VERSION,
  PROFILE_SCHEMA_VERSIONS,
  SCHEMA_VERSION,
  type CommentEventInput,
  type ForgetEventInput,
  type Int8Centroid,
  type ProfileEvent,
  type ProfileEventV1,
  type ProfileEventV2,
  profileView,
  type ProfileInterest,
  type ProfileTerm,
  type ProfileView,
  type ProfileViewV2,
} from './events/index.js';
export type { Following } from './kafka/types.js';
export { PortraitError, isPortraitError } from './util/errors.js';

/**
 * A record for the comments topic: key = userId, value = the event as JSON. Send it with the murmur2
 * partitioner (the Java client's and kafkajs's default, `sendRecords` here; librdkafka clients and
 * kcat need `partitioner=murmur2_random`): all of one user's events then share a partition and are
 * processed in order (docs/events.md, "Partitioning").
 */
export interface EventRecord {
  key: string;
  value: string;
}

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Parameters<typeof formatIssues>[0] } } }, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new PortraitError('USAGE', `invalid ${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** A comment event, validated as the processor will (a bad one throws here instead of going to the dead-letter topic). `eventId` defaults to a random UUID. */
export function commentRecord(input: Optional<CommentEventInput, 'eventId' | 'schemaVersion'>): EventRecord {
  const event = { ...input, type: 'comment', schemaVersion: SCHEMA_VERSION, eventId: input.eventId ?? randomUUID() };
  checked(CommentEvent, event, 'comment event');
  return { key: event.userId, value: JSON.stringify(event) };
}

/** A forget event: erases the user (ordered after their earlier comments). `eventId` defaults to a random UUID, `ts` to now. */
export function forgetRecord(input: Optional<ForgetEventInput, 'eventId' | 'schemaVersion' | 'ts' | 'type'>): EventRecord {
  const event = { ...input, type: 'forget', schemaVersion: SCHEMA_VERSION, eventId: input.eventId ?? randomUUID(), ts: input.ts ?? Date.now() };
  checked(ForgetEvent, event, 'forget event');
  return { key: event.userId, value: JSON.stringify(event) };
}

/** Send records to the comments topic (acks = all, idempotent, keyed by userId with murmur2, so one user's events share a partition); resolves once the broker has them. */
export async function sendRecords(cfg: Readonly<Config>, records: readonly EventRecord[], log: Logger = createLogger('warn')): Promise<void> {
  const parts = new Parts(cfg, log, { kafkaClientIdSuffix: '-producer' });
  const producer = parts.kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send(cfg.kafka.topics.comments, records);
  } finally {
    await producer.disconnect();
    await parts.close();
  }
}

/**
 * Follow the profiles topic from the beginning (the latest profile of each user survives
 * compaction, then every new version): `onProfile(userId, profile)` per event, `profile` null for a
 * tombstone (the user was erased); schemaVersion 1 or 2 in one shape (ProfileView: interests and
 * topTerms as objects in both), `centroidOf(profile)` reads the centroid of either. `group` names the reader's consumer group (it never commits).
 * Keep the highest `version` per user (and drop it on a tombstone): two processors writing one user
 * may publish a lower version after a higher one, the stored one again after it (docs/events.md, "Partitioning").
 */
export async function subscribeProfiles(cfg: Readonly<Config>, group: string, onProfile: (userId: string, profile: ProfileView | null) => void | Promise<void>, log: Logger = createLogger('warn')): Promise<Following> {
  const parts = new Parts(cfg, log, { kafkaClientIdSuffix: '-subscriber' });
  const following = await parts.kafka.follow(cfg.kafka.topics.profiles, { groupId: group, fromBeginning: true }, async (batch) => {
    for (const r of batch.records) {
      const d = decodeProfileEvent(r.value);
      if (d.ok && r.key) await onProfile(r.key.toString('utf8'), d.event);
    }
  });
  return {
    async stop() {
      await following.stop();
      await parts.close();
    },
  };
}
