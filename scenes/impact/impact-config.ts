/**
 * Configuration of impact ranges (issue 17): the radius per incident category and how the nearest
 * resources are ranked and timed. Validated with zod so an operator's override (environment or
 * admin settings) fails loudly instead of drawing a 0 m circle.
 *
 * Travel time is a planning figure, not routing: straight-line distance × `roadFactor` at the
 * dispatch urban speed (server/dispatch.ts DEFAULT_DISPATCH_OPTIONS.urbanSpeedKmh, 30 km/h).
 */
import { z } from 'zod';

export const ImpactConfigSchema = z
  .object({
    /** radius when the category has none of its own, m */
    defaultRadiusM: z.number().positive().max(20_000),
    /** radius per incident category (scenes/catalogue.ts INCIDENT_CATEGORIES), m */
    radiusByCategoryM: z.record(z.string().min(1).max(40), z.number().positive().max(20_000)),
    /** smallest and largest radius an officer may choose, m */
    minRadiusM: z.number().positive(),
    maxRadiusM: z.number().positive().max(20_000),
    /** how many of each resource kind are listed as nearest (anywhere in the city) */
    nearestPerKind: z.number().int().min(1).max(20),
    /** road distance ÷ straight-line distance in the city (a planning factor, ≥ 1) */
    roadFactor: z.number().min(1).max(3),
    /** average urban travel speed, km/h (the dispatch ETA's) */
    urbanSpeedKmh: z.number().positive().max(200),
    /** at most this many places of each list inside the range are itemised (counts stay exact) */
    maxListedPerKind: z.number().int().min(1).max(1000),
    /** vertices of the drawn circle */
    circleSteps: z.number().int().min(8).max(256),
  })
  .refine((c) => c.minRadiusM <= c.maxRadiusM, { message: 'minRadiusM must not exceed maxRadiusM' });

export type ImpactConfig = z.infer<typeof ImpactConfigSchema>;

export const DEFAULT_IMPACT_CONFIG: ImpactConfig = ImpactConfigSchema.parse({
  defaultRadiusM: 500,
  radiusByCategoryM: {
    'gas-leak': 500,
    fire: 800,
    waterlogging: 300,
    flood: 1000,
    'bridge-structure': 1000,
    'bridge-overload': 1000,
    'pipe-burst': 300,
  },
  minRadiusM: 50,
  maxRadiusM: 5000,
  nearestPerKind: 3,
  roadFactor: 1.3,
  urbanSpeedKmh: 30,
  maxListedPerKind: 50,
  circleSteps: 64,
});

/** The radius for an incident category (the officer's choice wins, clamped to the allowed range), m. */
export function radiusFor(category: string, config: ImpactConfig = DEFAULT_IMPACT_CONFIG, chosenM?: number): number {
  const r = chosenM ?? config.radiusByCategoryM[category] ?? config.defaultRadiusM;
  return Math.min(config.maxRadiusM, Math.max(config.minRadiusM, r));
}

const METRES_PER_KM = 1000;
const MINUTES_PER_HOUR = 60;

/** Minutes to cover a straight-line `distanceM` by road (× roadFactor) at the urban speed, whole minutes, at least 1. */
export function travelMinutes(distanceM: number, config: ImpactConfig = DEFAULT_IMPACT_CONFIG): number {
  return Math.max(1, Math.ceil(((distanceM * config.roadFactor) / METRES_PER_KM / config.urbanSpeedKmh) * MINUTES_PER_HOUR));
}
