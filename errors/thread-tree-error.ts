import { SwitchboardError } from './switchboard-error.js';

/**
 * A thread belongs to another tree: each thread records the name of the tree that started it, and
 * a tree never runs another's thread (its agents, state and person would not be the same). Use
 * another thread id, or open the thread with its own tree.
 */
export class ThreadTreeError extends SwitchboardError {
  override readonly name = 'ThreadTreeError';
  constructor(
    readonly threadId: string,
    readonly threadTree: string,
    readonly tree: string,
  ) {
    super('THREAD_OF_ANOTHER_TREE', `Thread ${threadId} belongs to the tree "${threadTree}", not "${tree}". Use another thread id, or open it with the tree "${threadTree}".`);
  }
}
