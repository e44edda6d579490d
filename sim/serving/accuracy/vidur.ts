import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { GPU_CATALOG, type GpuEfficiency, type InterconnectKind } from '../catalog/gpus.js';
import { columnIndex, readCsvFile, requiredNumberCell } from '../step-time/csv.js';
import { allReduceSeconds, DEFAULT_KERNEL_PARAMS, DEFAULT_OVERHEAD_PARAMS, gemmSeconds, type KernelParams } from '../step-time/roofline.js';
import { NODE_NETWORKS, sendRecvSeconds, type NodeNetwork } from '../step-time/multi-node.js';
import { inFitHalf, type AccuracyRow } from './rows.js';

/**
 * Vidur's operator profiles (microsoft/vidur data/profiling, MIT; ../shared/data/calibration/vidur, SOURCE.md):
 * measured CUDA times of the MLP-side operators by model, TP and token count, and of NCCL all-reduces.
 *
 * Held out, never read here: Vidur's H100 Llama-2 `mlp.csv` profiles and its DGX-H100 `all_reduce.csv` belong
 * to the references the model is judged on without having seen them (issue 13), so these paths are skipped
 * even when present.
 */
const HELD_OUT = [/^compute\/h100\/meta-llama\/Llama-2-[^/]+\/mlp\.csv$/, /^network\/h100_dgx\/all_reduce\.csv$/];

/** Vidur's GPU folders → the catalog. */
const VIDUR_GPUS: Readonly<Record<string, string>> = { a100: 'a100-80gb', a40: 'a40', h100: 'h100-80gb' };

/** The profiled weights and activations are fp16: the bf16 rate and 2 bytes a weight. */
const PROFILE_WEIGHT_BYTES = 2;

export function isHeldOut(vidurRoot: string, file: string): boolean {
  const path = relative(vidurRoot, file).split('\\').join('/');
  return HELD_OUT.some((pattern) => pattern.test(path));
}

/** One profiled GEMM: `tokens` rows through an `inputs` × `outputs` weight on one rank. */
export interface GemmPoint {
  readonly gpu: string;
  readonly key: string;
  readonly fit: boolean;
  readonly tokens: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly measuredSec: number;
}

/** The QKV, output, MLP up(+gate) and down projections of every profiled model, TP and token count. */
export function loadVidurGemms(vidurRoot: string): GemmPoint[] {
  const points: GemmPoint[] = [];
  for (const [folder, gpu] of Object.entries(VIDUR_GPUS)) {
    const dir = join(vidurRoot, 'compute', folder);
    if (!existsSync(dir)) continue;
    for (const file of findFiles(dir, 'mlp.csv')) {
      if (isHeldOut(vidurRoot, file)) continue;
      const model = relative(dir, file).split('\\').join('/').replace(/\/mlp\.csv$/, '');
      const table = readCsvFile(file);
      const col = (name: string) => columnIndex(table, name);
      const c = {
        heads: col('n_head'),
        kvHeads: col('n_kv_head'),
        hidden: col('n_embd'),
        ffn: col('n_expanded_embd'),
        gated: col('use_gated_mlp'),
        tokens: col('num_tokens'),
        tp: col('num_tensor_parallel_workers'),
        qkv: col('time_stats.attn_pre_proj.median'),
        o: col('time_stats.attn_post_proj.median'),
        up: col('time_stats.mlp_up_proj.median'),
        down: col('time_stats.mlp_down_proj.median'),
      };
      for (const row of table.rows) {
        const num = (i: number) => requiredNumberCell(table, row, i);
        const tp = num(c.tp);
        const hidden = num(c.hidden);
        const headDim = hidden / num(c.heads);
        const q = (num(c.heads) * headDim) / tp;
        const kv = (Math.max(1, num(c.kvHeads) / tp) * headDim);
        const ffn = num(c.ffn) / tp;
        const up = row.cells[c.gated] === 'True' ? 2 * ffn : ffn;
        const tokens = num(c.tokens);
        const ops: readonly [string, number, number, number][] = [
          ['qkv', hidden, q + 2 * kv, c.qkv],
          ['o', q, hidden, c.o],
          ['up', hidden, up, c.up],
          ['down', ffn, hidden, c.down],
        ];
        for (const [op, inputs, outputs, column] of ops) {
          const key = `vidur/${folder}/${model}/tp${tp}/${tokens}/${op}`;
          points.push({ gpu, key, fit: inFitHalf(key), tokens, inputs, outputs, measuredSec: num(column) / 1000 });
        }
      }
    }
  }
  return points;
}

/** Vidur times each op eagerly: the kernel's latency in a graph plus its launch. */
const EAGER_OP_LATENCY_SEC = DEFAULT_KERNEL_PARAMS.kernelLatencySec + DEFAULT_OVERHEAD_PARAMS.eagerLaunchSec;

export function predictGemm(p: GemmPoint, efficiency: GpuEfficiency, kernelLatencySec = EAGER_OP_LATENCY_SEC): number {
  const gpu = GPU_CATALOG.get(p.gpu);
  if (gpu === undefined) throw new Error(`no catalog GPU ${p.gpu}`);
  return gemmSeconds(p.tokens, p.inputs, p.outputs, PROFILE_WEIGHT_BYTES, gpu.bf16Flops * efficiency.matmul, gpu.hbmBytesPerSec * efficiency.hbm, kernelLatencySec);
}

export function gemmRows(points: readonly GemmPoint[]): AccuracyRow[] {
  return points.map((p) => {
    const gpu = GPU_CATALOG.get(p.gpu);
    if (gpu === undefined) throw new Error(`no catalog GPU ${p.gpu}`);
    return { dataset: 'vidur GEMMs', gpu: p.gpu, key: p.key, fit: p.fit, measuredSec: p.measuredSec, predictedSec: predictGemm(p, gpu.efficiency) };
  });
}

/** One profiled single-node all-reduce of `bytes` over `tp` GPUs on a link of `kind`. */
export interface AllReducePoint {
  readonly topology: string;
  readonly key: string;
  readonly fit: boolean;
  readonly bytes: number;
  readonly tp: number;
  readonly kind: InterconnectKind;
  readonly linkBytesPerSec: number;
  readonly measuredSec: number;
}

/**
 * Topologies and their links: DGX A100 is NVSwitch (NVLink 3, 300 GB/s per direction); the pairwise nodes join
 * pairs of PCIe cards with NVLink bridges (A100/H100 300 GB/s per direction), so a TP-2 ring runs on the
 * bridge and a wider one crosses PCIe (A100: Gen4, 32 GB/s per direction; H100: Gen5, 64 GB/s).
 */
const TOPOLOGIES: Readonly<Record<string, (tp: number) => { kind: InterconnectKind; bytesPerSec: number }>> = {
  a100_dgx: () => ({ kind: 'nvlink', bytesPerSec: 300e9 }),
  a100_pairwise_nvlink: (tp) => (tp === 2 ? { kind: 'nvlink', bytesPerSec: 300e9 } : { kind: 'pcie', bytesPerSec: 32e9 }),
  h100_pairwise_nvlink: (tp) => (tp === 2 ? { kind: 'nvlink', bytesPerSec: 300e9 } : { kind: 'pcie', bytesPerSec: 64e9 }),
};

/** Rank 0's timings of the single-node all-reduces (multi-node rows are out of scope: TP stays in a node). */
export function loadVidurAllReduces(vidurRoot: string): AllReducePoint[] {
  const points: AllReducePoint[] = [];
  for (const [topology, linkOf] of Object.entries(TOPOLOGIES)) {
    const file = join(vidurRoot, 'network', topology, 'all_reduce.csv');
    if (!existsSync(file) || isHeldOut(vidurRoot, file)) continue;
    const table = readCsvFile(file);
    const c = { rank: columnIndex(table, 'rank'), workers: columnIndex(table, 'num_workers'), perNode: columnIndex(table, 'devices_per_node'), size: columnIndex(table, 'size'), median: columnIndex(table, 'time_stats.all_reduce.median') };
    for (const row of table.rows) {
      const num = (i: number) => requiredNumberCell(table, row, i);
      const tp = num(c.workers);
      if (num(c.rank) !== 0 || num(c.perNode) !== tp) continue;
      const bytes = num(c.size);
      const link = linkOf(tp);
      const key = `vidur/${topology}/tp${tp}/${bytes}`;
      points.push({ topology, key, fit: inFitHalf(key), bytes, tp, kind: link.kind, linkBytesPerSec: link.bytesPerSec, measuredSec: num(c.median) / 1000 });
    }
  }
  return points;
}

export function allReduceRows(points: readonly AllReducePoint[], params: Pick<KernelParams, 'allReduceEfficiency' | 'allReduceStepLatencySec'> = DEFAULT_KERNEL_PARAMS): AccuracyRow[] {
  return points.map((p) => ({
    dataset: `vidur all-reduce (${p.kind === 'nvlink' ? 'NVLink' : 'PCIe'})`,
    gpu: p.topology,
    key: p.key,
    fit: p.fit,
    measuredSec: p.measuredSec,
    predictedSec: allReduceSeconds(p.bytes, p.tp, p.linkBytesPerSec, p.kind, params),
  }));
}

/** One cross-node send/recv of `bytes`, timed on rank 0 of two ranks on two nodes. */
export interface SendRecvPoint {
  readonly topology: string;
  readonly key: string;
  readonly fit: boolean;
  readonly bytes: number;
  readonly measuredSec: number;
}

/**
 * The nodes' networks of Vidur's DGX profiles: DGX-H100 nodes joined by 400 Gb/s InfiniBand NDR per GPU. (The
 * DGX-A100 cross-node rows reach a fraction of any per-GPU HDR link, the mark of a network the profile does not
 * describe, so they are not used.)
 */
const CROSS_NODE_NETWORKS: Readonly<Record<string, string>> = { h100_dgx: 'infiniband-ndr' };

/** The send/recv rows whose two ranks sit on two nodes (devices_per_node 1): a pipeline stage's hop. */
export function loadVidurSendRecvs(vidurRoot: string): SendRecvPoint[] {
  const points: SendRecvPoint[] = [];
  for (const topology of Object.keys(CROSS_NODE_NETWORKS)) {
    const file = join(vidurRoot, 'network', topology, 'send_recv.csv');
    if (!existsSync(file) || isHeldOut(vidurRoot, file)) continue;
    const table = readCsvFile(file);
    const c = { rank: columnIndex(table, 'rank'), workers: columnIndex(table, 'num_workers'), perNode: columnIndex(table, 'devices_per_node'), size: columnIndex(table, 'size'), median: columnIndex(table, 'time_stats.send_recv.median') };
    for (const row of table.rows) {
      const num = (i: number) => requiredNumberCell(table, row, i);
      if (num(c.rank) !== 0 || num(c.workers) !== 2 || num(c.perNode) !== 1) continue;
      const bytes = num(c.size);
      const key = `vidur/${topology}/send_recv/cross-node/${bytes}`;
      points.push({ topology, key, fit: inFitHalf(key), bytes, measuredSec: num(c.median) / 1000 });
    }
  }
  return points;
}

export function sendRecvRows(points: readonly SendRecvPoint[], networkOf: (topology: string) => NodeNetwork = (t) => NODE_NETWORKS.get(CROSS_NODE_NETWORKS[t]) as NodeNetwork): AccuracyRow[] {
  return points.map((p) => ({
    dataset: 'vidur send/recv (cross-node)',
    gpu: p.topology,
    key: p.key,
    fit: p.fit,
    measuredSec: p.measuredSec,
    predictedSec: sendRecvSeconds(p.bytes, networkOf(p.topology)),
  }));
}

function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(path, name));
    else if (entry.name === name) found.push(path);
  }
  return found.sort();
}
