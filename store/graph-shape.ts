/**
 * A graph's shape (its nodes and channels), as the saver needs it to forget a node the YAML removed.
 *
 * LangGraph copies every channel's version, and every node's `versions_seen`, from one checkpoint to
 * the next, also for a node the graph no longer has. Memory and SQLite keep only the values of the
 * graph's own channels, so a removed node's trigger is gone with it; PostgreSQL keeps each value by
 * version and joins it back by the versions the checkpoint lists. Rolled back (or run by a worker
 * still on the old YAML), the node found its old trigger again and ran: a person's closed wait
 * reopened, or two agents answered one message. Dropping the removed node's trigger version and its
 * `versions_seen` together leaves it as a node that never ran (dropping the version alone could
 * leave a newer trigger unseen); a handoff to it later triggers it as any handoff does.
 */
import type { Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';

/** The `configurable` key under which a compiled Switchboard graph passes its shape to the saver. */
export const SHAPE_KEY = 'switchboard_shape';

/** Plain arrays, so the shape survives a config written out as JSON (an assistant's, say). */
export interface GraphShape {
  readonly nodes: readonly string[];
  readonly channels: readonly string[];
}

/** The shape a graph's default config carries (see `graphs/compile.ts`). */
export function graphShape(graph: { nodes: object; channels: object }): GraphShape {
  return { nodes: Object.keys(graph.nodes), channels: Object.keys(graph.channels) };
}

/**
 * The checkpoint without the channels and nodes the writing graph does not have. Only for the root
 * graph's checkpoints: a graph nested in a node inherits the configurable but has channels of its own.
 * LangGraph's own keys of `versions_seen` (`__interrupt__`, `__input__`) stay.
 */
export function withoutRemovedNodes(checkpoint: Checkpoint, config: RunnableConfig): Checkpoint {
  const configurable = config.configurable as Record<string, unknown> | undefined;
  const shape = configurable?.[SHAPE_KEY] as Partial<GraphShape> | undefined;
  if (!Array.isArray(shape?.nodes) || !Array.isArray(shape.channels) || (configurable?.checkpoint_ns ?? '') !== '') return checkpoint;
  const nodes = new Set(shape.nodes);
  const channels = new Set(shape.channels);
  const removedChannels = Object.keys(checkpoint.channel_versions).filter((channel) => !channels.has(channel));
  const removedNodes = Object.keys(checkpoint.versions_seen).filter((node) => !node.startsWith('__') && !nodes.has(node));
  if (removedChannels.length === 0 && removedNodes.length === 0) return checkpoint;
  const channel_versions = { ...checkpoint.channel_versions };
  for (const channel of removedChannels) delete channel_versions[channel];
  const versions_seen = { ...checkpoint.versions_seen };
  for (const node of removedNodes) delete versions_seen[node];
  return { ...checkpoint, channel_versions, versions_seen };
}
