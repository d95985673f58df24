/**
 * The CLI's commands, as `switchboard --help` lists them. Each command's module is imported only
 * when that command runs (or shows its own help), so `switchboard --help` loads none of them, and
 * `switchboard lint` never loads the drawing, the dev server or eval. `summary` is the command's
 * description, and `usage` its arguments, exactly as its module declares them (a test checks).
 */
import type { Command } from 'commander';

export interface CommandEntry {
  name: string;
  usage: string;
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'init',
    usage: '[options] [file]',
    summary: 'Write a starter tree (default tree.yaml) and a switchboard.config.json naming it (in the current folder when the tree is inside it, else beside the tree); editors complete and check both through their $schema.',
    load: async () => (await import('./init.js')).registerInit,
  },
  {
    name: 'lint',
    usage: '[options] <tree>',
    summary: 'Check a tree and print every problem as file:line:col code message.',
    load: async () => (await import('./lint.js')).registerLint,
  },
  {
    name: 'draw',
    usage: '[options] <tree>',
    summary: 'Draw the compiled tree (offline): Mermaid or DOT text, or an SVG or PNG picture.',
    load: async () => (await import('./draw.js')).registerDraw,
  },
  {
    name: 'dev',
    usage: '[options] <tree>',
    summary: 'Open a local page that draws the tree, redraws it on save, shows its errors and runs conversations.',
    load: async () => (await import('./dev.js')).registerDev,
  },
  {
    name: 'run',
    usage: '[options] <tree>',
    summary: 'Send one user message and print the turn.',
    load: async () => (await import('./run.js')).registerRun,
  },
  {
    name: 'chat',
    usage: '[options] <tree>',
    summary:
      'Chat with a tree in the terminal (each line is one user turn). /reply <text> answers as the person (/reply --hand-back-to <agent> <text> also hands the conversation back); /quit to leave.',
    load: async () => (await import('./chat.js')).registerChat,
  },
  {
    name: 'pending',
    usage: '[options] <tree>',
    summary: 'List threads waiting for a person.',
    load: async () => (await import('./pending.js')).registerPending,
  },
  {
    name: 'resume',
    usage: '[options] <tree>',
    summary: 'Answer, as the person, a thread waiting for one; optionally hand it back to an agent.',
    load: async () => (await import('./resume.js')).registerResume,
  },
  {
    name: 'approve',
    usage: '[options] <tree>',
    summary: 'Approve the handoff a thread waits on (approval: required): the conversation moves, and the receiving agent answers.',
    load: async () => (await import('./approval.js')).registerApprove,
  },
  {
    name: 'deny',
    usage: '[options] <tree>',
    summary: 'Deny the handoff a thread waits on (approval: required): the agent that asked is told, with --reason, and goes on.',
    load: async () => (await import('./approval.js')).registerDeny,
  },
  {
    name: 'eval',
    usage: '[options] <tree>',
    summary: 'Run a routing dataset on the tree and report accuracy, precision and recall per agent, the confusion matrix and every mismatch.',
    load: async () => (await import('./eval.js')).registerEval,
  },
  {
    name: 'trace',
    usage: '[options] <tree>',
    summary: "Print a turn's step trace: model calls with the messages each model received, tool calls, handoffs, fallbacks and limits.",
    load: async () => (await import('./trace.js')).registerTrace,
  },
  {
    name: 'stats',
    usage: '[options] <tree>',
    summary: "Routing analytics of the tree's conversations in the store: handoffs per conversation, escalation rates, paths, refusals, limits, fallbacks, cost per path.",
    load: async () => (await import('./stats.js')).registerStats,
  },
];
