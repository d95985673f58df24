/**
 * `switchboard/tracing`: traces of a tree's turns for the tools production teams use. Kept out of
 * the main entry so `@opentelemetry/api` (an optional peer dependency) is loaded only by apps that
 * trace with OpenTelemetry. LangSmith needs nothing from here: see docs/tracing.md.
 */
export { openTelemetryObserver } from './otel.js';
export type { OpenTelemetryObserverOptions } from './otel.js';
export { ATTRIBUTE as GEN_AI_ATTRIBUTES, OPERATION as GEN_AI_OPERATIONS, SWITCHBOARD as SWITCHBOARD_ATTRIBUTES } from './gen-ai.js';
export { openTelemetryMetrics } from './metrics.js';
export type { OpenTelemetryMetricsOptions } from './metrics.js';
