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
  /**
   * A pod readiness gate the router sets once it admits the pod (as the AWS Load Balancer Controller's
   * target-health gate does): the pod is Ready, and so counts for the Deployment, only from then on.
   */
  readonly readinessGate: boolean;
}

/**
 * The Deployment's minReadySeconds as a readiness gate makes it act: Ready waits for the router's admission,
 * `admissionDelay` after the containers are ready, and minReadySeconds counts from there.
 */
export function gatedMinReadySeconds(minReadySeconds: number, discovery: DiscoverySpec | null): number {
  return discovery !== null && discovery.readinessGate ? minReadySeconds + discovery.admissionDelay : minReadySeconds;
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
