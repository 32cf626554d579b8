export { createRegistry, type RegistryOptions } from './registry.js';
export { PortraitMetrics, componentOf, type BatchLike, type BatchInfo, type ErrorComponent, type PortraitMetricsOptions } from './portrait-metrics.js';
export { STAGES, type Stage, type StageDurations } from './stages.js';
export { LagPoller, computeLag, fetchLag, type LagPollerOptions } from './lag.js';
export { StatsPublisher, newInstanceId, type StatsPublisherOptions } from './publisher.js';
export { parseSnapshot, type ProcSnapshot, type PartitionLag, type ModelVersions } from './snapshot.js';
export { LatencyWindow, RateWindow, type Percentiles } from './window.js';
