/** Map tuning, units in names (house style rule 8). */
export const MAP_CONFIG = {
  /** above this many devices an aggregated hexagon view is offered at low zoom */
  aggregateAboveDeviceCount: 5_000,
  /** aggregated view is shown below this zoom level */
  aggregateBelowZoom: 11,
  /** district boundaries are simplified below this zoom, by this tolerance (0.001° ≈ 100 m ≈ 1 px at zoom 10) */
  districtLod: { belowZoom: 11.5, toleranceDeg: 0.001 },
  /** hexagon radius of the aggregated view, m */
  hexagonRadiusM: 600,
  /** device dot radius by status, screen px */
  deviceRadiusPixels: { normal: 3, offline: 3, blue: 4, yellow: 5, orange: 6, red: 7 },
  /** alert pulse: base radius, growth and period per level; red pulses fastest */
  alertPulse: {
    red: { baseRadiusPixels: 10, growthPixels: 26, periodMs: 800 },
    orange: { baseRadiusPixels: 9, growthPixels: 20, periodMs: 1_200 },
    yellow: { baseRadiusPixels: 8, growthPixels: 16, periodMs: 1_800 },
    blue: { baseRadiusPixels: 7, growthPixels: 12, periodMs: 2_600 },
  },
  /** alert pulse animation frame, ms (≤ 10 fps) */
  pulseFrameMs: 100,
  /**
   * On software GL, a page's ungoverned map (wall, briefing) updates its layers at most this
   * often, ms (map-redraw.ts). Measured (bench render-cameras, 2 cores, SwiftShader): ≈ 0.25 s of
   * GPU-process time per wall frame, so 1 frame/s keeps the map near a quarter of a core.
   */
  softwareGlMinFrameMs: 1_000,
  /**
   * The console's map yields to the officer (redraw-governor.ts): with software GL one frame
   * blocks the main thread for up to a second, so frames are coalesced to ≤ 4/s and to ≤ 25 % of
   * the main thread, held while the officer clicks on the panels, and skipped while hidden.
   */
  consoleRedraw: {
    minFrameIntervalMs: 250,
    maxFrameIntervalMs: 10_000,
    mainThreadBudget: 0.25,
    inputHoldMs: 1_500,
    inputHoldAboveFrameCostMs: 50,
    maxInputHoldMs: 6_000,
    costSmoothing: 0.3,
  },
  /** a wheel on the map counts as working the map until this long after the last wheel event, ms */
  wheelInteractionMs: 400,
  /** SLA ring around incidents, m */
  slaRingRadiusM: 450,
  /** points of a full SLA ring */
  slaRingSegments: 48,
  slaRingWidthPixels: 5,
  incidentRadiusPixels: 8,
  handlerRadiusPixels: 7,
  resourceRadiusPixels: 8,
  assetLineWidthPixels: 4,
  districtLabelSizePixels: 16,
  handlerLabelSizePixels: 14,
} as const;
