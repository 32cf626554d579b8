/**
 * Portrait's import rules (`npm run lint`). Rules that hold are errors; rules the restructure of
 * issue #16 has not reached yet are warnings, each with the reason, and become errors as it lands.
 */
const PURE = '^src/(text|profile|events|config)/';
const IO_CLIENTS = 'node_modules/(kafkajs|ioredis|@huggingface/transformers|onnxruntime-node|fastify|@fastify/)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import cycles, type-only imports included.', from: {}, to: { circular: true } },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    { name: 'pure-folders-no-io', severity: 'error', comment: 'text, profile, events and config are pure: no I/O client, no service layer.', from: { path: PURE }, to: { path: [IO_CLIENTS, '^src/(kafka|store|embed|api|metrics|cli|app)/'] } },
    { name: 'metrics-never-builds-the-api', severity: 'error', comment: 'Telemetry feeds the API; it never builds it (src/app assembles both).', from: { path: '^src/metrics/' }, to: { path: '^src/api/' } },
    { name: 'model-runtime-only-in-embed', severity: 'error', comment: 'Model I/O lives in src/embed.', from: { path: '^(src|consumers)/', pathNot: '^src/embed/' }, to: { path: 'node_modules/(@huggingface/transformers|onnxruntime-node)/' } },
    { name: 'kafkajs-only-in-kafka', severity: 'error', comment: '#16: only src/kafka imports kafkajs (types included); the rest uses the KafkaClient of src/kafka/types.ts (createKafkaClient), so another Kafka client can be dropped in behind it. test/ and bench/ are not covered: they use kafkajs directly, as an independent peer client of the broker.', from: { path: '^(src|consumers|scripts)/', pathNot: '^src/kafka/' }, to: { path: 'node_modules/kafkajs/' } },
    { name: 'predict-never-imports-training', severity: 'error', comment: 'Predict-time classification (what a processor loads) imports neither training (src/train) nor evaluation (src/eval), type-only imports included; those import src/classify.', from: { path: '^src/classify/' }, to: { path: '^src/(train|eval)/' } },
    { name: 'training-never-imports-evaluation', severity: 'error', comment: 'src/eval runs training and scores it; src/train fits (and owns the pure metrics it selects models by), never the other way round.', from: { path: '^src/train/' }, to: { path: '^src/eval/' } },
    { name: 'kafka-layer-knows-no-stage', severity: 'error', comment: 'the Kafka layer hands records to a RecordHandler (src/kafka/records.ts) and knows no pipeline stage.', from: { path: '^src/kafka/' }, to: { path: '^src/pipeline/' } },
    { name: 'ioredis-only-in-store', severity: 'error', comment: 'Only the store imports the Redis client library: every Redis command, key and script is in src/store (docs/redis-keys.md). bench/ is outside: its naive baseline, its key cleanup and its command probe use ioredis on purpose.', from: { path: '^(src|consumers)/', pathNot: '^src/store/' }, to: { path: 'node_modules/ioredis/' } },
    {
      name: 'redis-client-only-in-assembly',
      severity: 'error',
      comment:
        'A Redis client (src/store/redis-client.ts) is made and handed to store classes only where the parts are assembled: the composition root (src/app/parts.ts), the processor telemetry (src/app/telemetry.ts),. Commands, consumers, the API, classify, embed, metrics, the API routes, pipeline, similar and eval hold a store interface, never a client; src/store/index.ts does not re-export it.',
      from: { path: '^(src|consumers|bench|scripts)/', pathNot: ['^src/store/(?!index[.]ts$)', '^src/app/'] },
      to: { path: '^src/store/redis-client[.]ts$' },
    },
    {
      name: 'kafka-client-only-in-assembly',
      severity: 'error',
      comment: 'The Kafka client is built from the config only by the composition root (src/app/parts.ts); everything else asks it for one (Parts.kafka, Parts.kafkaAs).',
      from: { path: '^(src|consumers|bench|scripts)/', pathNot: ['^src/kafka/', '^src/app/'] },
      to: { path: '^src/kafka/client[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    exclude: { path: ['^src/api/dashboard/'] },
  },
};
