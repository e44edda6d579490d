/**
 * Prompt tokens looked up in the prefix caches of a fleet and the share found there: vLLM's
 * `prefix_cache_queries` and `prefix_cache_hits` counters, summed over every replica a run ever started (a pod
 * that is gone keeps its contribution). The window sampler reads the difference between two samples.
 */
export class PrefixCacheTally {
  /** Prompt tokens of admitted requests (a request re-admitted after a preemption looks up again). */
  queryTokens = 0;
  /** Of those, tokens served from the prefix cache instead of being prefilled. */
  hitTokens = 0;
}
