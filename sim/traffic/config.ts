import { z } from 'zod';
import { zDistribution } from '../config/distribution-spec.js';
import { zDuration, zRate } from '../config/zod-units.js';

const DAY_SECONDS = 86_400;

const zTokenCount = z.number().min(0).meta({ description: 'a number of tokens' });
const zTokenDistribution = zDistribution(zTokenCount);
const zFactor = z.number().positive();

const zPoisson = z.strictObject({ rate: zRate });
const zGamma = z.strictObject({
  rate: zRate,
  cv: zFactor.meta({ description: 'coefficient of variation of the gaps; 1 = Poisson, above 1 = bursty' }),
});
const zSchedule = z.strictObject({
  points: z
    .array(z.strictObject({ at: zDuration, rate: zRate }))
    .min(1)
    .meta({ description: 'the rate ramps linearly from point to point and holds after the last one' }),
  repeat: z
    .union([z.literal('daily').transform(() => DAY_SECONDS), zDuration])
    .optional()
    .meta({ description: 'repeat the points with this period (daily = 24h), ramping from the last point to the first' }),
});
/**
 * Trace replay. The Azure LLM inference traces (https://github.com/Azure/AzurePublicDataset, CC-BY-4.0) have this
 * format; attribution: Patel et al., "Splitwise: Efficient generative LLM inference using phase splitting", ISCA 2024.
 */
const zTrace = z.strictObject({
  file: z.string().min(1).meta({ description: 'CSV with TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM trace format)' }),
  timeScale: zFactor.default(1).meta({ description: 'stretch the trace in time (2 = half the rate)' }),
  rateScale: zFactor.default(1).meta({ description: 'speed the trace up (2 = twice the rate)' }),
  offset: zDuration.default(0).meta({ description: 'start this far into the trace (trace seconds)' }),
  loop: z.boolean().default(false).meta({ description: 'replay again from the start after the last row' }),
});

const ARRIVAL_KINDS = ['poisson', 'gamma', 'schedule', 'trace'] as const;

/**
 * Exactly one of the kinds. An object of optional keys rather than a union of objects: zod then reports a
 * mistake inside the intended kind at its own path instead of one "no option matched" for the union.
 */
export const zArrival = z
  .strictObject({
    poisson: zPoisson.optional(),
    gamma: zGamma.optional(),
    schedule: zSchedule.optional(),
    trace: zTrace.optional(),
  })
  .superRefine((arrival, ctx) => {
    const given = ARRIVAL_KINDS.filter((kind) => arrival[kind] !== undefined);
    const kinds = ARRIVAL_KINDS.join(', ');
    if (given.length === 0) ctx.addIssue({ code: 'custom', message: `expected one of ${kinds}` });
    if (given.length > 1) {
      ctx.addIssue({ code: 'custom', message: `expected only one of ${kinds}, not ${given.join(' and ')}` });
    }
  })
  .meta({ description: 'one of poisson: {rate}, gamma: {rate, cv}, schedule: {points, repeat?}, trace: {file, ...}' });

const zPrefix = z.strictObject({
  share: z.number().min(0).max(1).meta({ description: 'fraction of requests with a shared system prompt' }),
  groups: z.int().min(1),
  prefixTokens: zTokenDistribution,
  popularity: z
    .union([z.literal('uniform'), z.strictObject({ zipf: z.number().min(0) })])
    .default('uniform')
    .meta({ description: 'how often each group is used: uniform, or Zipf with exponent s (group 0 most used)' }),
});

const zAdapters = z
  .array(
    z.strictObject({
      name: z.string().min(1).meta({ description: 'the adapter (vLLM --lora-modules name) the request names as its model' }),
      share: z.number().min(0).max(1).optional().meta({ description: 'fraction of requests for it (not with adapterColumn)' }),
    }),
  )
  .min(1)
  .superRefine((adapters, ctx) => {
    adapters.forEach((a, i) => {
      if (adapters.findIndex((b) => b.name === a.name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `adapter "${a.name}" appears twice` });
    });
  })
  .meta({ description: 'LoRA adapters requests name, with their shares; the rest of the requests use the base model (needs server.lora)' });

const FAILURE_OUTCOMES = ['rejected', 'dropped', 'timedOut'] as const;

const zRetries = z.strictObject({
  max: z.int().min(0).meta({ description: 'retries after the first attempt' }),
  on: z.array(z.enum(FAILURE_OUTCOMES)).min(1).default([...FAILURE_OUTCOMES]),
  backoff: z
    .strictObject({
      base: zDuration.default(1),
      max: zDuration.default(30),
      jitter: z.number().min(0).max(1).default(0.2).meta({ description: '± fraction of each delay drawn at random' }),
    })
    .prefault({}),
});

const zClient = z.strictObject({
  ttftTimeout: zDuration.optional().meta({ description: 'an attempt with no first token after this long times out' }),
  timeout: zDuration.optional().meta({ description: 'an attempt not complete after this long times out' }),
  retries: zRetries.optional(),
});

export const zTraffic = z
  .strictObject({
    arrival: zArrival,
    requests: z
      .int()
      .min(1)
      .optional()
      .meta({
        description:
          'stop arrivals after this many requests (retries not counted), whatever the arrival process; with a trace, ' +
          'at most this many rows are read. Without it, arrivals continue until spec.duration',
      }),
    promptTokens: zTokenDistribution.optional().meta({ description: "default with a trace: the row's ContextTokens" }),
    outputTokens: zTokenDistribution.optional().meta({ description: "default with a trace: the row's GeneratedTokens" }),
    maxPromptTokens: z.int().min(1).optional().meta({ description: 'clip longer prompts (as vidur max_tokens)' }),
    maxOutputTokens: z.int().min(1).optional(),
    prefix: zPrefix.optional(),
    adapters: zAdapters.optional(),
    adapterColumn: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "a trace column naming each request's adapter (empty: the base model), instead of shares; needs traffic.adapters to list the names" }),
    client: zClient.prefault({}),
  })
  .superRefine((traffic, ctx) => {
    checkAdapterSource(traffic, ctx);
    if (traffic.arrival.trace !== undefined) return;
    for (const key of ['promptTokens', 'outputTokens'] as const) {
      if (traffic[key] === undefined) {
        const message = 'missing; a distribution is required unless the arrival is a trace';
        ctx.addIssue({ code: 'custom', path: [key], message });
      }
    }
  });

/** Adapters come from shares, or from a trace column: one or the other, said explicitly. */
function checkAdapterSource(
  traffic: { arrival: { trace?: unknown }; adapters?: { share?: number }[]; adapterColumn?: string },
  ctx: z.core.$RefinementCtx,
): void {
  const { adapters, adapterColumn } = traffic;
  if (adapterColumn !== undefined) {
    if (traffic.arrival.trace === undefined) ctx.addIssue({ code: 'custom', path: ['adapterColumn'], message: 'needs a trace arrival (the column is read from its rows)' });
    if (adapters === undefined) ctx.addIssue({ code: 'custom', path: ['adapterColumn'], message: 'needs traffic.adapters listing the names the column uses' });
  }
  adapters?.forEach((a, i) => {
    if (adapterColumn === undefined && a.share === undefined) ctx.addIssue({ code: 'custom', path: ['adapters', i, 'share'], message: 'missing; a share is required unless traffic.adapterColumn names a trace column' });
    if (adapterColumn !== undefined && a.share !== undefined) ctx.addIssue({ code: 'custom', path: ['adapters', i, 'share'], message: `the adapters come from the trace column ${adapterColumn}; remove the share` });
  });
}

export type TrafficConfig = z.output<typeof zTraffic>;

/**
 * Test traffic a team sends to a blue-green preview Service (smoke or load tests, synthetic canaries) so a
 * pre-promotion analysis has something to measure: Poisson arrivals, answers discarded, never part of the
 * client's outcomes.
 */
export const zPreviewTraffic = z.strictObject({
  rate: zRate,
  promptTokens: zTokenDistribution,
  outputTokens: zTokenDistribution,
});
export type PreviewTrafficConfig = z.output<typeof zPreviewTraffic>;
