/**
 * One GPU as datasheets give it. FLOP rates are dense (no 2:4 sparsity) tensor-core peaks; bandwidths are peaks.
 * The step-time models apply their own fitted efficiencies.
 */
export interface GpuSpec {
  readonly name: string;
  /** Nominal memory; vLLM's gpu_memory_utilization is a fraction of it. */
  readonly memoryBytes: number;
  readonly hbmBytesPerSec: number;
  readonly bf16Flops: number;
  /** 0 when the GPU has no FP8 tensor cores (fp8 weights then run as W8A16 at the bf16 rate). */
  readonly fp8Flops: number;
  /**
   * GPU-to-GPU bandwidth per direction, what a ring all-reduce moves per GPU: NVLink where the GPU has it,
   * else its PCIe link.
   */
  readonly nvlinkBytesPerSec: number;
}

const GiB = 1024 ** 3;
const GB = 1e9;
const TB = 1e12;
const TFLOPS = 1e12;
const PCIE_GEN4_X16 = 32 * GB; // 64 GB/s both directions

const CATALOG: readonly GpuSpec[] = [
  // NVIDIA A100 Tensor Core GPU datasheet (SXM): 312 TFLOPS BF16 dense (624 sparse), HBM2 1,555 GB/s,
  // NVLink 3 600 GB/s both directions. No FP8.
  { name: 'a100-40gb', memoryBytes: 40 * GiB, hbmBytesPerSec: 1555 * GB, bf16Flops: 312 * TFLOPS, fp8Flops: 0, nvlinkBytesPerSec: 300 * GB },
  // Same datasheet, 80 GB SXM: HBM2e 2,039 GB/s (hardware_config.json "A100-SXM": 312 TFLOPS, 2.039 TB/s).
  { name: 'a100-80gb', memoryBytes: 80 * GiB, hbmBytesPerSec: 2039 * GB, bf16Flops: 312 * TFLOPS, fp8Flops: 0, nvlinkBytesPerSec: 300 * GB },
  // NVIDIA H100 datasheet (SXM5): 989.5 TFLOPS BF16 and 1,979 FP8 dense (1,979 / 3,958 with sparsity),
  // 3.35 TB/s HBM3, NVLink 4 900 GB/s both directions (hardware_config.json "H100" agrees).
  { name: 'h100-80gb', memoryBytes: 80 * GiB, hbmBytesPerSec: 3.35 * TB, bf16Flops: 989.5 * TFLOPS, fp8Flops: 1979 * TFLOPS, nvlinkBytesPerSec: 450 * GB },
  // NVIDIA H200 datasheet (SXM): 141 GB HBM3e at 4.8 TB/s, H100 compute, NVLink 900 GB/s. nvidia-smi shows
  // 143,771 MiB (140.4 GiB).
  { name: 'h200', memoryBytes: 141 * GiB, hbmBytesPerSec: 4.8 * TB, bf16Flops: 989.5 * TFLOPS, fp8Flops: 1979 * TFLOPS, nvlinkBytesPerSec: 450 * GB },
  // NVIDIA DGX/HGX B200 datasheets: 1,440 GB per 8 GPUs (180 GB each), 8 TB/s HBM3e, 2.25 PFLOPS BF16 and
  // 4.5 PFLOPS FP8 dense (half the sparse 4.5 / 9), NVLink 5 1.8 TB/s both directions.
  { name: 'b200', memoryBytes: 180 * GiB, hbmBytesPerSec: 8 * TB, bf16Flops: 2250 * TFLOPS, fp8Flops: 4500 * TFLOPS, nvlinkBytesPerSec: 900 * GB },
  // NVIDIA L40S datasheet: 48 GB GDDR6 864 GB/s, 362.05 TFLOPS BF16 and 733 FP8 dense (733 / 1,466 sparse;
  // hardware_config.json's TFlopsFP8 1466 is the sparse figure), no NVLink: PCIe Gen4 x16.
  { name: 'l40s', memoryBytes: 48 * GiB, hbmBytesPerSec: 864 * GB, bf16Flops: 362.05 * TFLOPS, fp8Flops: 733 * TFLOPS, nvlinkBytesPerSec: PCIE_GEN4_X16 },
  // NVIDIA L4 datasheet: 24 GB GDDR6 300 GB/s, 121 TFLOPS BF16 and 242.5 FP8 dense (242 / 485 sparse),
  // PCIe Gen4 x16.
  { name: 'l4', memoryBytes: 24 * GiB, hbmBytesPerSec: 300 * GB, bf16Flops: 121 * TFLOPS, fp8Flops: 242.5 * TFLOPS, nvlinkBytesPerSec: PCIE_GEN4_X16 },
];

export const GPU_CATALOG: ReadonlyMap<string, GpuSpec> = new Map(CATALOG.map((g) => [g.name, g]));
