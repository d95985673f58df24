/**
 * Checks the tools code hands Switchboard (`compileTree`'s `tools`, a tools module's export): each
 * entry a LangChain tool (made with `tool()` from `@langchain/core/tools`, or a `StructuredTool`),
 * registered under its own name. A plain function, or a tool under a key other than its name, would
 * otherwise crash the compile or leave the tool uncallable (the model is offered the tool's name,
 * the tree and the runtime know the key).
 */

/** What is wrong with a tool registry, one sentence per entry; empty when nothing is. */
export function toolRegistryProblems(tools: unknown): string[] {
  // Plain JavaScript may pass null for none, as undefined.
  if (tools === undefined || tools === null) return [];
  if (typeof tools !== 'object') return [`the tools are ${kindOf(tools)}, not an object of tools by name or a list of tools`];
  if (Array.isArray(tools)) return [...tools.flatMap((tool: unknown, index) => (isTool(tool) ? [] : [`entry ${index} of the list ${notATool(tool)}`])), ...sameNames(tools)];
  return Object.entries(tools).flatMap(([key, tool]: [string, unknown]) => {
    if (!isTool(tool)) return [`"${key}" ${notATool(tool)}`];
    return tool.name === key ? [] : [`"${key}" holds the tool named "${tool.name}" (the model would be offered "${tool.name}", the tree knows "${key}"): register it under its own name, ${tool.name}: …, or name it "${key}"`];
  });
}

/** In a list, two tools of one name: the later would silently replace the earlier. */
function sameNames(tools: readonly unknown[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const tool of tools) if (isTool(tool)) (seen.has(tool.name) ? twice : seen).add(tool.name);
  return [...twice].map((name) => `two tools of the list are named "${name}": give each its own name`);
}

function isTool(value: unknown): value is { name: string; invoke: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { invoke?: unknown }).invoke === 'function';
}

function notATool(value: unknown): string {
  const hint = typeof value === 'function' ? ': wrap the function with tool() from @langchain/core/tools (a name, a description and a zod schema)' : ': pass a tool made with tool() from @langchain/core/tools';
  return `is ${kindOf(value)}, not a LangChain tool${hint}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a plain function';
  if (typeof value === 'object') return 'an object';
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;
}
