/**
 * Names an agent may not take, compared case-insensitively: LangGraph's own nodes, words that break
 * Mermaid flowcharts (even LangGraph's own `drawMermaid()`), and JavaScript prototype keys.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__start__',
  '__end__',
  'start',
  'end',
  'graph',
  'subgraph',
  'style',
  'class',
  'classdef',
  'linkstyle',
  'flowchart',
  'call',
  'href',
  'click',
  'direction',
  'default',
  'constructor',
  'prototype',
  '__proto__',
]);
