/**
 * How the router learns about pods through its own watch or poll (an EPP's pod reconciler, a router's service
 * discovery), separately from the Kubernetes Service endpoints: a pod becomes routable `admissionDelay` seconds
 * after the router would want it and stops being routable `removalDelay` seconds after it would not.
 */
export interface DiscoverySpec {
  readonly admissionDelay: number;
  readonly removalDelay: number;
  /**
   * Whether the router drops a pod as soon as it is Terminating (deletionTimestamp set). A router that does not
   * keeps routing to it while its readiness still passes (vllm-project/production-stack#601).
   */
  readonly honorsTerminating: boolean;
}

/** What the router's watch sees of a pod. */
export interface WatchedPod {
  readonly ready: boolean;
  readonly deleting: boolean;
  readonly gone: boolean;
}

/** Whether a router with this discovery wants the pod among its endpoints. */
export function routerWants(pod: WatchedPod, honorsTerminating: boolean): boolean {
  return pod.ready && !pod.gone && !(honorsTerminating && pod.deleting);
}
