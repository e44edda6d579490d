/**
 * `spec.rollout.strategy.gatewayCutover`: a cut-over written as the gateway configurations an operator applies at
 * given times (the guide's shadow -> blue-green -> cut-over -> soak done by hand: Istio VirtualService weights and
 * mirror, or NGINX canary annotations). Green comes up at its size at rollout.at; each step replaces the gateway's
 * weights and mirror at its time (after rollout.at; the change reaches the data path after
 * routing.gatewayPropagation); blue is scaled to zero at scaleDownOldAt. A step may name a VirtualService or
 * canary Ingress file instead: the loader reads it into weights and mirror (scenario/manifest-gateway.ts).
 */
import { z } from 'zod';
import { zDuration } from '../config/zod-units.js';

const zPercent = z.number().min(0).max(100);

export const zGatewayStep = z
  .strictObject({
    at: zDuration.meta({ description: 'time after rollout.at at which the operator applies this configuration' }),
    weights: z.strictObject({ old: zPercent.default(0), new: zPercent.default(0) }).optional(),
    mirror: zPercent.optional().meta({ description: 'percent of live requests copied to new (answers discarded); unset: no mirror' }),
    virtualService: z.string().min(1).optional().meta({ description: 'an Istio VirtualService file, read into weights and mirror' }),
    ingress: z.string().min(1).optional().meta({ description: 'an NGINX canary Ingress file, read into weights' }),
  })
  .superRefine((step, ctx) => {
    const given = ['weights', 'virtualService', 'ingress'].filter((k) => step[k as keyof typeof step] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: `expected exactly one of weights, virtualService, ingress; got ${given.length === 0 ? 'none' : given.join(', ')}` });
    if (step.weights && step.weights.old + step.weights.new <= 0) ctx.addIssue({ code: 'custom', message: 'expected a weight above 0', path: ['weights'] });
  });
export type GatewayStep = z.output<typeof zGatewayStep>;

export const zGatewayCutover = z
  .strictObject({
    newReplicas: z.int().min(1).optional().meta({ description: 'green size; unset: the fleet\'s replicas' }),
    steps: z.array(zGatewayStep).min(1),
    scaleDownOldAt: zDuration.optional().meta({ description: 'time after rollout.at at which blue is scaled to 0; unset: blue is kept' }),
    /** Istio subset (or Service) names -> the simulator's versions, for imported VirtualServices. */
    subsets: z.record(z.string(), z.enum(['old', 'new'])).default({ stable: 'old', blue: 'old', primary: 'old', canary: 'new', green: 'new' }),
  })
  .superRefine((s, ctx) => {
    for (let i = 1; i < s.steps.length; i++) {
      if (s.steps[i].at < s.steps[i - 1].at) ctx.addIssue({ code: 'custom', message: 'steps must be in time order', path: ['steps', i, 'at'] });
    }
    const last = s.steps[s.steps.length - 1].at;
    if (s.scaleDownOldAt !== undefined && s.scaleDownOldAt < last) {
      ctx.addIssue({ code: 'custom', message: `blue would be scaled down (${s.scaleDownOldAt}s) before the last gateway step (${last}s)`, path: ['scaleDownOldAt'] });
    }
  });
export type GatewayCutoverSpec = z.output<typeof zGatewayCutover>;
