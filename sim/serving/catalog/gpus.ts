/** How GPUs of one node talk to each other: NVLink (or an NVLink bridge), else the PCIe bus through the host. */
export const INTERCONNECT_KINDS = ['nvlink', 'pcie'] as const;
export type InterconnectKind = (typeof INTERCONNECT_KINDS)[number];

export interface Interconnect {
  readonly kind: InterconnectKind;
  /** Bandwidth per direction per GPU: what a ring all-reduce moves per GPU. */
  readonly bytesPerSec: number;
}

/**
 * Fractions of the datasheet peaks that serving kernels reach on this GPU: `matmul` for large bf16/fp8 GEMMs
 * (and attention's tensor-core work), `hbm` for streaming weights and KV (memory-bound GEMMs, paged attention,
 * element-wise kernels).
 */
export interface GpuEfficiency {
  readonly matmul: number;
  readonly hbm: number;
}

/**
 * One GPU as datasheets give it. FLOP rates are dense (no 2:4 sparsity) tensor-core peaks with FP32
 * accumulation (what vLLM's kernels use); bandwidths are peaks. `efficiency` turns the peaks into what serving
 * kernels achieve.
 */
export interface GpuSpec {
  readonly name: string;
  /** Nominal memory; vLLM's gpu_memory_utilization is a fraction of it. */
  readonly memoryBytes: number;
  readonly hbmBytesPerSec: number;
  readonly bf16Flops: number;
  /** 0 when the GPU has no FP8 tensor cores (fp8 weights then run as W8A16 at the bf16 rate). */
  readonly fp8Flops: number;
  readonly interconnect: Interconnect;
  readonly efficiency: GpuEfficiency;
}

const GiB = 1024 ** 3;
const GB = 1e9;
const TB = 1e12;
const TFLOPS = 1e12;
const PCIE_GEN4_X16: Interconnect = { kind: 'pcie', bytesPerSec: 32 * GB }; // 64 GB/s both directions
const PCIE_GEN5_X16: Interconnect = { kind: 'pcie', bytesPerSec: 64 * GB };
const nvlink = (bothDirectionsGBs: number): Interconnect => ({ kind: 'nvlink', bytesPerSec: (bothDirectionsGBs / 2) * GB });

/**
 * Achieved efficiencies. A100, A40 and H100 are fitted on the fit half of the Vidur operator profiles
 * (`npm run accuracy -- --fit`: least squares on log time of the QKV/O/MLP GEMMs, fit half of a hash split;
 * docs/accuracy.md has the held-out errors). The other GPUs have no public profile here: they take the figures
 * of issue 13's study of current GPUs (GDDR workstation and consumer cards stream at ~0.9 of their bandwidth,
 * H200 large GEMMs reach ~0.63 of peak), with H100's HBM efficiency for the HBM3e parts.
 */
export const EFFICIENCY = {
  a100: { matmul: 0.7, hbm: 0.73 },
  a40: { matmul: 0.71, hbm: 0.69 },
  h100: { matmul: 0.66, hbm: 0.87 },
  h200: { matmul: 0.63, hbm: 0.87 },
  blackwellDatacenter: { matmul: 0.63, hbm: 0.87 },
  gddr: { matmul: 0.7, hbm: 0.9 },
} as const satisfies Record<string, GpuEfficiency>;

/** For an inline GPU that gives no efficiency: the middle of the catalog's values. */
export const DEFAULT_EFFICIENCY: GpuEfficiency = { matmul: 0.67, hbm: 0.85 };

const CATALOG: readonly GpuSpec[] = [
  // NVIDIA A100 Tensor Core GPU datasheet (SXM): 312 TFLOPS BF16 dense (624 sparse), HBM2 1,555 GB/s,
  // NVLink 3 600 GB/s both directions. No FP8.
  { name: 'a100-40gb', memoryBytes: 40 * GiB, hbmBytesPerSec: 1555 * GB, bf16Flops: 312 * TFLOPS, fp8Flops: 0, interconnect: nvlink(600), efficiency: EFFICIENCY.a100 },
  // Same datasheet, 80 GB SXM: HBM2e 2,039 GB/s (hardware_config.json "A100-SXM": 312 TFLOPS, 2.039 TB/s).
  { name: 'a100-80gb', memoryBytes: 80 * GiB, hbmBytesPerSec: 2039 * GB, bf16Flops: 312 * TFLOPS, fp8Flops: 0, interconnect: nvlink(600), efficiency: EFFICIENCY.a100 },
  // NVIDIA H100 datasheet (SXM5): 989.5 TFLOPS BF16 and 1,979 FP8 dense (1,979 / 3,958 with sparsity),
  // 3.35 TB/s HBM3, NVLink 4 900 GB/s both directions (hardware_config.json "H100" agrees).
  { name: 'h100-80gb', memoryBytes: 80 * GiB, hbmBytesPerSec: 3.35 * TB, bf16Flops: 989.5 * TFLOPS, fp8Flops: 1979 * TFLOPS, interconnect: nvlink(900), efficiency: EFFICIENCY.h100 },
  // NVIDIA H200 datasheet (SXM): 141 GB HBM3e at 4.8 TB/s, H100 compute, NVLink 900 GB/s. nvidia-smi shows
  // 143,771 MiB (140.4 GiB).
  { name: 'h200', memoryBytes: 141 * GiB, hbmBytesPerSec: 4.8 * TB, bf16Flops: 989.5 * TFLOPS, fp8Flops: 1979 * TFLOPS, interconnect: nvlink(900), efficiency: EFFICIENCY.h200 },
  // NVIDIA DGX/HGX B200 datasheets: 1,440 GB per 8 GPUs (180 GB each), 8 TB/s HBM3e, 2.25 PFLOPS BF16 and
  // 4.5 PFLOPS FP8 dense (half the sparse 4.5 / 9), NVLink 5 1.8 TB/s both directions.
  { name: 'b200', memoryBytes: 180 * GiB, hbmBytesPerSec: 8 * TB, bf16Flops: 2250 * TFLOPS, fp8Flops: 4500 * TFLOPS, interconnect: nvlink(1800), efficiency: EFFICIENCY.blackwellDatacenter },
  // NVIDIA L40S datasheet: 48 GB GDDR6 864 GB/s, 362.05 TFLOPS BF16 and 733 FP8 dense (733 / 1,466 sparse;
  // hardware_config.json's TFlopsFP8 1466 is the sparse figure), no NVLink: PCIe Gen4 x16.
  { name: 'l40s', memoryBytes: 48 * GiB, hbmBytesPerSec: 864 * GB, bf16Flops: 362.05 * TFLOPS, fp8Flops: 733 * TFLOPS, interconnect: PCIE_GEN4_X16, efficiency: EFFICIENCY.gddr },
  // NVIDIA L4 datasheet: 24 GB GDDR6 300 GB/s, 121 TFLOPS BF16 and 242.5 FP8 dense (242 / 485 sparse),
  // PCIe Gen4 x16.
  { name: 'l4', memoryBytes: 24 * GiB, hbmBytesPerSec: 300 * GB, bf16Flops: 121 * TFLOPS, fp8Flops: 242.5 * TFLOPS, interconnect: PCIE_GEN4_X16, efficiency: EFFICIENCY.gddr },
  // NVIDIA A40 datasheet: 48 GB GDDR6 696 GB/s, BF16 tensor with FP32 accumulate 149.7 dense (299.4 sparse),
  // no FP8, NVLink bridge 112.5 GB/s both directions between pairs (Vidur profiles a40_pairwise_nvlink).
  { name: 'a40', memoryBytes: 48 * GiB, hbmBytesPerSec: 696 * GB, bf16Flops: 149.7 * TFLOPS, fp8Flops: 0, interconnect: nvlink(112.5), efficiency: EFFICIENCY.a40 },
  // AWS G5's A10G: 24 GB GDDR6 600 GB/s like the A10 (datasheet: 125 TFLOPS BF16 dense), but with its tensor
  // rate cut to ~70 TFLOPS (baseten.co "NVIDIA A10 vs A10G for ML model inference"). No FP8, PCIe Gen4.
  { name: 'a10g', memoryBytes: 24 * GiB, hbmBytesPerSec: 600 * GB, bf16Flops: 70 * TFLOPS, fp8Flops: 0, interconnect: PCIE_GEN4_X16, efficiency: EFFICIENCY.gddr },
  // NVIDIA Ada GPU architecture whitepaper (GeForce RTX 4090): 24 GB GDDR6X 1,008 GB/s; BF16 tensor with FP32
  // accumulate 165.2 TFLOPS dense, FP8 with FP32 accumulate 330.3 dense; PCIe Gen4 x16, no NVLink.
  { name: 'rtx-4090', memoryBytes: 24 * GiB, hbmBytesPerSec: 1008 * GB, bf16Flops: 165.2 * TFLOPS, fp8Flops: 330.3 * TFLOPS, interconnect: PCIE_GEN4_X16, efficiency: EFFICIENCY.gddr },
  // NVIDIA RTX 6000 Ada datasheet: 48 GB GDDR6 960 GB/s, 1,457 TFLOPS FP8 tensor with sparsity: 728.5 FP8 and
  // 364.2 BF16 dense (workstation parts run FP32 accumulation at full rate); PCIe Gen4 x16, no NVLink.
  { name: 'rtx-6000-ada', memoryBytes: 48 * GiB, hbmBytesPerSec: 960 * GB, bf16Flops: 364.2 * TFLOPS, fp8Flops: 728.5 * TFLOPS, interconnect: PCIE_GEN4_X16, efficiency: EFFICIENCY.gddr },
  // NVIDIA RTX PRO 6000 Blackwell (workstation and server editions) datasheet: 96 GB GDDR7 1,792 GB/s,
  // 4,000 AI TOPS (FP4 with sparsity) → 1,000 FP8 and 500 BF16 TFLOPS dense; PCIe Gen5 x16, no NVLink.
  { name: 'rtx-pro-6000-blackwell', memoryBytes: 96 * GiB, hbmBytesPerSec: 1792 * GB, bf16Flops: 500 * TFLOPS, fp8Flops: 1000 * TFLOPS, interconnect: PCIE_GEN5_X16, efficiency: EFFICIENCY.gddr },
];

export const GPU_CATALOG: ReadonlyMap<string, GpuSpec> = new Map(CATALOG.map((g) => [g.name, g]));
