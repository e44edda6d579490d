import { VLLM_SLEEP_MODE } from '../config/upstream-defaults.js';
import type { Simulator } from '../engine/simulator.js';

/**
 * Where a pod reads its model weights from, and how fast. Bandwidths are shared max-min fairly (processor
 * sharing) between every reader loading from the same store at once, so sixteen pods loading together from one
 * object store take longer than one alone.
 */
export type WeightSource = 'objectStore' | 'hub' | 'networkFs' | 'nodeLocal' | 'pageCache' | 'peer' | 'sleepWake';
export const WEIGHT_SOURCES: readonly WeightSource[] = ['objectStore', 'hub', 'networkFs', 'nodeLocal', 'pageCache', 'peer', 'sleepWake'];
/** What a scenario may name as its weight source; `peer` is the `fromPeers` lever, with one of these as fallback. */
export const CONFIGURED_SOURCES = ['objectStore', 'hub', 'networkFs', 'nodeLocal', 'pageCache'] as const;
export type ConfiguredSource = (typeof CONFIGURED_SOURCES)[number];

/** Bytes per second; Infinity = no limit at that level. */
export interface StoreLimits {
  /** One reader: one TP rank (or one downloader process for the hub). */
  readonly perReader: number;
  /** All readers on one node together (NIC, local disks). */
  readonly perNode: number;
  /** All readers of the store in the cluster together. */
  readonly aggregate: number;
  /**
   * Seconds per request round trip (0 for block storage). A download fetches a model's small files (config,
   * tokenizer, index: SMALL_FILES) one after another, then its shards HUB_PARALLEL_FILES at a time.
   */
  readonly requestLatency?: number;
  /**
   * A source that is itself a pod (a serving peer): what each of its ranks sends. The readers copying from one
   * source share its ranks × this, as readers on one node share perNode. Absent: the store has no such limit.
   */
  readonly perSourceRank?: number;
}

/** The source key of a transfer from a store without sending pods. */
export const NO_SOURCE = -1;

const GiB = 1024 ** 3;
const GB = 1e9;

/**
 * Defaults from startup-and-drain.md §3a (DERIVED rows cited); the aggregate limits of shared stores are not
 * measured anywhere in the reference and are UNCONFIRMED knobs (cluster.storage.<source>.aggregate).
 */
export const DEFAULT_STORE_LIMITS: Readonly<Record<WeightSource, StoreLimits>> = {
  // "S3 + Run:ai 1.2 GiB/s per rank with ~6 GiB/s aggregate per node" (r2–r8). Store-wide: UNCONFIRMED 20 GiB/s.
  objectStore: { perReader: 1.2 * GiB, perNode: 6 * GiB, aggregate: 20 * GiB, requestLatency: 0 },
  // Hub: one downloader per pod. Bandwidth 0.72 GB/s and 1 s per request fitted together on r1 (141 GB in
  // 196.5 s) and r41 (2.32 GB in 14.58 s, "latency-bound"); held back: r5, r6, TGI #653 (docs/validation.md).
  // Cluster egress: UNCONFIRMED 10 GB/s.
  hub: { perReader: 0.72 * GB, perNode: Infinity, aggregate: 10 * GB, requestLatency: 1 },
  // ~3 GB/s GPFS read per reader (huggingface/blog#521); 100 Gbit NIC per node; VAST 400 Gbit store (r24), UNCONFIRMED.
  networkFs: { perReader: 3 * GB, perNode: 12.5 * GB, aggregate: 50 * GB, requestLatency: 0 },
  // The disk is a node's, not a rank's: TGI read 140 GB in 50 s (r29, "disk maximum 2.7 GB/s") whatever the TP;
  // 13B from one disk took 16.0 s at TP1 and 14.4 s at TP2 (r27). Per reader: safetensors deserialisation,
  // ~2 GiB/s per rank (§3a).
  nodeLocal: { perReader: 2 * GiB, perNode: 2.8 * GB, aggregate: Infinity, requestLatency: 0 },
  // Weights in host memory (a hub download just written, or a second load on the node): 2.8–3.1 GiB/s per rank
  // and ≈23 GiB/s per node (r9); the reads right after a download were slower (r1 2.0, r6 1.7 GiB/s per rank).
  pageCache: { perReader: 3 * GiB, perNode: 23 * GiB, aggregate: Infinity, requestLatency: 0 },
  // GPU to GPU from a serving pod of the same version (RDMA): a DeepSeek-class 8-GPU checkpoint (~690 GB) in
  // 11 s, ≈7.8 GB/s per rank (issue 14, published figure); 8 × 400 Gbit NICs per node.
  // A rank sends at the rate a rank receives: two pods copying from one peer get half each.
  peer: { perReader: 7.8 * GB, perNode: 400 * GB, aggregate: Infinity, requestLatency: 0, perSourceRank: 7.8 * GB },
  // Waking a sleeping engine (vLLM sleep mode level 1: weights offloaded to pinned host memory): ~3 s to wake
  // 64 GiB (issue 14, published); vllm#48193 woke in 0.59 s. Taken per rank; each GPU has its own PCIe link, so
  // a node of 8 wakes 8 at once (UNCONFIRMED).
  sleepWake: { perReader: VLLM_SLEEP_MODE.wakeBytesPerSecondPerGpu, perNode: 8 * VLLM_SLEEP_MODE.wakeBytesPerSecondPerGpu, aggregate: Infinity, requestLatency: 0 },
};

/**
 * One stretch of a weight load: `readers` parallel readers each reading `bytesPerReader` from `source`, after
 * `requests` sequential request round trips to it.
 */
export interface TransferStep {
  readonly source: WeightSource;
  readonly readers: number;
  readonly bytesPerReader: number;
  readonly requests: number;
}

/** config.json, generation_config, tokenizer (3 files), special tokens, the safetensors index, README, …: ~10. */
export const SMALL_FILES = 10;
/** Hugging Face checkpoints are cut in shards of at most 5 GB. */
export const SHARD_BYTES = 5e9;
/** huggingface_hub snapshot_download fetches 8 files at once (max_workers=8). */
export const HUB_PARALLEL_FILES = 8;

/** Request round trips of one checkpoint download: the small files one by one, the shards 8 at a time. */
export function hubRequests(weightBytes: number): number {
  return SMALL_FILES + Math.ceil(Math.ceil(weightBytes / SHARD_BYTES) / HUB_PARALLEL_FILES);
}

/** Where the node holds the weights already, best first. */
export type NodeWeights = 'asleep' | 'pageCache' | 'disk' | 'none';

/**
 * The reads a pod does to load `weightBytes` with tensor parallelism `tp`. Each TP rank reads its shard; a hub
 * download is one process fetching the whole checkpoint to local disk, which the ranks then read back from the
 * page cache (the files were just written). Weights already in the node's page cache or on its disk (a node
 * model cache) are read from there.
 */
export function weightLoadSteps(source: WeightSource, weightBytes: number, tp: number, onNode: NodeWeights): TransferStep[] {
  const shard = weightBytes / tp;
  if (onNode === 'asleep') return [{ source: 'sleepWake', readers: tp, bytesPerReader: shard, requests: 0 }];
  if (onNode === 'pageCache') return [{ source: 'pageCache', readers: tp, bytesPerReader: shard, requests: 0 }];
  if (onNode === 'disk') return [{ source: 'nodeLocal', readers: tp, bytesPerReader: shard, requests: 0 }];
  if (source === 'hub') {
    return [
      { source: 'hub', readers: 1, bytesPerReader: weightBytes, requests: hubRequests(weightBytes) },
      { source: 'pageCache', readers: tp, bytesPerReader: shard, requests: 0 },
    ];
  }
  return [{ source, readers: tp, bytesPerReader: shard, requests: 0 }];
}

/** Seconds of one step for a pod alone on its store (the estimate; the simulation shares the stores). */
export function stepSecondsAlone(step: TransferStep, limits: StoreLimits): number {
  return step.requests * (limits.requestLatency ?? 0) + step.bytesPerReader / fairReaderRates(limits, [step.readers])[0];
}

/**
 * Max-min fair rate per reader for each node group (`readersByNode[i]` readers on node group i): each reader
 * is capped by `perReader` and by an equal share of its node's `perNode`; if the store's `aggregate` cannot carry
 * all of that, the largest shares are cut to a common level λ until the aggregate is met (water-filling).
 */
export function fairReaderRates(limits: StoreLimits, readersByNode: readonly number[]): number[] {
  const caps = readersByNode.map((k) => Math.min(limits.perReader, limits.perNode / k));
  let demand = 0;
  for (let i = 0; i < caps.length; i++) demand += caps[i] * readersByNode[i];
  if (demand <= limits.aggregate) return caps;
  const order = caps.map((_, i) => i).sort((a, b) => caps[a] - caps[b]);
  let capacityLeft = limits.aggregate;
  let readersLeft = readersByNode.reduce((s, k) => s + k, 0);
  let level = Infinity;
  for (const i of order) {
    if (caps[i] * readersLeft <= capacityLeft) {
      capacityLeft -= caps[i] * readersByNode[i];
      readersLeft -= readersByNode[i];
    } else {
      level = capacityLeft / readersLeft;
      break;
    }
  }
  return caps.map((c) => Math.min(c, level));
}

export interface TransferListener {
  /** The transfer started under `key` has read all its bytes. */
  transferDone(key: number): void;
}

interface Transfer {
  readonly key: number;
  readonly node: number;
  /** The sending pod (NO_SOURCE: none) and its ranks. */
  readonly source: number;
  readonly sourceRanks: number;
  readonly readers: number;
  readonly bytesPerReader: number;
  remaining: number;
  rate: number;
}

/** Below this fraction of its size left, a transfer counts as finished (float residue of remaining −= rate·dt). */
const DONE_FRACTION = 1e-9;

/**
 * One store shared by concurrent loaders (processor sharing): whenever a transfer joins or leaves, every active
 * transfer's progress is brought up to date and its rate recomputed, and the earliest finish is rescheduled.
 */
export class SharedStore {
  private readonly transfers: Transfer[] = [];
  private lastUpdate = 0;
  private finishEvent = -1;
  private readonly finishHandler: number;

  constructor(
    private readonly sim: Simulator,
    readonly source: WeightSource,
    readonly limits: StoreLimits,
    private readonly listener: TransferListener,
  ) {
    this.finishHandler = sim.handler(() => this.onFinish());
  }

  /**
   * Starts reading; `key` identifies the transfer (the pod id) for abort and the done callback; `source` the
   * sending pod of a peer copy (NO_SOURCE otherwise), with its ranks.
   */
  start(key: number, node: number, readers: number, bytesPerReader: number, source = NO_SOURCE, sourceRanks = 0): void {
    this.advance();
    this.transfers.push({ key, node, readers, bytesPerReader, source, sourceRanks, remaining: bytesPerReader, rate: 0 });
    this.reschedule();
  }

  /** Stops a transfer early (pod killed or deleted); a no-op for an unknown key. */
  abort(key: number): void {
    const i = this.transfers.findIndex((t) => t.key === key);
    if (i < 0) return;
    this.advance();
    this.transfers.splice(i, 1);
    this.reschedule();
  }

  /** Transfers in progress. */
  get activeCount(): number {
    return this.transfers.length;
  }

  private onFinish(): void {
    this.finishEvent = -1;
    this.advance();
    const done: number[] = [];
    for (let i = this.transfers.length - 1; i >= 0; i--) {
      const t = this.transfers[i];
      if (t.remaining <= t.bytesPerReader * DONE_FRACTION) {
        done.push(t.key);
        this.transfers.splice(i, 1);
      }
    }
    this.reschedule();
    for (let i = done.length - 1; i >= 0; i--) this.listener.transferDone(done[i]);
  }

  private advance(): void {
    const dt = this.sim.now - this.lastUpdate;
    this.lastUpdate = this.sim.now;
    if (dt <= 0) return;
    for (const t of this.transfers) t.remaining = Math.max(0, t.remaining - t.rate * dt);
  }

  private reschedule(): void {
    if (this.finishEvent >= 0) this.sim.cancel(this.finishEvent);
    this.finishEvent = -1;
    if (this.transfers.length === 0) return;
    const nodes: number[] = [];
    const readers: number[] = [];
    for (const t of this.transfers) {
      const g = nodes.indexOf(t.node);
      if (g < 0) {
        nodes.push(t.node);
        readers.push(t.readers);
      } else readers[g] += t.readers;
    }
    const rates = fairReaderRates(this.limits, readers);
    let earliest = Infinity;
    for (const t of this.transfers) {
      t.rate = Math.min(rates[nodes.indexOf(t.node)], this.sourceShare(t));
      earliest = Math.min(earliest, t.remaining / t.rate);
    }
    this.finishEvent = this.sim.at(this.sim.now + earliest, this.finishHandler);
  }

  /**
   * A reader's equal share of its sending pod (perSourceRank × its ranks over every reader copying from it);
   * Infinity without a sending pod. What a capped transfer leaves unused is not handed to the others: the
   * stores with sending pods (peers) have no aggregate or node limit that binds at their rates.
   */
  private sourceShare(t: Transfer): number {
    if (t.source === NO_SOURCE || this.limits.perSourceRank === undefined) return Infinity;
    let readers = 0;
    for (const other of this.transfers) if (other.source === t.source) readers += other.readers;
    return (this.limits.perSourceRank * t.sourceRanks) / readers;
  }
}
