import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';
import { InternalError } from '../errors.js';
import { QuantileSketch } from '../metrics/sketch.js';
import type { LoraSummary } from '../metrics/summary-types.js';
import type { VersionRole } from '../traffic/request.js';
import type { Sequence } from './sequence.js';

/**
 * Multi-LoRA serving in one vLLM engine (docs/lora.md). vLLM's knobs and their defaults (vllm/config/lora.py):
 * `--max-loras` 1 (distinct adapters in one batch = GPU slots), `--max-cpu-loras` = max_loras (adapters kept in
 * the host-memory LRU cache), `--max-lora-rank` 16. The load latencies and the kernel cost are not vLLM
 * settings but properties of the hardware and the adapter: their defaults are estimates (UNCONFIRMED), see
 * docs/lora.md.
 */
export const zLoraServer = z
  .strictObject({
    maxLoras: z.int().min(1).default(1).meta({ description: 'vLLM --max-loras: distinct adapters in one batch (GPU slots)' }),
    maxCpuLoras: z
      .int()
      .min(1)
      .optional()
      .meta({ description: 'vLLM --max-cpu-loras: adapters cached in host memory (LRU); default maxLoras, at least maxLoras' }),
    maxLoraRank: z.int().min(1).default(16).meta({ description: 'vLLM --max-lora-rank; scales the kernel cost' }),
    loadFromHost: zDuration
      .prefault('10ms')
      .meta({ description: 'copy of an adapter cached in host memory into a GPU slot (UNCONFIRMED estimate)' }),
    loadFromStorage: zDuration
      .prefault('300ms')
      .meta({ description: 'read of an adapter from storage into host memory, then into a GPU slot (UNCONFIRMED estimate)' }),
    kernelOverhead: z
      .number()
      .min(0)
      .default(0.1)
      .meta({ description: 'extra share of the step time when the batch has adapter tokens, at rank 16 (Punica SGMV; UNCONFIRMED)' }),
  })
  .superRefine((lora, ctx) => {
    if (lora.maxCpuLoras !== undefined && lora.maxCpuLoras < lora.maxLoras) {
      const message = `maxCpuLoras (${lora.maxCpuLoras}) must be at least maxLoras (${lora.maxLoras}), as vLLM requires`;
      ctx.addIssue({ code: 'custom', path: ['maxCpuLoras'], message });
    }
  })
  .meta({ description: 'serve LoRA adapters (vLLM --enable-lora); requests name their adapter in traffic.adapters' });
export type LoraServerSpec = z.output<typeof zLoraServer>;

/** The resolved LoRA settings of a replica. */
export interface LoraConfig {
  readonly maxLoras: number;
  readonly maxCpuLoras: number;
  readonly maxLoraRank: number;
  readonly loadFromHost: number;
  readonly loadFromStorage: number;
  readonly kernelOverhead: number;
  /** Adapter ids run from 0 to adapterCount - 1 (names in LoraStats.names). */
  readonly adapterCount: number;
}

export function resolveLora(spec: LoraServerSpec, adapterCount: number): LoraConfig {
  return {
    maxLoras: spec.maxLoras,
    maxCpuLoras: spec.maxCpuLoras ?? spec.maxLoras,
    maxLoraRank: spec.maxLoraRank,
    loadFromHost: spec.loadFromHost,
    loadFromStorage: spec.loadFromStorage,
    kernelOverhead: spec.kernelOverhead,
    adapterCount,
  };
}

const NOT_RESIDENT = 0;

/** Told of each adapter load (for the event log): which pod, which adapter, from where. */
export type AdapterLoadListener = (podId: number, version: VersionRole, adapter: number, source: 'host' | 'storage') => void;

/**
 * What every replica of a run adds up: adapter loads, requests whose adapter was resident or not, their TTFT.
 * One object per run, shared by the replicas (they run on one event loop).
 */
export class LoraStats {
  loadsFromHost = 0;
  loadsFromStorage = 0;
  hitRequests = 0;
  missRequests = 0;
  /** Waiting requests passed over in a step because their adapter could not join the batch (vLLM's skip). */
  slotWaits = 0;
  readonly hitTtft = new QuantileSketch();
  readonly missTtft = new QuantileSketch();
  /** Requests submitted to a pod, by served adapter id. */
  readonly requestsByAdapter: Float64Array;

  constructor(
    readonly names: readonly string[],
    readonly onLoad: AdapterLoadListener | null = null,
  ) {
    this.requestsByAdapter = new Float64Array(names.length);
  }
}

/**
 * One replica's adapters: the GPU slots (maxLoras, LRU) and the host-memory cache (maxCpuLoras, LRU), as vLLM's
 * LRUCacheWorkerLoRAManager keeps them, and the per-step bookkeeping the scheduler's max_loras check needs.
 * Typed arrays indexed by adapter id: nothing is allocated per step.
 */
export class ReplicaLora {
  /** Last use (a counter) of each adapter in a GPU slot / in host memory; NOT_RESIDENT when absent. */
  private readonly gpuUse: Float64Array;
  private readonly cpuUse: Float64Array;
  private gpuCount = 0;
  private cpuCount = 0;
  private clock = 0;
  /** batchMark[a] === batchStamp: adapter a is in the batch being formed. */
  private readonly batchMark: Float64Array;
  private batchStamp = 0;
  private batchAdapters = 0;
  /** The distinct adapters of the batch being formed, in the order they joined. */
  private readonly batchList: Int32Array;

  constructor(
    readonly config: LoraConfig,
    readonly stats: LoraStats,
    private readonly podId = -1,
    private readonly version: VersionRole = 'old',
  ) {
    const n = config.adapterCount;
    this.gpuUse = new Float64Array(n);
    this.cpuUse = new Float64Array(n);
    this.batchMark = new Float64Array(n);
    this.batchList = new Int32Array(config.maxLoras);
  }

  /** Is the adapter in a GPU slot now (so a request for it needs no load)? */
  inGpu(adapter: number): boolean {
    return this.gpuUse[adapter] !== NOT_RESIDENT;
  }

  /** Starts a batch: the adapters of the running requests (admitted under the limit) are in it. */
  beginBatch(running: readonly Sequence[]): void {
    this.batchStamp++;
    this.batchAdapters = 0;
    for (let i = 0; i < running.length; i++) this.join(running[i].adapter);
  }

  /** vLLM V1's max_loras check: a request may join when its adapter is in the batch or a slot is left. */
  canJoin(adapter: number): boolean {
    return adapter < 0 || this.batchMark[adapter] === this.batchStamp || this.batchAdapters < this.config.maxLoras;
  }

  join(adapter: number): void {
    if (adapter < 0 || this.batchMark[adapter] === this.batchStamp) return;
    this.batchMark[adapter] = this.batchStamp;
    if (this.batchAdapters >= this.config.maxLoras) throw new InternalError(`a batch with more than ${this.config.maxLoras} adapters`);
    this.batchList[this.batchAdapters++] = adapter;
  }

  /**
   * Activates the batch's adapters, as vLLM's worker does before running the step (set_active_adapters): one
   * already in a GPU slot costs nothing; one in host memory is copied into a slot; one elsewhere is read from
   * storage into the host cache first. A full cache evicts its least recently used adapter that the batch does
   * not need. Returns the seconds the step waits for these loads.
   */
  activateBatch(): number {
    let seconds = 0;
    const stats = this.stats;
    for (let k = 0; k < this.batchAdapters; k++) {
      const adapter = this.batchList[k];
      const now = ++this.clock;
      if (this.gpuUse[adapter] !== NOT_RESIDENT) {
        this.gpuUse[adapter] = now;
        this.cpuUse[adapter] = now;
        continue;
      }
      if (this.cpuUse[adapter] === NOT_RESIDENT) {
        seconds += this.config.loadFromStorage;
        stats.loadsFromStorage++;
        stats.onLoad?.(this.podId, this.version, adapter, 'storage');
        if (this.cpuCount >= this.config.maxCpuLoras) this.evict(this.cpuUse, true);
        else this.cpuCount++;
      } else {
        seconds += this.config.loadFromHost;
        stats.loadsFromHost++;
        stats.onLoad?.(this.podId, this.version, adapter, 'host');
      }
      this.cpuUse[adapter] = now;
      if (this.gpuCount >= this.config.maxLoras) this.evict(this.gpuUse, false);
      else this.gpuCount++;
      this.gpuUse[adapter] = now;
    }
    return seconds;
  }

  /** Step-time multiplier of a batch with adapter tokens (Punica's SGMV kernels scale with the rank). */
  kernelFactor(): number {
    if (this.batchAdapters === 0) return 1;
    return 1 + (this.config.kernelOverhead * this.config.maxLoraRank) / 16;
  }

  /** Drops the least recently used entry not in the current batch (vLLM never evicts an adapter it is using). */
  private evict(use: Float64Array, host: boolean): void {
    let victim = -1;
    let oldest = Infinity;
    for (let a = 0; a < use.length; a++) {
      const t = use[a];
      if (t === NOT_RESIDENT || t >= oldest || this.batchMark[a] === this.batchStamp) continue;
      victim = a;
      oldest = t;
    }
    // A batch holds at most maxLoras adapters and maxCpuLoras >= maxLoras, so a full cache always has one to drop.
    if (victim < 0) throw new InternalError('LoRA cache full of adapters the batch needs');
    use[victim] = NOT_RESIDENT;
    // An adapter leaving host memory leaves its GPU slot too: vLLM's GPU slots hold a subset of the CPU cache.
    if (host && this.gpuUse[victim] !== NOT_RESIDENT) {
      this.gpuUse[victim] = NOT_RESIDENT;
      this.gpuCount--;
    }
  }
}

const ms = (seconds: number | null): number | null => (seconds === null ? null : seconds * 1000);

/** The summary's lora section; `rule` names the adapters of an adapter rollout (ids), if any. */
export function summariseLora(stats: LoraStats, rule: { from: number; to: number } | null, extraGpuHours: number): LoraSummary {
  const hitP50 = ms(stats.hitTtft.quantile(0.5));
  const missP50 = ms(stats.missTtft.quantile(0.5));
  const from = rule === null ? null : stats.requestsByAdapter[rule.from];
  const to = rule === null ? null : stats.requestsByAdapter[rule.to];
  return {
    adapterRequests: stats.hitRequests + stats.missRequests,
    hitRequests: stats.hitRequests,
    missRequests: stats.missRequests,
    adapterLoads: stats.loadsFromHost + stats.loadsFromStorage,
    loadsFromHost: stats.loadsFromHost,
    loadsFromStorage: stats.loadsFromStorage,
    slotWaits: stats.slotWaits,
    hitTtftP50Ms: hitP50,
    hitTtftP95Ms: ms(stats.hitTtft.quantile(0.95)),
    missTtftP50Ms: missP50,
    missTtftP95Ms: ms(stats.missTtft.quantile(0.95)),
    missTtftDeltaP50Ms: hitP50 === null || missP50 === null ? null : missP50 - hitP50,
    fromRequests: from,
    toRequests: to,
    toShare: from === null || to === null || from + to === 0 ? null : to / (from + to),
    extraGpuHours,
  };
}
