/** What a manifest import gives a scenario, in the scenario's raw (user-written) form. */
export interface ManifestFragment {
  spec: {
    deployment: Record<string, unknown>;
    rollout?: {
      strategy: Record<string, unknown>;
      progressDeadlineSeconds?: number;
      analysisTemplates?: Record<string, Record<string, unknown>>;
      disaggregated?: Record<string, unknown>;
    };
    model?: { tensorParallel: number };
    server?: Record<string, unknown>;
    routing?: Record<string, unknown>;
  };
}
