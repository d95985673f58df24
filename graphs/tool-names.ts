/**
 * The names in a tool registry, for lint (which checks names, not tools).
 */
import type { ToolRegistry } from './compile.js';

/** The tool names of a registry: its keys, or the `name` of each tool in a list. */
export function toolNamesOf(tools: ToolRegistry | undefined): string[] {
  if (!tools) return [];
  return Array.isArray(tools) ? (tools as readonly { name: string }[]).map((tool) => tool.name) : Object.keys(tools);
}
