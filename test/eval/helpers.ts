/**
 * Shared setup of the eval tests: example trees and datasets, temp files.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTree } from '../../config/load.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';

/** The path of a shipped dataset. */
export function datasetPath(name: string): string {
  return new URL(`../../eval/datasets/${name}.yaml`, import.meta.url).pathname;
}

/** An example tree loaded with the example tools. */
export async function loadExample(name: string) {
  return loadTree(examplePath(name), { tools: createExampleTools() });
}

/** Writes `files` into a fresh temp folder; returns the folder. */
export async function writeTemp(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'switchboard-eval-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  return folder;
}

/**
 * The text of config/support.yaml after an edit: billing also listens for "pay", sales no longer
 * for "discount". The first fixes "Can I pay by bank transfer…"; the second breaks "…nonprofit discount?".
 */
export async function editedSupportTree(): Promise<string> {
  const text = await readFile(examplePath('support'), 'utf8');
  const edited = text
    .replace(
      'keywords: [invoice, refund, charge, charged, billing, payment, bill, subscription]',
      'keywords: [invoice, refund, charge, charged, billing, payment, pay, bill, subscription]',
    )
    .replace('keywords: [pricing, price, discount, demo,', 'keywords: [pricing, price, demo,');
  if (!edited.includes('payment, pay, bill') || edited.includes('price, discount'))
    throw new Error('config/support.yaml changed: update editedSupportTree()');
  return edited;
}
