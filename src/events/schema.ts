/**
 * Event contracts (zod). Input events arrive on the comments topic (key = userId); profile events
 * leave on the compacted profiles topic (key = userId). The contracts are written down in
 * docs/events.md and published as JSON Schemas in docs/schemas/ (generated from these schemas by
 * src/events/json-schema.ts; a unit test keeps them in sync).
 *
 * Unknown top-level keys of INPUT events are ignored (stripped), so producers can add fields without
 * a coordinated deployment; breaking changes bump `schemaVersion`, which this build rejects.
 * PROFILE events are what Portrait writes: their schema is closed so nothing (raw text!) can leak in.
 */
import { Buffer } from 'node:buffer';
import { z } from 'zod';

export const SCHEMA_VERSION = 1;

/** Size limits of the contract (string lengths are in UTF-16 code units, like JavaScript's `length`). */
export const LIMITS = {
  eventId: 128,
  userId: 256,
  commentId: 256,
  text: 100_000,
  lang: 35,
  source: 128,
  reason: 512,
  metadataKeys: 32,
  metadataKey: 128,
  metadataString: 1024,
  label: 128,
} as const;

/** No C0/C1 control characters and no unpaired UTF-16 surrogates (they would not survive UTF-8). */
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

function identifier(max: number, description: string) {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(PRINTABLE, { error: 'must not contain control characters or unpaired surrogates' })
    .meta({ description });
}

export const EventId = identifier(LIMITS.eventId, 'Unique id of this event (used for de-duplication and tracing).');
/**
 * "." and ".." are the only strings a URL cannot carry as a path segment: WHATWG URL parsers
 * (browsers, fetch) resolve them, even percent-encoded, so a user with such an id could never be
 * read, exported or erased over the HTTP API. They are refused at the door instead.
 */
export const DOT_SEGMENT_IDS: readonly string[] = ['.', '..'];
export const DOT_SEGMENT_ERROR = 'must not be "." or ".." (URL clients cannot address them)';

export const UserId = identifier(LIMITS.userId, 'The user the event is about; also the record key. Any characters but control characters, including { } : *; not "." or "..".').refine((s) => !DOT_SEGMENT_IDS.includes(s), { error: DOT_SEGMENT_ERROR });
export const CommentId = identifier(LIMITS.commentId, 'Id of the comment in the upstream application.');

/** ISO-8601 date-time with a timezone (Z or ±hh:mm), or epoch milliseconds; normalised to epoch ms. */
export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.int()], {
    error: (iss) => (iss.input === undefined ? 'required' : 'expected an ISO-8601 date-time with a timezone (e.g. 2024-05-01T12:00:00Z) or integer epoch milliseconds'),
  })
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)))
  .meta({ description: 'Event time: ISO-8601 date-time with timezone, or epoch milliseconds.' });

const MetadataValue = z.union([z.string().max(LIMITS.metadataString, { error: `must be at most ${LIMITS.metadataString} characters` }), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number, boolean or null',
});

export const Metadata = z
  .record(z.string().min(1).max(LIMITS.metadataKey), MetadataValue)
  .refine((o) => Object.keys(o).length <= LIMITS.metadataKeys, { error: `must have at most ${LIMITS.metadataKeys} keys` })
  .meta({ description: 'Flat key/value pairs passed through for tracing; not used for profiling.', maxProperties: LIMITS.metadataKeys });

const schemaVersion = z.literal(SCHEMA_VERSION, { error: `unsupported schemaVersion (this build reads ${SCHEMA_VERSION})` });

export const CommentEvent = z
  .object({
    type: z.literal('comment').default('comment'),
    schemaVersion,
    eventId: EventId,
    userId: UserId,
    commentId: CommentId,
    text: z
      .string()
      .max(LIMITS.text, { error: `must be at most ${LIMITS.text} characters` })
      .meta({ description: 'The comment as the user wrote it (Chinese, English or mixed). Never stored or published.' }),
    ts: Timestamp,
    lang: z.string().min(1).max(LIMITS.lang).optional().meta({ description: 'Language hint such as zh or en (BCP 47).' }),
    source: z.string().max(LIMITS.source).optional().meta({ description: 'Producing application or surface.' }),
    metadata: Metadata.optional(),
  })
  .meta({ title: 'CommentEvent', description: 'A comment a user wrote. Topic: comments; key: userId (UTF-8).' });

export const ForgetEvent = z
  .object({
    type: z.literal('forget'),
    schemaVersion,
    eventId: EventId,
    userId: UserId,
    ts: Timestamp,
    reason: z.string().max(LIMITS.reason).optional().meta({ description: 'Why the user is erased (audit only).' }),
  })
  .meta({ title: 'ForgetEvent', description: 'Erase everything Portrait holds about a user. Topic: comments; key: userId (UTF-8).' });

export const InputEvent = z.discriminatedUnion('type', [CommentEvent, ForgetEvent]);

export const INPUT_EVENT_TYPES = ['comment', 'forget'] as const;

export type CommentEvent = z.infer<typeof CommentEvent>;
export type ForgetEvent = z.infer<typeof ForgetEvent>;
export type InputEvent = z.infer<typeof InputEvent>;
/** What a producer may send (before defaults and timestamp normalisation). */
export type CommentEventInput = z.input<typeof CommentEvent>;
export type ForgetEventInput = z.input<typeof ForgetEvent>;

// ---------------------------------------------------------------------------------------------------
// Profile events (output)

const IsoUtc = z.iso.datetime().meta({ description: 'ISO-8601 UTC date-time (Date.prototype.toISOString).' });
const Label = z.string().min(1).max(LIMITS.label);
const unit = z.number().min(0).max(1);

const Score = z.number().min(0);

export const Interest = z.strictObject({
  label: Label,
  score: Score.meta({ description: 'Decayed sum of the label probabilities.' }),
  share: unit.meta({ description: 'score / sum of all label scores.' }),
  confidence: unit.meta({ description: "the probability that the label is the user's main topic, calibrated at user level (docs/profile.md); a profile's confidences sum to at most 1." }),
});

export const TopTerm = z.strictObject({ term: z.string().min(1), score: Score });

/**
 * An interest on the wire of schemaVersion 2: `[label, score, share, confidence]`, the fields of
 * `Interest` by position (a third of the bytes of the object; docs/events.md).
 */
export const InterestTuple = z
  .tuple([
    Label.meta({ description: 'label' }),
    Score.meta({ description: 'score: decayed sum of the label probabilities, 4 significant digits.' }),
    unit.meta({ description: 'share: score / sum of all label scores, 4 decimals.' }),
    unit.meta({ description: "confidence: the probability that the label is the user's main topic, calibrated at user level (docs/profile.md), 4 decimals." }),
  ])
  .meta({ description: '[label, score, share, confidence]' });

/** A top term on the wire of schemaVersion 2: `[term, score]`. */
export const TopTermTuple = z.tuple([z.string().min(1).meta({ description: 'term' }), Score.meta({ description: 'score: decayed count, 4 significant digits.' })]).meta({ description: '[term, score]' });

/** A unit vector (|v| = 1 within 1e-3) or, for a profile without signal, all zeros. */
export const Centroid = z
  .array(z.number())
  .min(1)
  .refine(
    (v) => {
      let s = 0;
      for (const x of v) s += x * x;
      return Math.abs(Math.sqrt(s) - 1) <= 1e-3 || s === 0;
    },
    { error: 'must be a unit vector (or all zeros)' },
  )
  .meta({ description: 'Decayed mean of the comment embeddings, L2-normalised, rounded to 6 decimals.' });

/** Standard base64 (RFC 4648 section 4, `+/`, padded): what every language's default decoder reads. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of a base64 string (undefined when it is not standard padded base64). */
export function base64Bytes(data: string): Buffer | undefined {
  return BASE64.test(data) ? Buffer.from(data, 'base64') : undefined;
}

/**
 * The centroid of a version-2 profile event: one signed byte per component and one scale, component
 * i = int8(data[i]) × scale. Quantised per vector (scale = max|v| / 127, src/util/int8.ts `quantize`,
 * the similar-users index's quantisation), so the largest component is ±127 and -128 never occurs.
 */
export const Int8Centroid = z
  .strictObject({
    encoding: z.literal('int8').meta({ description: 'One signed byte per component.' }),
    scale: z
      .number()
      .positive()
      .refine((x) => Number.isFinite(x), { error: 'must be finite' })
      .meta({ description: 'Component i = int8(data[i]) × scale (a float32 value: max|v| / 127).' }),
    data: z
      .string()
      .min(1)
      .regex(BASE64, { error: 'must be standard base64 (A-Z a-z 0-9 + /, padded with =)' })
      .meta({ description: "Base64 (standard alphabet, padded) of embedder.dim signed bytes (two's complement), component 0 first.", contentEncoding: 'base64' }),
  })
  .superRefine((c, ctx) => {
    const bytes = base64Bytes(c.data);
    if (!bytes) return;
    const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i]! * q[i]!;
    // quantisation moves the norm by at most ‖x̂ - x‖ ≤ √dim · scale / 2
    const norm = Math.sqrt(s) * c.scale;
    if (s !== 0 && Math.abs(norm - 1) > Math.max(1e-3, (Math.sqrt(q.length) * c.scale) / 2)) ctx.addIssue({ code: 'custom', path: ['data'], message: 'must be a unit vector (or all zeros)' });
  })
  .meta({ description: 'Decayed mean of the comment embeddings, L2-normalised, quantised to int8 with one scale per vector (docs/events.md).' });

/**
 * The fields of every profile event, in their order on the wire; `interests` and `topTerms` as
 * objects (schemaVersion 1, and what readers see of either version: ProfileView) or as arrays
 * (schemaVersion 2).
 */
function profileFields<I extends z.ZodType, T extends z.ZodType>(interest: I, term: T) {
  return {
    userId: UserId,
    version: z.int().min(1).meta({ description: 'Per-user monotonic version; consumers drop a version they have already seen.' }),
    updatedAt: IsoUtc,
    firstSeen: IsoUtc,
    lastSeen: IsoUtc,
    commentCount: z.int().min(0),
    interests: z.array(interest).meta({ description: 'Top interests by score, highest first.' }),
    topTerms: z.array(term).meta({ description: 'Top terms by decayed count, highest first.' }),
    evidence: z.record(Label, z.array(CommentId)).meta({ description: 'Recent comment ids per interest label, newest first.' }),
    embedder: z.strictObject({ id: z.string().min(1), dim: z.int().min(1) }),
    classifier: z.strictObject({ kind: z.enum(['zero-shot', 'rf', 'linear']), version: z.string().min(1) }),
    causedBy: z.array(EventId).min(1).meta({ description: 'Ids of the input events folded into this version.' }),
    namespace: z.string().min(1).max(128).meta({ description: 'Profile namespace (one per replay / experiment).' }),
  };
}

/** Profile event versions this build reads; it writes PROFILE_SCHEMA_VERSION, or 1 with profile.eventCentroid: decimal. */
export const PROFILE_SCHEMA_VERSIONS = [1, 2] as const;
export const PROFILE_SCHEMA_VERSION = 2;

const objectFields = profileFields(Interest, TopTerm);

export const ProfileEventV1 = z
  .strictObject({ schemaVersion: z.literal(1), ...objectFields, centroid: Centroid })
  .superRefine((e, ctx) => {
    if (e.centroid.length !== e.embedder.dim) {
      ctx.addIssue({ code: 'custom', path: ['centroid'], message: `length ${e.centroid.length} differs from embedder.dim ${e.embedder.dim}` });
    }
  })
  .meta({ title: 'ProfileEventV1', description: 'schemaVersion 1: the centroid as decimals (profile.eventCentroid: decimal); interests and topTerms as objects.' });

const V2_CENTROID_DESCRIPTION = 'Decayed mean of the comment embeddings, L2-normalised, quantised to int8 with one scale per vector (docs/events.md). Absent only with profile.eventCentroid: none.';

function v2<S extends z.ZodObject>(shape: S, title: string, description: string) {
  return shape
    .superRefine((e, ctx) => {
      const { centroid, embedder } = e as unknown as { centroid?: Int8Centroid; embedder: { dim: number } };
      const bytes = centroid && base64Bytes(centroid.data);
      if (bytes && bytes.length !== embedder.dim) {
        ctx.addIssue({ code: 'custom', path: ['centroid', 'data'], message: `holds ${bytes.length} bytes, embedder.dim is ${embedder.dim}` });
      }
    })
    .meta({ title, description });
}

export const ProfileEventV2 = v2(
  z.strictObject({ schemaVersion: z.literal(2), ...profileFields(InterestTuple, TopTermTuple), centroid: Int8Centroid.optional().meta({ description: V2_CENTROID_DESCRIPTION }) }),
  'ProfileEventV2',
  'schemaVersion 2 (the default): the centroid as int8 with its scale, base64; interests as [label, score, share, confidence] and topTerms as [term, score] arrays.',
);

export const ProfileEvent = z.discriminatedUnion('schemaVersion', [ProfileEventV1, ProfileEventV2], { error: `unsupported schemaVersion (this build reads ${PROFILE_SCHEMA_VERSIONS.join(' and ')})` }).meta({
  title: 'ProfileEvent',
  description:
    "A user's refreshed profile. Topic: profiles (compacted); key: userId (UTF-8); a null value (tombstone) means the user was erased. schemaVersion 2 carries the centroid as int8 and interests and topTerms as arrays, 1 the centroid as decimals and interests and topTerms as objects; the rest is the same.",
});

/**
 * A profile event as this package's readers give it (decodeProfileEvent, subscribeProfiles, the
 * HTTP API): version 2's interest and term arrays as the objects of version 1, so a reader sees one
 * shape whichever version was published. Version 1 events are their own view.
 */
export const ProfileViewV2 = v2(
  z.strictObject({ schemaVersion: z.literal(2), ...objectFields, centroid: Int8Centroid.optional().meta({ description: V2_CENTROID_DESCRIPTION }) }),
  'ProfileViewV2',
  'schemaVersion 2 as readers see it: the centroid as int8 with its scale, base64; interests and topTerms as objects.',
);

export const ProfileView = z.discriminatedUnion('schemaVersion', [ProfileEventV1, ProfileViewV2], { error: `unsupported schemaVersion (this build reads ${PROFILE_SCHEMA_VERSIONS.join(' and ')})` }).meta({
  title: 'ProfileView',
  description:
    "A user's profile as Portrait's readers give it: the last profile event published for the user, with version 2's interest and term arrays as objects (docs/events.md). schemaVersion 2 carries the centroid as int8, 1 as decimals; the rest is the same.",
});

export type ProfileEvent = z.infer<typeof ProfileEvent>;
export type ProfileEventV1 = z.infer<typeof ProfileEventV1>;
export type ProfileEventV2 = z.infer<typeof ProfileEventV2>;
export type ProfileView = z.infer<typeof ProfileView>;
export type ProfileViewV2 = z.infer<typeof ProfileViewV2>;
export type ProfileTerm = z.infer<typeof TopTerm>;
export type InterestTuple = z.infer<typeof InterestTuple>;
export type TopTermTuple = z.infer<typeof TopTermTuple>;
export type Int8Centroid = z.infer<typeof Int8Centroid>;
export type ProfileInterest = z.infer<typeof Interest>;
