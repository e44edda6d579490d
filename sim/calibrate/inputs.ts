import { createHash } from 'node:crypto';
import { INPUT_LIMITS, readInputFile } from '../config/input-file.js';
import type { CalibrationSource } from '../config/calibration-file.js';
import { InputError } from '../errors.js';
import type { BenchRun } from './bench-run.js';
import { isGuidellm, parseGuidellm } from './guidellm.js';
import { parseJsonDocuments } from './json-input.js';
import { isK8sEvents, parseK8sEvents, type RolloutEvents } from './k8s-events.js';
import { isPrometheusText, parsePrometheus, type MetricsSnapshot } from './prometheus.js';
import { isVllmBench, parseVllmBench } from './vllm-bench.js';
import { isVllmLog, parseVllmLog, type StartupLog } from './vllm-log.js';

/** Everything the calibration inputs hold, by kind, with where each came from. */
export interface CalibrationInputs {
  readonly runs: BenchRun[];
  readonly logs: StartupLog[];
  readonly events: RolloutEvents[];
  readonly metrics: MetricsSnapshot[];
  readonly sources: Map<string, CalibrationSource>;
}

const FORMATS =
  'vllm bench serve --save-result --save-detailed JSON, a GuideLLM JSON report, kubectl get events -o json, a vLLM server log, or the Prometheus text of vLLM\'s /metrics';

/**
 * Reads each file (bounded: readInputFile) and tells its format from its content, not its name: JSON documents
 * by their keys, text by vLLM's metric names or log lines. A file of no known format is an error that says
 * which formats are read.
 */
export function readCalibrationInputs(files: readonly string[]): CalibrationInputs {
  const inputs: CalibrationInputs = { runs: [], logs: [], events: [], metrics: [], sources: new Map() };
  for (const file of files) {
    const text = readInputFile(file, { what: 'calibration input', maxBytes: INPUT_LIMITS.results, path: file });
    const sha256 = createHash('sha256').update(text).digest('hex');
    // A file of several documents (--append-result) counts the records of all.
    const source = (format: string, records: number) =>
      inputs.sources.set(file, { file, format, sha256, records: records + (inputs.sources.get(file)?.records ?? 0) });
    const head = text.trimStart()[0];
    if (head === '{' || head === '[') {
      for (const doc of parseJsonDocuments(file, text)) {
        if (isVllmBench(doc.value)) {
          const run = parseVllmBench(doc);
          inputs.runs.push(run);
          source('vllm-bench', run.requests.length);
        } else if (isGuidellm(doc.value)) {
          const runs = parseGuidellm(doc);
          inputs.runs.push(...runs);
          source('guidellm', runs.reduce((n, r) => n + r.requests.length, 0));
        } else if (isK8sEvents(doc.value)) {
          const events = parseK8sEvents(doc);
          inputs.events.push(events);
          source('k8s-events', events.records);
        } else {
          throw new InputError({ problem: 'is JSON of no known format', expected: FORMATS }, `${file} line 1`);
        }
      }
    } else if (isPrometheusText(text)) {
      const snapshot = parsePrometheus(file, text);
      inputs.metrics.push(snapshot);
      source('prometheus', snapshot.values.size);
    } else if (isVllmLog(text)) {
      const log = parseVllmLog(file, text);
      inputs.logs.push(log);
      source('vllm-log', log.records);
    } else {
      throw new InputError({ problem: 'is of no known format', expected: FORMATS }, `${file} line 1`);
    }
  }
  return inputs;
}
